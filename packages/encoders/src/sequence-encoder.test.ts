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
import { SequenceEncoder, sequenceEncoder, type TemporalKind } from './index';
import { fillMasked, maskedAbsSum, probeLoss, saveAndReload, weightGradient } from '../test/helpers';

const D_IN = 3;
const UNITS = 4;
const KINDS: TemporalKind[] = ['attention', 'convolution'];

const small = (kind: TemporalKind, seed: number) =>
  sequenceEncoder({ units: UNITS, kind, numHeads: 2, numLayers: 2, feedForwardUnits: 6, seed, dropout: 0.1 });

describe.each(TEST_BACKENDS)('SequenceEncoder on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  describe.each(KINDS)('kind %s', (kind) => {
    it('gives [tokens [B,U,S,D], pooled [B,U,D]] for B, U, S of 1 and more, eagerly and symbolically', () => {
      const layer = small(kind, 1);
      for (const [b, u, s] of [[1, 1, 1], [2, 3, 5], [1, 2, 1]]) {
        const [tokens, pooled] = layer.apply([randomTensor([b, u, s, D_IN]), tf.ones([b, u, s])]) as tf.Tensor[];
        expect(tokens.shape).toEqual([b, u, s, UNITS]);
        expect(pooled.shape).toEqual([b, u, UNITS]);
      }
      const x = tfl.input({ shape: [null, 6, D_IN] });
      const m = tfl.input({ shape: [null, 6] });
      const [st, sp] = small(kind, 2).apply([x, m]) as tfl.SymbolicTensor[];
      expect(st.shape).toEqual([null, null, 6, UNITS]);
      expect(sp.shape).toEqual([null, null, UNITS]);
      expect(layer.computeOutputShape([[2, 3, 5, D_IN], [2, 3, 5]])).toEqual([[2, 3, 5, UNITS], [2, 3, UNITS]]);
    });

    it('masked frames (random, NaN) change no real output; masked tokens and empty utterances are zero', () => {
      const layer = small(kind, 3);
      const x = randomTensor([2, 3, 5, D_IN], 4);
      const mask = tf.tensor3d([
        [[1, 1, 1, 0, 0], [1, 0, 1, 1, 1], [0, 0, 0, 0, 0]],
        [[1, 1, 1, 1, 1], [0, 0, 0, 0, 1], [1, 1, 0, 0, 0]],
      ]);
      const [tokens, pooled] = layer.apply([x, mask]) as tf.Tensor[];
      expect(maskedAbsSum(tokens, mask)).toBe(0);
      expectClose(tf.slice(pooled, [0, 2, 0], [1, 1, UNITS]), new Float32Array(UNITS), 0);
      for (const fill of ['random', 'nan'] as const) {
        const [t2, p2] = layer.apply([fillMasked(x, mask, fill), mask]) as tf.Tensor[];
        expectFinite(t2);
        expectFinite(p2);
        expectClose(t2, tokens, 1e-6);
        expectClose(p2, pooled, 1e-6);
      }
      // trailing padding frames: a shorter sequence gives the same outputs at its frames
      const [shortTokens] = layer.apply([tf.slice(x, [0, 0, 0, 0], [2, 3, 3, D_IN]), tf.slice(mask, [0, 0, 0], [2, 3, 3])]) as tf.Tensor[];
      const maskShort = tf.slice(mask, [0, 0, 0], [2, 3, 3]);
      const fullMask = tf.concat([maskShort, tf.zeros([2, 3, 2])], 2);
      const [paddedTokens] = layer.apply([x, fullMask]) as tf.Tensor[];
      expectClose(tf.slice(paddedTokens, [0, 0, 0, 0], [2, 3, 3, UNITS]), shortTokens, 1e-5);
    });

    it('matches finite differences for the input and a weight', () => {
      const layer = sequenceEncoder({ units: UNITS, kind, numHeads: 2, feedForwardUnits: 6, seed: 5, activation: 'tanh' });
      const mask = tf.tensor3d([[[1, 1, 0], [1, 1, 1]]]);
      const x = randomTensor([1, 2, 3, D_IN], 6);
      layer.apply([x, mask]);
      expectGradientsMatch(numericGradient((v) => probeLoss(layer.apply([v, mask]) as tf.Tensor[]), x, { count: 12 }));
      const mixWeight = layer.weights.find((w) => w.name.includes(kind === 'attention' ? 'attention_query_kernel' : 'convolution_kernel'));
      expectGradientsMatch(weightGradient(() => probeLoss(layer.apply([x, mask]) as tf.Tensor[]), mixWeight!));
    });

    it('round-trips its config and reloads inside a saved tf.model with the same predictions', async () => {
      const layer = sequenceEncoder({ units: UNITS, kind, numHeads: 2, kernelSize: 5, maxLength: 16, seed: 6, name: `seq_${kind}` });
      const config = layer.getConfig();
      expect(config).toMatchObject({ units: UNITS, kind, numLayers: 1, numHeads: 2, kernelSize: 5, maxLength: 16, seed: 6 });
      expect(SequenceEncoder.fromConfig(SequenceEncoder, config).getConfig()).toEqual(config);
      const xIn = tfl.input({ shape: [2, 4, D_IN] });
      const mIn = tfl.input({ shape: [2, 4] });
      const outputs = layer.apply([xIn, mIn]) as tfl.SymbolicTensor[];
      const model = tfl.model({ inputs: [xIn, mIn], outputs });
      const x = randomTensor([2, 2, 4, D_IN], 7);
      const mask = tf.tensor3d([[[1, 1, 0, 0], [1, 1, 1, 1]], [[1, 0, 0, 0], [0, 0, 0, 0]]]);
      const reloaded = await saveAndReload(model);
      const before = model.predict([x, mask]) as tf.Tensor[];
      const after = reloaded.predict([x, mask]) as tf.Tensor[];
      expectClose(after[0], before[0], 1e-6);
      expectClose(after[1], before[1], 1e-6);
    });

    it('leaks no tensors in a forward call or a gradient step, and trains', async () => {
      const layer = small(kind, 8);
      const x = randomTensor([2, 2, 3, D_IN], 9);
      const mask = tf.tensor3d([[[1, 1, 0], [1, 1, 1]], [[1, 0, 0], [0, 0, 0]]]);
      expect(await leakedTensors(() => layer.apply([x, mask], { training: true }))).toBe(0);
      const optimizer = tf.train.adam(0.05);
      const target = tf.tanh(randomTensor([2, 2, UNITS], 10));
      const loss = () => tf.mean(tf.square(tf.sub((layer.apply([x, mask], { training: true }) as tf.Tensor[])[1], target))) as tf.Scalar;
      expect(await leakedTensors(() => optimizer.minimize(loss, true))).toBe(0);
      const first = loss().dataSync()[0];
      for (let i = 0; i < 10; i++) optimizer.minimize(loss);
      expect(loss().dataSync()[0]).toBeLessThan(first);
    });
  });

  it('applies dropout only in training, with fresh masks per call', () => {
    const layer = sequenceEncoder({ units: UNITS, numHeads: 2, dropout: 0.5, seed: 11 });
    const x = randomTensor([1, 2, 3, D_IN], 12);
    const mask = tf.ones([1, 2, 3]);
    const a = (layer.apply([x, mask]) as tf.Tensor[])[0];
    expectClose((layer.apply([x, mask]) as tf.Tensor[])[0], a, 0);
    const t1 = (layer.apply([x, mask], { training: true }) as tf.Tensor[])[0];
    const t2 = (layer.apply([x, mask], { training: true }) as tf.Tensor[])[0];
    expect(tf.max(tf.abs(tf.sub(t1, t2))).dataSync()[0]).toBeGreaterThan(1e-4);
  });

  it('rejects bad inputs with an EmojeInputError naming the field', () => {
    const layer = small('attention', 13);
    layer.apply([randomTensor([1, 2, 3, D_IN]), tf.ones([1, 2, 3])]);
    const cases: Array<[() => unknown, string]> = [
      [() => layer.apply([randomTensor([1, 2, D_IN]), tf.ones([1, 2])]), 'x'],
      [() => layer.apply([randomTensor([1, 2, 3, D_IN + 1]), tf.ones([1, 2, 3])]), 'x'],
      [() => layer.apply([randomTensor([1, 2, 3, D_IN]), tf.ones([1, 2, 4])]), 'frameMask'],
      [() => layer.apply(randomTensor([1, 2, 3, D_IN])), 'inputs'],
      [() => sequenceEncoder({ units: UNITS, maxLength: 4 }).apply([tfl.input({ shape: [2, 5, D_IN] }), tfl.input({ shape: [2, 5] })]), 'x'],
      [() => sequenceEncoder({ units: UNITS, maxLength: 4 }).apply([randomTensor([1, 1, 5, D_IN]), tf.ones([1, 1, 5])]), 'x'],
      [() => sequenceEncoder({ units: UNITS }).apply([tfl.input({ shape: [2, 5, D_IN] }), tfl.input({ shape: [5] })]), 'frameMask'],
      [() => sequenceEncoder({ units: UNITS }).apply(tfl.input({ shape: [2, 5, D_IN] })), 'inputs'],
    ];
    for (const [fn, field] of cases) {
      expect(fn).toThrowError(EmojeInputError);
      expect(fn).toThrowError(new RegExp(`^${field}:`));
    }
  });
});

