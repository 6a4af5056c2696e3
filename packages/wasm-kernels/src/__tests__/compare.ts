/**
 * Helpers of the wasm-kernels tests: run one computation with the fused kernels and op by op on the same backend, and
 * compare the two at the scale of the values compared.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setFusedKernelsEnabled, type LinearWeights } from '@emoje/core';
import { expect } from 'vitest';

/** A layer weight as the blocks take it (a tfjs-layers LayerVariable, of which they only call `read()`). */
export type WeightLike = LinearWeights['kernel'];

/** A trainable variable with seeded normal values times `scale`, wrapped as a layer weight (`read()` returns it). */
export function weight(shape: number[], seed: number, scale = 1): WeightLike {
  const v = tf.variable(tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale)));
  return { read: () => v } as unknown as WeightLike;
}

/** The variable behind a {@link weight}. */
export function variableOf(w: WeightLike): tf.Variable {
  return w.read() as tf.Variable;
}

/**
 * Asserts `actual` and `expected` agree within `tolerance` relative to the larger of 1 and the largest entry of
 * `expected`: a fused kernel sums in another order than the ops it replaces (float reassociation), so the error of
 * either grows with the magnitude of the sums, not with each entry. Also checks shapes and that no entry is NaN.
 */
export function expectCloseToScale(actual: tf.Tensor, expected: tf.Tensor, tolerance = 1e-5, what = 'tensor'): void {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  const a = actual.dataSync();
  const e = expected.dataSync();
  let scale = 1;
  for (let i = 0; i < e.length; i++) scale = Math.max(scale, Math.abs(e[i]));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i] - e[i]);
    if (!(diff <= worst)) {
      worst = diff;
      at = i;
    }
  }
  if (!(worst <= tolerance * scale)) {
    throw new Error(`${what}: differs by ${worst} at ${at} (fused ${a[at]}, op by op ${e[at]}), more than ${tolerance} x scale ${scale}`);
  }
}

/** Runs `fn` with the fused kernels off, restoring them afterwards (also when `fn` throws). */
export function opByOp<T>(fn: () => T): T {
  setFusedKernelsEnabled(false);
  try {
    return fn();
  } finally {
    setFusedKernelsEnabled(true);
  }
}

/** The kernels `fn` ran, by name, and what it returned (its tensors are kept: the caller disposes them). */
export async function kernelsRun<T extends tf.TensorContainer>(fn: () => T): Promise<{ names: string[]; result: T }> {
  const info = await tf.profile(fn as () => tf.TensorContainer);
  return { names: info.kernelNames, result: info.result as T };
}
