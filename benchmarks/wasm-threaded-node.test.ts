import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyStreamLayerNorm, applyStreamLinear, FusedKernel, hasFusedKernel, setFusedKernelsEnabled, type LayerNormWeights, type LinearWeights } from '@emoje/core';
import { initBackend } from '@emoje/runtime-node';
import { registerWasmKernels, type WasmKernelRegistration } from '@emoje/wasm-kernels';
import { prepareThreadedWasm } from './wasm-threaded-node';

// tfjs-backend-wasm's threaded build, started in this process by prepareThreadedWasm, with emoje's fused kernels in
// its shared memory: the fused kernels must give what the op-by-op composition gives, values and gradients.
const variable = (t: tf.Tensor) => ({ read: () => t }) as unknown as LayerVariable;

let registration: WasmKernelRegistration;
let threads: number | undefined;
beforeAll(async () => {
  const restore = prepareThreadedWasm(2);
  try {
    threads = (await initBackend({ backend: 'wasm' })).threads;
  } finally {
    restore();
  }
  registration = await registerWasmKernels();
});
afterAll(() => setFusedKernelsEnabled(true));

/** Values and gradients of `f` with the fused kernels on and off. */
function bothWays(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], dy: tf.Tensor) {
  const run = (fused: boolean) => {
    setFusedKernelsEnabled(fused);
    return tf.tidy(() => {
      const value = f(...inputs);
      const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), dy)))(inputs);
      return { value: value.arraySync(), grads: grads.map((g) => g.arraySync()) };
    });
  };
  return { fused: run(true), unfused: run(false) };
}

const closeTo = (a: unknown, b: unknown) => {
  const flat = (x: unknown): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x as number]);
  const [fa, fb] = [flat(a), flat(b)];
  expect(fa.length).toBe(fb.length);
  expect(Math.max(...fa.map((v, i) => Math.abs(v - fb[i])))).toBeLessThan(1e-5);
};

describe('the threaded wasm build in Node', () => {
  it('starts with 2 threads and registers the shared variant of the fused kernels', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(threads).toBe(2);
    expect(registration.registered).toBe(true);
    expect(registration.variant).toBe('shared');
    expect(hasFusedKernel(FusedKernel.Linear)).toBe(true);
    expect(hasFusedKernel(FusedKernel.LayerNorm)).toBe(true);
  });

  it('fused linear + GELU over 3 streams matches the op-by-op composition (values and gradients, ragged sizes)', () => {
    const [m, n, inDim, outDim] = [3, 7, 13, 9];
    const x = tf.randomNormal([m, n, inDim], 0, 1, 'float32', 1);
    const ws = Array.from({ length: m }, (_, i) => tf.randomNormal([inDim, outDim], 0, 0.5, 'float32', 10 + i));
    const bs = Array.from({ length: m }, (_, i) => tf.randomNormal([outDim], 0, 0.5, 'float32', 20 + i));
    const dy = tf.randomNormal([m, n, outDim], 0, 1, 'float32', 3);
    const before = tf.memory().numTensors;
    const f = (xx: tf.Tensor, ...wb: tf.Tensor[]) => {
      const weights: LinearWeights[] = Array.from({ length: m }, (_, i) => ({ kernel: variable(wb[i]), bias: variable(wb[m + i]) }));
      return applyStreamLinear(xx, weights, 'gelu');
    };
    const { fused, unfused } = bothWays(f, [x, ...ws, ...bs], dy);
    expect(tf.memory().numTensors).toBe(before);
    closeTo(fused.value, unfused.value);
    fused.grads.forEach((g, i) => closeTo(g, unfused.grads[i]));
    tf.dispose([x, ...ws, ...bs, dy]);
  });

  it('fused layer norm over 2 streams matches the op-by-op composition (values and gradients, ragged sizes)', () => {
    const [m, n, d] = [2, 5, 11];
    const x = tf.randomNormal([m, n, d], 0, 2, 'float32', 4);
    const gammas = Array.from({ length: m }, (_, i) => tf.randomNormal([d], 1, 0.2, 'float32', 30 + i));
    const betas = Array.from({ length: m }, (_, i) => tf.randomNormal([d], 0, 0.2, 'float32', 40 + i));
    const dy = tf.randomNormal([m, n, d], 0, 1, 'float32', 5);
    const before = tf.memory().numTensors;
    const f = (xx: tf.Tensor, ...gb: tf.Tensor[]) => {
      const weights: LayerNormWeights[] = Array.from({ length: m }, (_, i) => ({ gamma: variable(gb[i]), beta: variable(gb[m + i]) }));
      return applyStreamLayerNorm(xx, weights);
    };
    const { fused, unfused } = bothWays(f, [x, ...gammas, ...betas], dy);
    expect(tf.memory().numTensors).toBe(before);
    closeTo(fused.value, unfused.value);
    fused.grads.forEach((g, i) => closeTo(g, unfused.grads[i]));
    tf.dispose([x, ...gammas, ...betas, dy]);
  });
});
