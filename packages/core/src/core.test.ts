import * as tf from '@tensorflow/tfjs-core';
import { TEST_BACKENDS, expectClose, expectGradientsMatch, leakedTensors, numericGradient, randomTensor, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  EmojeInputError,
  SeededRandom,
  dropout,
  assertShape,
  maskedMean,
  maskedSoftmax,
  matMul,
  logSumExp,
  reduceMax,
  sumToShape,
  gatherRows,
  activate,
  applyLinear,
  applyLayerNorm,
  layerNorm,
  gelu,
  tanh,
  applyStreamLinear,
  applyStreamLayerNorm,
  MASKED_LOGIT,
  stopGradient,
  zeroMasked,
  positionalEncoding,
} from './index';

describe.each(TEST_BACKENDS)('core ops on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('logSumExp equals tf.logSumExp in values and gradients on every axis, and matches finite differences', () => {
    const x = randomTensor([4, 5, 3], 7);
    for (const axis of [0, 1, 2, -1]) {
      for (const keepDims of [false, true]) {
        expectClose(logSumExp(x, axis, keepDims), tf.logSumExp(x, axis, keepDims), 1e-5);
        const probe = randomTensor(tf.logSumExp(x, axis, keepDims).shape, 3);
        const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(logSumExp(t, axis, keepDims), probe)))(x);
        const stock = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.logSumExp(t, axis, keepDims), probe)))(x);
        expectClose(ours, stock, 1e-5);
      }
    }
    const probe = randomTensor([4, 3], 4);
    expectGradientsMatch(numericGradient((t) => tf.sum(tf.mul(logSumExp(t, 1), probe)) as tf.Scalar, x, { count: 12 }));
  });

  it('logSumExp is stable for large and masked logits and leaks nothing', async () => {
    const x = tf.tensor2d([[1e4, 1e4 - 1, MASKED_LOGIT], [MASKED_LOGIT, 3, MASKED_LOGIT]]);
    const value = logSumExp(x, 1).dataSync();
    expect(value[0]).toBeCloseTo(1e4 + Math.log(1 + Math.exp(-1)), 1);
    expect(value[1]).toBeCloseTo(3, 5);
    const g = tf.grad((t: tf.Tensor) => tf.sum(logSumExp(t, 1)))(x).dataSync();
    expect(Array.from(g).every(Number.isFinite)).toBe(true);
    expect(g[2]).toBe(0);
    expect(g[4]).toBeCloseTo(1, 6);
    expect(await leakedTensors(() => tf.grad((t: tf.Tensor) => tf.sum(logSumExp(t, 0)))(x))).toBe(0);
  });

  it('layerNorm equals differentiating its plain formula, in values and in the gradients of x, gamma and beta', () => {
    const plain = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const centred = tf.sub(x, tf.mean(x, -1, true));
      const normalised = tf.mul(centred, tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), 1e-5)));
      return tf.add(tf.mul(normalised, g), b);
    };
    const cases: Array<[number[], number[]]> = [[[2, 5, 6], [6]], [[3, 4, 6], [3, 1, 6]]];
    for (const [xShape, gShape] of cases) {
      const x = randomTensor(xShape, 2);
      const g = tf.add(randomTensor(gShape, 3), 1);
      const b = randomTensor(gShape, 4);
      const probe = randomTensor(xShape, 5);
      expectClose(layerNorm(1e-5)(x, g, b), plain(x, g, b), 1e-5);
      const loss = (f: typeof plain) => (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(x, g, b), probe));
      const ours = tf.grads(loss(layerNorm(1e-5)))([x, g, b]);
      const stock = tf.grads(loss(plain))([x, g, b]);
      ours.forEach((grad, i) => {
        expect(grad.shape).toEqual(stock[i].shape);
        expectClose(grad, stock[i], 1e-4);
      });
    }
    const x = randomTensor([2, 3, 4], 6);
    const g = randomTensor([4], 7);
    const b = randomTensor([4], 8);
    const probe = randomTensor([2, 3, 4], 9);
    expectGradientsMatch(numericGradient((t) => tf.sum(tf.mul(layerNorm(1e-5)(t, g, b), probe)) as tf.Scalar, x, { count: 12 }));
  });

  it('gelu equals differentiating its tanh formula, and matches finite differences', async () => {
    const plain = (x: tf.Tensor) => tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))));
    const x = tf.mul(randomTensor([3, 7], 11), 2);
    expectClose(gelu(x), plain(x), 1e-6);
    const probe = randomTensor([3, 7], 12);
    expectClose(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gelu(t), probe)))(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(plain(t), probe)))(x), 1e-5);
    expectGradientsMatch(numericGradient((t) => tf.sum(tf.mul(gelu(t), probe)) as tf.Scalar, x, { count: 12 }));
    expect(await leakedTensors(() => tf.grad((t: tf.Tensor) => tf.sum(gelu(t)))(x))).toBe(0);
  });

  it('tanh equals tf.tanh in values and gradients, saturating to ±1', () => {
    const x = tf.concat([tf.mul(randomTensor([40], 14), 4), tf.tensor1d([-60, -20, 0, 1e-3, 20, 60])]);
    expectClose(tanh(x), tf.tanh(x), 2e-7);
    expectClose(tf.grad((t: tf.Tensor) => tf.sum(tanh(t)))(x), tf.grad((t: tf.Tensor) => tf.sum(tf.tanh(t)))(x), 1e-6);
  });

  it('gelu outside a gradient tape (inference) gives the same values as inside one', () => {
    const x = tf.mul(randomTensor([4, 9], 13), 3);
    expectClose(activate(x, 'gelu'), gelu(x), 1e-6);
    const inside = tf.grad((t: tf.Tensor) => {
      expectClose(activate(t, 'gelu'), gelu(x), 1e-6);
      return tf.sum(activate(t, 'gelu'));
    });
    inside(x);
  });

  it('reduceMax equals tf.max in values and gradients on every axis, ties included, and matches finite differences', async () => {
    const x = randomTensor([3, 5, 4], 21);
    // Ties: a row of equal values gets the whole gradient on every tied entry, as tf.max's gradient does.
    const tied = tf.concat([tf.ones([1, 5, 4]), tf.slice(x, [1, 0, 0], [2, 5, 4])], 0);
    for (const input of [x, tied]) {
      for (const axis of [0, 1, 2, -1]) {
        for (const keepDims of [false, true]) {
          expectClose(reduceMax(input, axis, keepDims), tf.max(input, axis, keepDims), 0);
          const probe = randomTensor(tf.max(input, axis, keepDims).shape, 22);
          const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(reduceMax(t, axis, keepDims), probe)))(input);
          const stock = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.max(t, axis, keepDims), probe)))(input);
          expectClose(ours, stock, 0);
        }
      }
    }
    const probe = randomTensor([3, 4], 23);
    expectGradientsMatch(numericGradient((t) => tf.sum(tf.mul(reduceMax(t, 1), probe)) as tf.Scalar, x, { count: 12 }));
    expect(await leakedTensors(() => tf.grad((t: tf.Tensor) => tf.sum(reduceMax(t, 1)))(x))).toBe(0);
  });

  it('sumToShape equals tf.sum over the broadcast axes, for a kept last axis and for other shapes', () => {
    const x = randomTensor([3, 5, 4], 31);
    const cases: Array<[number[], number[]]> = [[[4], [0, 1]], [[1, 1, 4], [0, 1]], [[3, 1, 4], [1]], [[3, 5, 1], [2]], [[5, 4], [0]], [[3, 5, 4], []]];
    for (const [shape, axes] of cases) {
      const expected = tf.reshape(axes.length ? tf.sum(x, axes) : x, shape);
      expect(sumToShape(x, shape).shape).toEqual(shape);
      expectClose(sumToShape(x, shape), expected, 1e-5);
    }
  });

  it('gatherRows equals tf.gather on rows, values and gradients (repeated rows add up), and leaks nothing', async () => {
    const x = randomTensor([6, 4], 33);
    const rows = [4, 0, 4, 5, 2];
    expectClose(gatherRows(x, rows), tf.gather(x, rows), 0);
    expectClose(gatherRows(x, tf.tensor1d(rows, 'int32')), tf.gather(x, rows), 0);
    const probe = randomTensor([5, 4], 34);
    const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t, rows), probe)))(x);
    // The stock gather gradient needs UnsortedSegmentSum (absent on wasm): the reference is built by hand.
    const expected = new Float32Array(24);
    const p = probe.dataSync();
    rows.forEach((r, i) => { for (let j = 0; j < 4; j++) expected[r * 4 + j] += p[i * 4 + j]; });
    expectClose(ours, tf.tensor2d(expected, [6, 4]), 1e-6);
    // Rows as a tensor (int32 or float32) take the saved-indices path: the same gradient.
    for (const dtype of ['int32', 'float32'] as const) {
      const asTensor = tf.tensor1d(rows, dtype);
      expectClose(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t, asTensor), probe)))(x), tf.tensor2d(expected, [6, 4]), 1e-6);
      expect(await leakedTensors(() => tf.grad((t: tf.Tensor) => tf.sum(gatherRows(t, asTensor)))(x))).toBe(0);
      asTensor.dispose();
    }
    expect(await leakedTensors(() => tf.grad((t: tf.Tensor) => tf.sum(gatherRows(t, rows)))(x))).toBe(0);
    expect(await leakedTensors(() => gatherRows(x, rows))).toBe(0);
    expect(() => gatherRows(x, [0, 6])).toThrow(/rows.*\[0, 6\)/);
    expect(() => gatherRows(x, [1.5])).toThrow(/rows/);
  });

  it('applyLinear with a bias has the gradients of the plain x W + b', async () => {
    const variables: tf.Variable[] = [];
    const weight = (shape: number[], seed: number) => {
      const v = tf.variable(randomTensor(shape, seed));
      variables.push(v);
      return { read: () => v } as never;
    };
    const w = { kernel: weight([6, 3], 40), bias: weight([3], 41) };
    const x = randomTensor([2, 4, 6], 50);
    const probe = randomTensor([2, 4, 3], 51);
    const loss = (f: () => tf.Tensor) => () => tf.sum(tf.mul(f(), probe)) as tf.Scalar;
    const ours = tf.variableGrads(loss(() => applyLinear(x, w)));
    const stock = tf.variableGrads(loss(() => tf.add(tf.reshape(tf.matMul(tf.reshape(x, [8, 6]), variables[0]), [2, 4, 3]), variables[1])));
    for (const v of variables) expectClose(ours.grads[v.name], stock.grads[v.name], 1e-5);
    expect(await leakedTensors(() => tf.variableGrads(loss(() => applyLinear(x, w))))).toBe(0);
    tf.dispose(variables);
  });

  it('layerNorm leaks no tensors forward or backward', async () => {
    const x = randomTensor([2, 3, 4], 6);
    const g = randomTensor([4], 7);
    const b = randomTensor([4], 8);
    expect(await leakedTensors(() => tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(layerNorm(1e-5)(a, c, d)))([x, g, b]))).toBe(0);
  });

  it('applyStreamLinear and applyStreamLayerNorm equal the per-stream ops', () => {
    const variables: tf.Variable[] = [];
    const weight = (shape: number[], seed: number) => {
      const v = tf.variable(randomTensor(shape, seed));
      variables.push(v);
      return { read: () => v } as never;
    };
    const linears = [0, 1, 2].map((m) => ({ kernel: weight([4, 6], 10 + m), bias: weight([6], 20 + m) }));
    const norms = [0, 1, 2].map((m) => ({ gamma: weight([4], 30 + m), beta: weight([4], 40 + m) }));
    const x = randomTensor([3, 5, 4], 8);
    const streams = tf.unstack(x);
    expectClose(applyStreamLinear(x, linears), tf.stack(streams.map((s, m) => applyLinear(s, linears[m]))), 1e-5);
    expectClose(applyStreamLayerNorm(x, norms), tf.stack(streams.map((s, m) => applyLayerNorm(s, norms[m]))), 1e-5);
    expect(() => applyStreamLinear(randomTensor([2, 5, 4], 1), linears)).toThrow(/\[3, N, in\]/);
    tf.dispose(variables);
  });

  it('applyStreamLinear has the gradients of the per-stream ops for x, kernels and biases, and leaks nothing', async () => {
    for (const m of [1, 2, 3]) {
      const variables: tf.Variable[] = [];
      const weight = (shape: number[], seed: number) => {
        const v = tf.variable(randomTensor(shape, seed));
        variables.push(v);
        return { read: () => v } as never;
      };
      const linears = Array.from({ length: m }, (_, i) => ({ kernel: weight([4, 6], 60 + i), bias: weight([6], 70 + i) }));
      const x = tf.variable(randomTensor([m, 5, 4], 80 + m));
      const probe = randomTensor([m, 5, 6], 90);
      const loss = (f: () => tf.Tensor) => () => tf.sum(tf.mul(f(), probe)) as tf.Scalar;
      const perStream = () => tf.stack(linears.map((w, i) => applyLinear(tf.reshape(tf.slice(x, [i, 0, 0], [1, 5, 4]), [5, 4]), w)));
      const ours = tf.variableGrads(loss(() => applyStreamLinear(x, linears)));
      const stock = tf.variableGrads(loss(perStream));
      for (const v of [x, ...variables]) expectClose(ours.grads[v.name], stock.grads[v.name], 1e-5);
      expect(await leakedTensors(() => tf.variableGrads(loss(() => applyStreamLinear(x, linears))))).toBe(0);
      expect(await leakedTensors(() => applyStreamLinear(x, linears))).toBe(0);
      tf.dispose([x, ...variables]);
    }
  });

  it('matMul equals tf.matMul for every transpose flag, values and gradients', () => {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const a = randomTensor(ta ? [3, 5, 4] : [3, 4, 5], 1);
      const b = randomTensor(tb ? [3, 6, 5] : [3, 5, 6], 2);
      expectClose(matMul(a, b, ta, tb), tf.matMul(a, b, ta, tb), 1e-4);
      const ours = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(matMul(x, y, ta, tb))))([a, b]);
      const stock = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, ta, tb))))([a, b]);
      expectClose(ours[0], stock[0], 1e-3);
      expectClose(ours[1], stock[1], 1e-3);
    }
  });

  it('matMul gradient matches finite differences and supports a second derivative', () => {
    const b = randomTensor([4, 3], 3);
    const result = numericGradient((x) => tf.sum(tf.sin(matMul(x, b))), randomTensor([2, 4], 4));
    expectGradientsMatch(result);
    const second = tf.grad((x: tf.Tensor) => tf.sum(tf.grad((y: tf.Tensor) => tf.sum(tf.square(matMul(y, b))))(x)))(randomTensor([2, 4], 5));
    expect(second.shape).toEqual([2, 4]);
  });

  it('matMul leaks nothing in forward and backward', async () => {
    const a = randomTensor([2, 3]);
    const b = randomTensor([3, 2]);
    expect(await leakedTensors(() => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(matMul(x, y)))([a, b]))).toBe(0);
  });

  it('zeroMasked removes NaN and Infinity from masked slots and keeps the rest', () => {
    const x = tf.tensor2d([[1, NaN], [Infinity, 4]]);
    const mask = tf.tensor2d([[1, 0], [0, 1]]);
    expectClose(zeroMasked(x, mask), [1, 0, 0, 4], 0);
    const rows = tf.tensor3d([[[NaN, NaN]], [[1, 2]]]);
    expectClose(zeroMasked(rows, tf.tensor2d([[0], [1]])), [0, 0, 1, 2], 0);
  });

  it('maskedSoftmax gives zero probability to masked entries and zeros for an all-masked row', () => {
    const p = maskedSoftmax(tf.tensor2d([[1, 2, 3], [1, 2, 3]]), tf.tensor2d([[1, 0, 1], [0, 0, 0]]));
    const e1 = Math.exp(1);
    const e3 = Math.exp(3);
    expectClose(p, [e1 / (e1 + e3), 0, e3 / (e1 + e3), 0, 0, 0], 1e-6);
  });

  it('maskedMean averages only the real entries', () => {
    const m = maskedMean(tf.tensor3d([[[1, 1], [3, 5], [100, 100]]]), tf.tensor2d([[1, 1, 0]]), 1);
    expectClose(m, [2, 3], 1e-6);
  });

  it('stopGradient passes values and blocks gradients', () => {
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.add(tf.mul(stopGradient(x), x), 0)))(tf.tensor1d([2, 3]));
    expectClose(g, [2, 3], 1e-6);
  });

  it('positionalEncoding starts with sin(0)=0, cos(0)=1', () => {
    const pe = positionalEncoding(3, 4);
    expect(pe.shape).toEqual([3, 4]);
    expectClose(tf.slice(pe, [0, 0], [1, 4]), [0, 1, 0, 1], 1e-6);
  });
});

