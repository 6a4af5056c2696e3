/** Registering on the wasm backend: what is registered, for which backend, repeated calls, removal, other backends. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { FusedKernel, applyStreamLinear, hasFusedKernel, runFused, setFusedKernelsEnabled } from '@emoje/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectCloseToScale, variableOf, weight, type WeightLike } from './__tests__/compare';
import { registerWasmKernels, unregisterWasmKernels, WASM_KERNEL_CONFIGS } from './index';

type Linear = { kernel: WeightLike; bias: WeightLike };
let linears: Linear[];

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  linears = [0, 1, 2].map((m) => ({ kernel: weight([13, 5], 10 + m, 0.3), bias: weight([5], 20 + m, 0.1) }));
});

afterAll(() => {
  tf.disposeVariables();
});

const input = () => tf.randomNormal([3, 6, 13], 0, 1, 'float32', 4);
const names = Object.values(FusedKernel);

describe('registerWasmKernels on the wasm backend', () => {
  it('registers every fused kernel for wasm only, and hasFusedKernel turns true there', async () => {
    for (const name of names) expect(hasFusedKernel(name)).toBe(false);
    const result = await registerWasmKernels();
    expect(result.registered).toBe(true);
    expect(result.reason).toBeUndefined();
    expect([...result.kernels].sort()).toEqual([...names].sort());
    expect(WASM_KERNEL_CONFIGS.every((c) => c.backendName === 'wasm')).toBe(true);
    for (const name of names) {
      expect(hasFusedKernel(name)).toBe(true);
      expect(tf.getKernel(name, 'cpu')).toBeUndefined();
    }
  });

  it('is harmless to call again: same kernels, no duplicate-registration warning, same results', async () => {
    const x = input();
    const before = applyStreamLinear(x, linears, 'gelu');
    const warn = vi.spyOn(console, 'warn');
    try {
      const again = await registerWasmKernels();
      expect(again.registered).toBe(true);
      expect([...again.kernels].sort()).toEqual([...names].sort());
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
    const after = applyStreamLinear(x, linears, 'gelu');
    expect(Array.from(after.dataSync())).toEqual(Array.from(before.dataSync()));
    tf.dispose([x, before, after]);
  });

  it('leaves the cpu backend op by op: hasFusedKernel is false there, with the same values', async () => {
    const x = input();
    const onWasm = applyStreamLinear(x, linears, 'tanh');
    await tf.setBackend('cpu');
    try {
      for (const name of names) expect(hasFusedKernel(name)).toBe(false);
      const profile = await tf.profile(() => applyStreamLinear(x, linears, 'tanh'));
      expect(profile.kernelNames).not.toContain(FusedKernel.Linear);
      expectCloseToScale(profile.result as tf.Tensor, onWasm, 1e-5, 'cpu against wasm fused');
      tf.dispose(profile.result as tf.Tensor);
    } finally {
      await tf.setBackend('wasm');
    }
    tf.dispose([x, onWasm]);
  });

  it('setFusedKernelsEnabled(false) and unregisterWasmKernels each turn the fused path off; registering again restores it', async () => {
    const x = input();
    const run = async () => (await tf.profile(() => applyStreamLinear(x, linears, 'relu'))).kernelNames.includes(FusedKernel.Linear);
    expect(await run()).toBe(true);
    setFusedKernelsEnabled(false);
    try {
      expect(hasFusedKernel(FusedKernel.Linear)).toBe(false);
      expect(await run()).toBe(false);
    } finally {
      setFusedKernelsEnabled(true);
    }
    unregisterWasmKernels();
    unregisterWasmKernels();
    for (const name of names) expect(tf.getKernel(name, 'wasm')).toBeUndefined();
    expect(await run()).toBe(false);
    expect((await registerWasmKernels()).registered).toBe(true);
    expect(await run()).toBe(true);
    tf.dispose(x);
  });
});

describe('a fused kernel given bad input', () => {
  it('throws naming the input and frees the outputs it had already made', async () => {
    await registerWasmKernels();
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const x = tf.ones([1, 3, 4]);
    const w = tf.ones([4, 5], 'int32');
    const before = { ids: backend.numDataIds(), tensors: tf.memory().numTensors };
    expect(() => runFused(FusedKernel.Linear, { x, w0: w }, { streams: 1, activation: 0, hasBias: false, keepPreactivation: true })).toThrow(/w0 must be float32, got int32/);
    expect(() => runFused(FusedKernel.LayerNorm, { x }, { streams: 1, epsilon: 1e-5, keepStatistics: true })).toThrow(/gamma0/);
    expect(backend.numDataIds()).toBe(before.ids);
    expect(tf.memory().numTensors).toBe(before.tensors);
    tf.dispose([x, w]);
  });
});
