import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { EmojeInputError } from '@emoje/core';
import {
  TEST_BACKENDS,
  expectClose,
  expectFinite,
  expectGradientsMatch,
  leakedTensors,
  numericGradient,
  randomTensor,
  useBackend,
} from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { VectorEncoder, vectorEncoder } from './index';
import { fillMasked, maskedAbsSum, probeLoss, saveAndReload, weightGradient } from '../test/helpers';

const D_IN = 5;
const UNITS = 4;

describe.each(TEST_BACKENDS)('VectorEncoder on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('gives [B, U, units] for B=1/U=1 and padded batches, with and without a mask', () => {
    const layer = vectorEncoder({ units: UNITS, seed: 1 });
    for (const [b, u] of [[1, 1], [3, 4]]) {
      const x = randomTensor([b, u, D_IN]);
      expect((layer.apply(x) as tf.Tensor).shape).toEqual([b, u, UNITS]);
      expect((layer.apply([x, tf.ones([b, u])]) as tf.Tensor).shape).toEqual([b, u, UNITS]);
    }
    const sx = tfl.input({ shape: [null, D_IN] });
    const sm = tfl.input({ shape: [null] });
    expect((vectorEncoder({ units: UNITS }).apply([sx, sm]) as tfl.SymbolicTensor).shape).toEqual([null, null, UNITS]);
    expect((vectorEncoder({ units: UNITS }).apply(sx) as tfl.SymbolicTensor).shape).toEqual([null, null, UNITS]);
    expect(layer.computeOutputShape([[2, 3, D_IN], [2, 3]])).toEqual([2, 3, UNITS]);
  });

  it('gives the same real outputs whatever masked slots hold (random, NaN), and zeros there', () => {
    const layer = vectorEncoder({ units: UNITS, seed: 2 });
    const x = randomTensor([2, 3, D_IN], 3);
    const mask = tf.tensor2d([[1, 0, 1], [1, 1, 0]]);
    const reference = layer.apply([x, mask]) as tf.Tensor;
    expect(maskedAbsSum(reference, mask)).toBe(0);
    for (const fill of ['random', 'nan'] as const) {
      const out = layer.apply([fillMasked(x, mask, fill), mask]) as tf.Tensor;
      expectFinite(out);
      expectClose(out, reference, 1e-6);
    }
  });

  it('reads a mask of any dtype the same way: bool, int32, and float32 (NaN and negatives counting as absent)', () => {
    const enc = vectorEncoder({ units: UNITS, seed: 3, dropout: 0 });
    const x = randomTensor([2, 3, D_IN], 6);
    const floatMask = tf.tensor2d([[1, NaN, 0.5], [0, -2, 3]]);
    const boolMask = tf.tensor2d([[true, false, true], [false, false, true]], undefined, 'bool');
    const intMask = tf.tensor2d([[1, 0, 2], [0, -1, 1]], undefined, 'int32');
    const fromFloat = enc.apply([x, floatMask]) as tf.Tensor;
    for (const mask of [boolMask, intMask]) {
      const y = enc.apply([x, mask]) as tf.Tensor;
      expectClose(y, fromFloat, 0);
      y.dispose();
    }
    // The rows where the float32 mask is NaN, 0 or negative are zero.
    const rows = fromFloat.arraySync() as number[][][];
    for (const [b, u] of [[0, 1], [1, 0], [1, 1]]) expect(rows[b][u].every((v) => v === 0)).toBe(true);
    expect(rows[0][0].some((v) => v !== 0)).toBe(true);
    tf.dispose([x, floatMask, boolMask, intMask, fromFloat]);
  });

  it('matches finite differences for the input and the kernel', () => {
    const layer = vectorEncoder({ units: UNITS, seed: 3, activation: 'tanh' });
    const mask = tf.tensor2d([[1, 0]]);
    const x = randomTensor([1, 2, D_IN], 4);
    layer.apply([x, mask]);
    expectGradientsMatch(numericGradient((v) => probeLoss(layer.apply([v, mask]) as tf.Tensor), x));
    expectGradientsMatch(weightGradient(() => probeLoss(layer.apply([x, mask]) as tf.Tensor), layer.weights[0]));
  });

  it('round-trips its config and reloads inside a saved tf.model with the same predictions', async () => {
    const layer = vectorEncoder({ units: UNITS, activation: 'relu', dropout: 0.2, seed: 7, name: 'vec' });
    const config = layer.getConfig();
    expect(config).toMatchObject({ units: UNITS, activation: 'relu', dropout: 0.2, seed: 7, name: 'vec' });
    expect(VectorEncoder.fromConfig(VectorEncoder, config).getConfig()).toEqual(config);
    const xIn = tfl.input({ shape: [3, D_IN] });
    const mIn = tfl.input({ shape: [3] });
    const model = tfl.model({ inputs: [xIn, mIn], outputs: layer.apply([xIn, mIn]) as tfl.SymbolicTensor });
    const x = randomTensor([2, 3, D_IN], 8);
    const mask = tf.tensor2d([[1, 1, 0], [1, 0, 0]]);
    const reloaded = await saveAndReload(model);
    expect(reloaded.layers[2]).toBeInstanceOf(VectorEncoder);
    expectClose(reloaded.predict([x, mask]) as tf.Tensor, model.predict([x, mask]) as tf.Tensor, 1e-6);
  });

  it('leaks no tensors in a forward call or a gradient step', async () => {
    const layer = vectorEncoder({ units: UNITS, seed: 4 });
    const x = randomTensor([2, 3, D_IN]);
    const mask = tf.ones([2, 3]);
    expect(await leakedTensors(() => layer.apply([x, mask], { training: true }))).toBe(0);
    const optimizer = tf.train.sgd(0.01);
    expect(await leakedTensors(() => optimizer.minimize(() => probeLoss(layer.apply([x, mask], { training: true }) as tf.Tensor), true))).toBe(0);
  });

  it('trains: a few Adam steps lower a regression loss', () => {
    const layer = vectorEncoder({ units: UNITS, seed: 5, dropout: 0 });
    const x = randomTensor([2, 3, D_IN], 9);
    const target = tf.tanh(randomTensor([2, 3, UNITS], 10));
    const optimizer = tf.train.adam(0.05);
    const loss = () => tf.mean(tf.square(tf.sub(layer.apply(x, { training: true }) as tf.Tensor, target))) as tf.Scalar;
    const first = loss().dataSync()[0];
    for (let i = 0; i < 10; i++) optimizer.minimize(loss);
    expect(loss().dataSync()[0]).toBeLessThan(first);
  });

  it('rejects bad inputs with an EmojeInputError naming the field', () => {
    const layer = vectorEncoder({ units: UNITS });
    layer.apply(randomTensor([1, 2, D_IN]));
    const cases: Array<[() => unknown, string]> = [
      [() => layer.apply(randomTensor([2, D_IN])), 'x'],
      [() => layer.apply(randomTensor([1, 2, D_IN + 1])), 'x'],
      [() => layer.apply([randomTensor([1, 2, D_IN]), tf.ones([1, 3])]), 'mask'],
      [() => vectorEncoder({ units: UNITS }).apply(tfl.input({ shape: [2] })), 'x'],
      [() => vectorEncoder({ units: UNITS }).apply([tfl.input({ shape: [2, D_IN] }), tfl.input({ shape: [3] })]), 'mask'],
    ];
    for (const [fn, field] of cases) {
      expect(fn).toThrowError(EmojeInputError);
      try {
        fn();
      } catch (e) {
        expect((e as EmojeInputError).field).toBe(field);
      }
    }
  });
});

describe('VectorEncoder arguments', () => {
  it('rejects bad args with an EmojeInputError naming the argument', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'units'],
      [{ units: 0 }, 'units'],
      [{ units: 2.5 }, 'units'],
      [{ units: 4, activation: 'swish' }, 'activation'],
      [{ units: 4, dropout: 1 }, 'dropout'],
      [{ units: 4, dropout: -0.1 }, 'dropout'],
      [{ units: 4, seed: 1.5 }, 'seed'],
    ];
    for (const [args, field] of cases) {
      expect(() => vectorEncoder(args as never)).toThrowError(EmojeInputError);
      expect(() => vectorEncoder(args as never)).toThrowError(new RegExp(`^${field}:`));
    }
    expect(() => vectorEncoder(undefined as never)).toThrowError(/^args:/);
  });

  it('fills in the defaults', () => {
    expect(vectorEncoder({ units: 3 }).getConfig()).toMatchObject({ units: 3, activation: 'gelu', dropout: 0.1 });
  });
});
