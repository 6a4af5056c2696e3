import * as tf from '@tensorflow/tfjs-core';
import { TEST_BACKENDS, expectClose, randomTensor, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { addSameShape, divByConstant, dropout, maskedMean, mulByConstant, sumOfOthers, tanh, weightedTotal, withoutTape, zeroMasked } from './index';

// The op-by-op compositions the custom-gradient versions replace (values and gradients must not change).
function zeroMaskedOps(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  let m = mask;
  while (m.rank < x.rank) m = tf.expandDims(m, -1);
  const zeros = tf.zeros(x.shape, x.dtype);
  return tf.where(tf.greater(tf.add(zeros, m), 0), x, zeros);
}

function maskedMeanOps(x: tf.Tensor, mask: tf.Tensor, axis: number): tf.Tensor {
  let m = mask;
  while (m.rank < x.rank) m = tf.expandDims(m, -1);
  return tf.div(tf.sum(tf.mul(x, m), axis), tf.maximum(tf.sum(m, axis), 1e-9));
}

/** A 0/1 float mask of `shape` with about a third zeros, from `seed`. */
function binaryMask(shape: number[], seed: number): tf.Tensor {
  return tf.tidy(() => tf.cast(tf.greater(randomTensor(shape, seed), -0.4), 'float32'));
}

/** Value and gradient (through a random probe) of `f` at `x`, with the gradient tape on. */
function valueAndGradient(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, probeSeed = 5): { value: tf.Tensor; grad: tf.Tensor } {
  const value = f(x);
  const probe = randomTensor(value.shape, probeSeed);
  const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), probe)))(x);
  probe.dispose();
  return { value, grad };
}

function expectSameValueAndGradient(ours: (x: tf.Tensor) => tf.Tensor, reference: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, tolerance = 1e-6): void {
  const a = valueAndGradient(ours, x);
  const b = valueAndGradient(reference, x);
  expectClose(a.value, b.value, tolerance);
  expectClose(a.grad, b.grad, tolerance);
  tf.dispose([a.value, a.grad, b.value, b.grad]);
}

/** Tensors alive after `f` minus before, with `f`'s result disposed. */
function leaked(f: () => tf.Tensor | tf.Tensor[]): number {
  const before = tf.memory().numTensors;
  tf.dispose(f());
  return tf.memory().numTensors - before;
}