describe('validation and randomness', () => {
  it('assertShape names the field and both shapes', () => {
    expect(() => assertShape('availability', [2, 5, 2], [2, 5, 3])).toThrowError(
      new EmojeInputError('availability', 'shape [2, 5, 3]', 'shape [2, 5, 2]'),
    );
    expect(() => assertShape('x', [2, 7], [null, 7])).not.toThrow();
  });

  it('SeededRandom is reproducible and resumable', () => {
    const a = new SeededRandom(42);
    const first = [a.next(), a.next()];
    const state = a.getState();
    const third = a.next();
    const b = new SeededRandom(42);
    expect([b.next(), b.next()]).toEqual(first);
    const c = new SeededRandom(7);
    c.setState(state);
    expect(c.next()).toBe(third);
    expect(new SeededRandom(1).shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('dropout (wasm)', () => {
  beforeAll(() => useBackend('wasm'));

  it('draws from a seed source only when it drops (training and rate > 0)', () => {
    const x = tf.ones([4, 8]);
    const source = new SeededRandom(9);
    const untouched = new SeededRandom(9).getState();
    expect(dropout(x, 0.5, false, source)).toBe(x);
    expect(dropout(x, 0, true, source)).toBe(x);
    expect(source.getState()).toEqual(untouched);

    const dropped = dropout(x, 0.5, true, source);
    expect(source.getState()).not.toEqual(untouched);
    const sameSeed = dropout(x, 0.5, true, new SeededRandom(9).seed());
    expect(Array.from(dropped.dataSync())).toEqual(Array.from(sameSeed.dataSync()));
    tf.dispose([x, dropped, sameSeed]);
  });

  it('gives tf.dropout\'s values bit for bit (same seed), for ragged shapes and several rates, leaking nothing', () => {
    const x = tf.tidy(() => tf.add(tf.randomNormal([7, 13, 5], 0, 1, 'float32', 3), 0.25));
    for (const rate of [0.1, 0.3, 1 / 3, 0.5, 0.9]) {
      for (const seed of [1, 77]) {
        const stock = tf.dropout(x, rate, undefined, seed);
        const before = tf.memory().numTensors;
        const ours = dropout(x, rate, true, seed);
        expect(tf.memory().numTensors).toBe(before + 1);
        expect(Array.from(ours.dataSync())).toEqual(Array.from(stock.dataSync()));
        tf.dispose([stock, ours]);
      }
    }
    x.dispose();
  });

  it('rejects a seed that is neither a number nor a seed source, naming the field', () => {
    const x = tf.ones([2, 2]);
    expect(() => dropout(x, 0.5, true, {} as never)).toThrowError(EmojeInputError);
    expect(() => dropout(x, 0.5, true, {} as never)).toThrowError(/seed/);
    x.dispose();
  });
});