describe.each(TEST_BACKENDS)('SequenceEncoder with max pooling on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  const layer = () => sequenceEncoder({ units: UNITS, kind: 'convolution', feedForwardUnits: 6, pooling: 'max', seed: 8, activation: 'tanh' });
  let mask: tf.Tensor3D;
  beforeAll(() => {
    mask = tf.tensor3d([[[1, 1, 1, 0, 0], [0, 0, 0, 0, 0], [0, 1, 0, 1, 1]]]);
  });

  it('pools the per-channel max of the real tokens, zeros for an utterance without one, blind to masked frames', () => {
    const encoder = layer();
    const x = randomTensor([1, 3, 5, D_IN], 9);
    const [tokens, pooled] = encoder.apply([x, mask]) as tf.Tensor[];
    const t = tokens.arraySync() as number[][][][];
    const m = mask.arraySync() as number[][][];
    const expected = t[0].map((frames, u) =>
      Array.from({ length: UNITS }, (_, c) => {
        const real = frames.filter((_, f) => m[0][u][f] === 1).map((frame) => frame[c]);
        return real.length ? Math.max(...real) : 0;
      }),
    );
    expectClose(pooled, tf.tensor3d([expected]), 1e-6);
    for (const fill of ['random', 'nan'] as const) {
      const [, again] = encoder.apply([fillMasked(x, mask, fill), mask]) as tf.Tensor[];
      expectClose(again, pooled, 1e-6);
    }
  });

  it('matches finite differences for the input', () => {
    const encoder = layer();
    const x = randomTensor([1, 3, 5, D_IN], 10);
    encoder.apply([x, mask]);
    expectGradientsMatch(numericGradient((v) => probeLoss(encoder.apply([v, mask]) as tf.Tensor[]), x, { count: 12 }));
  });
});