describe.each(TEST_BACKENDS)('tape-lean ops on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('withoutTape returns the values of its function and records nothing a gradient could flow through', () => {
    const x = randomTensor([3, 5], 2);
    const mask = withoutTape(() => tf.cast(tf.greater(x, 0), 'float32'));
    expectClose(mask, tf.cast(tf.greater(x, 0), 'float32'), 0);
    // Inside a gradient, a result of withoutTape is a constant: the gradient of x * constant(x) is the constant.
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(t, withoutTape(() => tf.square(t)))))(x);
    expectClose(g, tf.square(x), 1e-6);
    expect(() => tf.grad((t: tf.Tensor) => tf.sum(withoutTape(() => tf.mul(t, 2))))(x)).toThrow(/Cannot compute gradient/);
    expect(leaked(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(t, withoutTape(() => tf.square(t)))))(x))).toBe(0);
    tf.dispose([x, mask, g]);
  });

  it('mulByConstant equals tf.mul in values and in the gradient of x, on ragged shapes with broadcast factors', () => {
    for (const [xShape, cShape] of [
      [[3, 7, 5], [3, 7, 1]],
      [[2, 3, 5, 7], [2, 3, 5, 1]],
      [[5, 9], [5, 9]],
      [[4, 3, 6], [1, 3, 6]],
    ] as const) {
      const x = randomTensor([...xShape], 3);
      const c = binaryMask([...cShape], 4);
      expectSameValueAndGradient((t) => mulByConstant(t, c), (t) => tf.mul(t, c), x, 0);
      expect(leaked(() => tf.grad((t: tf.Tensor) => tf.sum(mulByConstant(t, c)))(x))).toBe(0);
      tf.dispose([x, c]);
    }
  });

  it('divByConstant equals tf.div in values and in the gradient of x, and rejects a divisor that would grow x', () => {
    const x = randomTensor([3, 7, 5], 3);
    const c = tf.tidy(() => tf.add(tf.abs(randomTensor([3, 7, 1], 4)), 0.5));
    expectSameValueAndGradient((t) => divByConstant(t, c), (t) => tf.div(t, c), x, 0);
    expect(leaked(() => tf.grad((t: tf.Tensor) => tf.sum(divByConstant(t, c)))(x))).toBe(0);
    expect(() => divByConstant(tf.ones([3, 1]), tf.ones([3, 4]))).toThrow(/does not broadcast/);
    tf.dispose([x, c]);
  });

  it('addSameShape equals tf.add in values and in the gradients of both terms (the same tensor twice included)', () => {
    const a = randomTensor([4, 5, 3], 1);
    const b = randomTensor([4, 5, 3], 2);
    const probe = randomTensor([4, 5, 3], 3);
    const ours = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.mul(addSameShape(x, y), addSameShape(x, x)), probe)))([a, b]);
    const stock = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.mul(tf.add(x, y), tf.add(x, x)), probe)))([a, b]);
    expectClose(addSameShape(a, b), tf.add(a, b), 0);
    ours.forEach((g, i) => expectClose(g, stock[i], 0));
    expect(leaked(() => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(addSameShape(x, y), addSameShape(x, x))))([a, b]))).toBe(0);
    expect(() => addSameShape(a, tf.ones([4, 5, 1]))).toThrow(/differ/);
    tf.dispose([a, b, probe, ...ours, ...stock]);
  });

  it('sumOfOthers equals sum minus self in values and gradients, on every axis', () => {
    const x = randomTensor([3, 5, 7], 6);
    for (const axis of [0, 1, 2, -1]) {
      expectSameValueAndGradient((t) => sumOfOthers(t, axis), (t) => tf.sub(tf.sum(t, axis, true), t), x, 1e-6);
      expect(leaked(() => tf.grad((t: tf.Tensor) => tf.sum(sumOfOthers(t, axis)))(x))).toBe(0);
    }
    x.dispose();
  });

  it('mulByConstant rejects a factor that would broadcast x to a larger shape', () => {
    const x = randomTensor([3, 1], 1);
    const c = randomTensor([3, 4], 2);
    expect(() => mulByConstant(x, c)).toThrow(/does not broadcast/);
    tf.dispose([x, c]);
  });

  it('zeroMasked equals where-with-zeros in values and gradients, NaN and Infinity included, over several masks', () => {
    const base = randomTensor([2, 3, 5, 7], 6);
    // Non-finite entries where the mask is 0 must come out as 0, and take no gradient.
    const bad = tf.tidy(() => {
      const mask = tf.cast(tf.greater(randomTensor([2, 3, 5, 7], 9), 1), 'float32');
      return tf.add(base, tf.mul(mask, tf.scalar(Infinity)));
    });
    for (const [mask, x] of [
      [binaryMask([2, 3], 1), base],
      [binaryMask([2, 3, 5], 2), base],
      [binaryMask([2, 3, 5, 7], 3), base],
    ] as const) {
      expectSameValueAndGradient((t) => zeroMasked(t, mask), (t) => zeroMaskedOps(t, mask), x, 0);
      mask.dispose();
    }
    const rows = tf.tidy(() => tf.cast(tf.logicalNot(tf.any(tf.isInf(bad), [2, 3])), 'float32'));
    const clean = zeroMasked(bad, rows);
    expect(Array.from(clean.dataSync()).every(Number.isFinite)).toBe(true);
    const g = tf.grad((t: tf.Tensor) => tf.sum(zeroMasked(t, rows)))(bad);
    expectClose(g, tf.mul(tf.ones(bad.shape), tf.reshape(rows, [2, 3, 1, 1])), 0);
    expect(leaked(() => tf.grad((t: tf.Tensor) => tf.sum(zeroMasked(t, rows)))(bad))).toBe(0);
    tf.dispose([base, bad, rows, clean, g]);
  });

  it('maskedMean equals the op-by-op masked mean in values and gradients, empty rows and broadcast masks included', () => {
    const x = randomTensor([3, 5, 4, 7], 8);
    const cases: Array<[tf.Tensor, number]> = [
      [binaryMask([3, 5, 4], 1), 2],
      [binaryMask([3, 5], 2), 1],
      [binaryMask([3, 5, 4, 7], 3), -1],
      [tf.concat([tf.zeros([1, 5, 4]), binaryMask([2, 5, 4], 4)]), 1],
      [binaryMask([3, 1, 1], 5), 1],
    ];
    for (const [mask, axis] of cases) {
      expectSameValueAndGradient((t) => maskedMean(t, mask, axis), (t) => maskedMeanOps(t, mask, axis), x, 1e-7);
      expect(leaked(() => tf.grad((t: tf.Tensor) => tf.sum(maskedMean(t, mask, axis)))(x))).toBe(0);
      mask.dispose();
    }
    x.dispose();
  });

  it('dropout keeps tf.dropout\'s mask (same seed) while recording, and its gradient is dy times the multiplier', () => {
    const x = randomTensor([5, 7, 3], 2);
    for (const rate of [0.3, 0.5]) {
      const seed = 123;
      const stock = tf.dropout(x, rate, undefined, seed);
      const { value, grad } = valueAndGradient((t) => dropout(t, rate, true, seed), x);
      expectClose(value, stock, 0);
      const { grad: stockGrad } = valueAndGradient((t) => tf.dropout(t, rate, undefined, seed), x);
      expectClose(grad, stockGrad, 0);
      expect(leaked(() => tf.grad((t: tf.Tensor) => tf.sum(dropout(t, rate, true, seed)))(x))).toBe(0);
      tf.dispose([stock, value, grad, stockGrad]);
    }
    x.dispose();
  });

  it('weightedTotal equals tf.addN of tf.mul(weight, term) in values and in every term\'s gradient, leaking nothing', () => {
    const cases: Array<[number[], number[]]> = [
      [[], [1, 0.1, 0.1, 0.1]],
      [[3, 7, 5], [1, 0.25, 3]],
      [[5], [0.1, 1, 1]],
      [[2, 3], [2]],
      [[4, 9], [1]],
    ];
    for (const [shape, weights] of cases) {
      const terms = weights.map((_, i) => randomTensor(shape, 11 + i));
      const probe = randomTensor(shape, 9);
      const reference = (ts: tf.Tensor[]) => tf.addN(ts.map((t, i) => tf.mul(weights[i], t)));
      const loss = (f: (ts: tf.Tensor[]) => tf.Tensor) => (...ts: tf.Tensor[]) => tf.sum(tf.mul(f(ts), probe));
      const ours = tf.grads(loss((ts) => weightedTotal(ts, weights)))(terms);
      const stock = tf.grads(loss(reference))(terms);
      ours.forEach((g, i) => expectClose(g, stock[i], 0));
      // Distinct gradient tensors, even for several unit weights (the tape never holds one tensor twice).
      expect(new Set(ours).size).toBe(ours.length);
      const value = weightedTotal(terms, weights);
      const stockValue = reference(terms);
      expectClose(value, stockValue, 0);
      expect(value).not.toBe(terms[0]);
      expect(leaked(() => tf.grads(loss((ts) => weightedTotal(ts, weights)))(terms))).toBe(0);
      expect(leaked(() => weightedTotal(terms, weights))).toBe(0);
      tf.dispose([...terms, probe, ...ours, ...stock, value, stockValue]);
    }
    const a = tf.zeros([2]);
    const b = tf.zeros([3]);
    expect(() => weightedTotal([a, b], [1, 1])).toThrow(/shapes/);
    expect(() => weightedTotal([a], [1, 2])).toThrow(/weights/);
    expect(() => weightedTotal([], [])).toThrow(/terms/);
    tf.dispose([a, b]);
  });

  it('tanh records the same gradient as the chain it computes (and tf.tanh\'s within rounding)', () => {
    const x = tf.mul(randomTensor([4, 9, 5], 3), 3);
    const chain = (t: tf.Tensor) => tf.sub(tf.mul(tf.sigmoid(tf.mul(t, 2)), 2), 1);
    const reference = backend === 'wasm' ? chain : tf.tanh;
    expectSameValueAndGradient(tanh, reference, x, 0);
    expect(leaked(() => tf.grad((t: tf.Tensor) => tf.sum(tanh(t)))(x))).toBe(0);
    x.dispose();
  });
});
