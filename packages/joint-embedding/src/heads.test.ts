import * as tf from '@tensorflow/tfjs-core';
import { TEST_BACKENDS, expectClose, randomTensor, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { NORM_EPSILON, binaryAvailability, l2Normalize, sourceMask } from './index';

/** `l2Normalize` op by op, the composition its custom gradient replaces. */
function l2NormalizeOps(x: tf.Tensor, epsilon = NORM_EPSILON): tf.Tensor {
  return tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), -1, true), epsilon * epsilon)));
}

describe.each(TEST_BACKENDS)('l2Normalize on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('has the values and gradients of the op-by-op composition, zero and tiny rows (the floored norm) included', () => {
    // Ragged widths; rows scaled so that some fall under the norm floor and one is exactly zero.
    const base = randomTensor([3, 5, 7], 4);
    const scales = tf.tensor3d([1, 1e-8, 0, 2, 1, 3e-7, 1, 1, 0.5, 1e-9, 1, 1, 4, 0, 1], [3, 5, 1]);
    const x = tf.mul(base, scales);
    const probe = randomTensor([3, 5, 7], 9);
    expectClose(l2Normalize(x), l2NormalizeOps(x), 0);
    const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(l2Normalize(t), probe)))(x);
    const ops = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(l2NormalizeOps(t), probe)))(x);
    // Rows under the floor have gradients near 1 / epsilon: compare relative to the largest entry.
    const scale = Math.max(1, tf.max(tf.abs(ops)).dataSync()[0]);
    expectClose(ours, ops, 1e-6 * scale);
    const before = tf.memory().numTensors;
    tf.dispose(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(l2Normalize(t), probe)))(x));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([base, scales, x, probe, ours, ops]);
  });

  it('treats availability masks as constants: no gradient reaches the availability', () => {
    const availability = tf.tensor2d([[1, 0.5, 0], [0, 1, 1]]);
    expect(() => tf.grad((a: tf.Tensor) => tf.sum(binaryAvailability(a)))(availability)).toThrow(/Cannot compute gradient/);
    expect(() => tf.grad((a: tf.Tensor) => tf.sum(sourceMask(a, 'others')))(availability)).toThrow(/Cannot compute gradient/);
    availability.dispose();
  });
});