describe('SequenceEncoder arguments', () => {
  it('rejects bad args with an EmojeInputError naming the argument', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'units'],
      [{ units: 4, kind: 'rnn' }, 'kind'],
      [{ units: 4, numLayers: 0 }, 'numLayers'],
      [{ units: 6, numHeads: 4 }, 'numHeads'],
      [{ units: 4, kind: 'convolution', kernelSize: 2 }, 'kernelSize'],
      [{ units: 4, maxLength: 0 }, 'maxLength'],
      [{ units: 4, feedForwardUnits: -1 }, 'feedForwardUnits'],
      [{ units: 4, activation: 'elu' }, 'activation'],
      [{ units: 4, dropout: 2 }, 'dropout'],
      [{ units: 4, pooling: 'sum' }, 'pooling'],
      [{ units: 4, seed: -1 }, 'seed'],
    ];
    for (const [args, field] of cases) {
      expect(() => sequenceEncoder(args as never)).toThrowError(new RegExp(`^${field}:`));
    }
    expect(() => sequenceEncoder({ units: 6, numHeads: 4, kind: 'convolution' })).not.toThrow();
  });

  it('fills in the defaults', () => {
    expect(sequenceEncoder({ units: 8 }).getConfig()).toMatchObject({
      units: 8,
      kind: 'attention',
      numLayers: 1,
      numHeads: 4,
      kernelSize: 3,
      feedForwardUnits: 16,
      maxLength: 512,
      activation: 'gelu',
      dropout: 0.1,
      pooling: 'mean',
    });
  });
});
