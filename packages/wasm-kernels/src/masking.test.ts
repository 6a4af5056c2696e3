/**
 * The fused `EmojeZeroMasked` kernel behind @emoje/core's zeroMasked on wasm: the same values (exact zeros where the
 * mask is 0, whatever x holds there) and gradients as the op-by-op path, masks over any number of leading dimensions,
 * the op-by-op path kept for masks that broadcast another way, and no leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { FusedKernel, zeroMasked } from '@emoje/core';
import { leakedTensors, randomTensor } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectCloseToScale, kernelsRun, opByOp } from './__tests__/compare';
import { registerWasmKernels } from './index';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await registerWasmKernels();
});

/** x with NaN, Infinity and huge values planted in the slots the mask removes. */
function poisoned(shape: number[], mask: tf.Tensor, seed: number): tf.Tensor {
  return tf.tidy(() => {
    let m = mask;
    while (m.rank < shape.length) m = tf.expandDims(m, -1);
    const removed = tf.logicalNot(tf.greater(tf.add(tf.zeros(shape), m), 0));
    const noise = tf.mul(randomTensor(shape, seed + 1), 1e30);
    const planted = tf.where(tf.greater(noise, 0), tf.fill(shape, Number.NaN), tf.fill(shape, Number.POSITIVE_INFINITY));
    return tf.where(removed, planted, randomTensor(shape, seed));
  });
}

describe('zeroMasked: fused EmojeZeroMasked against the op-by-op path on wasm', () => {
  const cases = [
    { shape: [3, 7, 9], mask: [3, 7] },
    { shape: [2, 5, 3, 13], mask: [2, 5] },
    { shape: [4, 6], mask: [4, 6] },
    { shape: [5, 11], mask: [5] },
  ];
  it.each(cases)('x $shape, mask $mask: values (NaN and Infinity removed) and gradients', async ({ shape, mask }) => {
    const m = tf.tidy(() => tf.cast(tf.greater(randomTensor(mask, 3), -0.2), 'float32'));
    const x = poisoned(shape, m, shape.length + mask.length);
    const probe = randomTensor(shape, 9);
    const run = () => ({ y: zeroMasked(x, m), dx: tf.grad((t: tf.Tensor) => tf.sum(tf.mul(zeroMasked(t, m), probe)))(x) });
    const fused = await kernelsRun(run);
    const reference = await opByOp(() => kernelsRun(run));
    expect(fused.names).toContain(FusedKernel.ZeroMasked);
    expect(fused.names).not.toContain('Select');
    expect(reference.names).not.toContain(FusedKernel.ZeroMasked);
    expect(Array.from(fused.result.y.dataSync()).every(Number.isFinite)).toBe(true);
    expectCloseToScale(fused.result.y, reference.result.y, 0, 'y');
    expectCloseToScale(fused.result.dx, reference.result.dx, 0, 'dx');
    tf.dispose([x, m, probe, fused.result, reference.result] as unknown as tf.TensorContainer);
  });

  it('keeps the op-by-op path for a mask that broadcasts over a middle dimension, and leaks nothing', async () => {
    const x = randomTensor([2, 3, 4], 1);
    const mask = tf.tensor2d([1, 0], [2, 1]);
    const broadcast = await kernelsRun(() => zeroMasked(x, tf.tensor3d([1, 0], [2, 1, 1])));
    expect(broadcast.names).not.toContain(FusedKernel.ZeroMasked);
    expect(Array.from(broadcast.result.dataSync().slice(12))).toEqual(new Array(12).fill(0));
    expect(await leakedTensors(() => zeroMasked(x, mask))).toBe(0);
    expect(await leakedTensors(() => tf.grad((t: tf.Tensor) => tf.sum(zeroMasked(t, mask)))(x))).toBe(0);
    tf.dispose([x, mask, broadcast.result]);
  });
});
