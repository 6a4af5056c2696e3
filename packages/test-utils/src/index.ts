import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { expect } from 'vitest';

/** The backends every block is tested on: the reference `cpu` and the embedded default `wasm`. */
export const TEST_BACKENDS = ['cpu', 'wasm'] as const;
export type TestBackend = (typeof TEST_BACKENDS)[number];

/** Switches tfjs to `name` and waits until it is ready. */
export async function useBackend(name: TestBackend): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
}

/** Asserts two arrays (or tensors) agree elementwise within `tolerance`, reporting the worst index. */
export function expectClose(
  actual: tf.Tensor | ArrayLike<number>,
  expected: tf.Tensor | ArrayLike<number>,
  tolerance = 1e-5,
): void {
  const a = actual instanceof tf.Tensor ? actual.dataSync() : actual;
  const e = expected instanceof tf.Tensor ? expected.dataSync() : expected;
  if (actual instanceof tf.Tensor && expected instanceof tf.Tensor) {
    expect(actual.shape).toEqual(expected.shape);
  }
  expect(a.length).toBe(e.length);
  let worst = 0;
  let worstIndex = -1;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i] - e[i]);
    if (!(diff <= worst)) {
      worst = diff;
      worstIndex = i;
    }
  }
  if (!(worst <= tolerance)) {
    throw new Error(`arrays differ by ${worst} at index ${worstIndex} (actual ${a[worstIndex]}, expected ${e[worstIndex]}), tolerance ${tolerance}`);
  }
}

/** Asserts every entry is finite. */
export function expectFinite(x: tf.Tensor): void {
  const values = x.dataSync();
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new Error(`entry ${i} is ${values[i]}`);
  }
}

/**
 * Central finite differences of a scalar function at `x` (a fresh float32 tensor per
 * probe). Checks `count` coordinates (all when the tensor is small), returning
 * [analytic, numeric] pairs for the caller to compare.
 */
export function numericGradient(
  f: (x: tf.Tensor) => tf.Scalar,
  x: tf.Tensor,
  { epsilon = 1e-2, count = 24, seed = 1 }: { epsilon?: number; count?: number; seed?: number } = {},
): { analytic: number[]; numeric: number[] } {
  const base = Float32Array.from(x.dataSync());
  const grad = tf.tidy(() => tf.grad(f)(x).dataSync().slice());
  // A seeded partial shuffle picks `count` distinct coordinates (all of them when the tensor is small).
  const all = Array.from({ length: base.length }, (_, i) => i);
  let state = seed >>> 0 || 1;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const take = Math.min(count, all.length);
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(random() * (all.length - i));
    [all[i], all[j]] = [all[j], all[i]];
  }
  const indices = all.slice(0, take);
  const evaluate = (values: Float32Array) =>
    tf.tidy(() => f(tf.tensor(values, x.shape)).dataSync()[0]);
  const numeric = indices.map((i) => {
    const plus = base.slice();
    plus[i] += epsilon;
    const minus = base.slice();
    minus[i] -= epsilon;
    return (evaluate(plus) - evaluate(minus)) / (2 * epsilon);
  });
  return { analytic: indices.map((i) => grad[i]), numeric };
}

/** Asserts numeric and analytic gradients agree: |a - n| <= atol + rtol * |n| for each coordinate. */
export function expectGradientsMatch(
  result: { analytic: number[]; numeric: number[] },
  { atol = 2e-3, rtol = 2e-2 }: { atol?: number; rtol?: number } = {},
): void {
  result.analytic.forEach((a, i) => {
    const n = result.numeric[i];
    if (!(Math.abs(a - n) <= atol + rtol * Math.abs(n))) {
      throw new Error(`gradient coordinate ${i}: analytic ${a}, numeric ${n}`);
    }
  });
  expect(result.analytic.some((a) => Math.abs(a) > 1e-6)).toBe(true);
}

/**
 * Runs `fn` once to warm up, then again, and returns how many tensors the second
 * call left behind. Every output tensor `fn` returns is disposed first.
 */
export async function leakedTensors(fn: () => unknown): Promise<number> {
  const disposeResult = async (r: unknown) => {
    const value = await r;
    if (value != null) tf.dispose(value as tf.TensorContainer);
  };
  await disposeResult(fn());
  const before = tf.memory().numTensors;
  await disposeResult(fn());
  return tf.memory().numTensors - before;
}

/** A tensor of the given shape filled from a seeded normal distribution. */
export function randomTensor(shape: number[], seed = 1): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

/**
 * Central finite differences of `loss()` with respect to one layer weight (a tfjs-layers
 * `LayerVariable`), on up to `count` evenly spaced coordinates, next to the analytic
 * gradient from `tf.variableGrads`; the weight is restored afterwards. For `expectGradientsMatch`.
 */
export function numericWeightGradient(
  loss: () => tf.Scalar,
  weight: { read(): tf.Tensor },
  { epsilon = 1e-2, count = 12 }: { epsilon?: number; count?: number } = {},
): { analytic: number[]; numeric: number[] } {
  const variable = weight.read() as tf.Variable;
  const original = Float32Array.from(variable.dataSync());
  const analyticAll = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(loss, [variable]);
    value.dispose();
    return grads[variable.name].dataSync().slice();
  });
  const step = Math.max(1, Math.floor(original.length / count));
  const indices: number[] = [];
  for (let i = 0; i < original.length && indices.length < count; i += step) indices.push(i);
  const evaluate = (values: Float32Array) => {
    tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
    return tf.tidy(() => loss().dataSync()[0]);
  };
  const numeric = indices.map((i) => {
    const plus = original.slice();
    plus[i] += epsilon;
    const minus = original.slice();
    minus[i] -= epsilon;
    return (evaluate(plus) - evaluate(minus)) / (2 * epsilon);
  });
  tf.tidy(() => variable.assign(tf.tensor(original, variable.shape)));
  return { analytic: indices.map((i) => analyticAll[i]), numeric };
}
export { FUZZ_SEED, jsonPaths, nestedArrays, replaceAtPath, type JsonPath } from './fuzz';
export { pcm16WavBytes } from './wav';
