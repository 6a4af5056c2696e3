/**
 * A process with only the cpu backend (this file imports no wasm backend, and vitest runs each test file in a process
 * of its own): registerWasmKernels declines and says why, nothing is registered, and the blocks run op by op.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { FusedKernel, applyLayerNorm, applyLinear, hasFusedKernel } from '@emoje/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmKernels, WASM_KERNEL_CONFIGS } from './index';
import { unsupportedReason } from './module';

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
});

describe('registerWasmKernels without the wasm backend', () => {
  it('returns registered: false with a reason and registers nothing, every time it is called', async () => {
    expect(tf.engine().registryFactory.wasm).toBeUndefined();
    for (let i = 0; i < 2; i++) {
      const result = await registerWasmKernels();
      expect(result).toEqual({ registered: false, kernels: [], reason: 'no wasm backend is registered and initialised' });
    }
    for (const config of WASM_KERNEL_CONFIGS) expect(tf.getKernel(config.kernelName, 'wasm')).toBeUndefined();
    expect(tf.getBackend()).toBe('cpu');
  });

  it('hasFusedKernel is false on cpu, and the blocks compute x W + b and layer norm op by op', async () => {
    for (const name of Object.values(FusedKernel)) expect(hasFusedKernel(name)).toBe(false);
    const kernel = tf.variable(tf.tensor2d([[1, -2], [0.5, 3], [-1, 1]]));
    const bias = tf.variable(tf.tensor1d([0.25, -0.5]));
    const x = tf.tensor2d([[1, 2, 3], [-1, 0, 2]]);
    const profile = await tf.profile(() => applyLinear(x, { kernel: { read: () => kernel }, bias: { read: () => bias } } as never, 'relu'));
    expect(profile.kernelNames).not.toContain(FusedKernel.Linear);
    // relu([[1 + 1 - 3, -2 + 6 + 3], [-1 - 2, 2 + 2]] + [0.25, -0.5])
    expect(Array.from((profile.result as tf.Tensor).dataSync())).toEqual([0, 6.5, 0, 3.5]);
    const gamma = tf.variable(tf.tensor1d([1, 2]));
    const beta = tf.variable(tf.tensor1d([0, 1]));
    const normalised = applyLayerNorm(tf.tensor2d([[1, 3]]), { gamma: { read: () => gamma }, beta: { read: () => beta } } as never, 0);
    expect(Array.from(normalised.dataSync())).toEqual([-1, 3]);
    tf.dispose([kernel, bias, x, profile.result as tf.Tensor, gamma, beta, normalised]);
  });
});

describe('unsupportedReason', () => {
  it('declines a backend that is not tfjs-backend-wasm 4.x', () => {
    expect(unsupportedReason(tf.findBackend('cpu'))).toMatch(/not tfjs-backend-wasm 4\.x/);
    expect(unsupportedReason(null)).toMatch(/not tfjs-backend-wasm 4\.x/);
    const like = (memory: WebAssembly.Memory) => ({ wasm: { asm: { memory }, _malloc: () => 0, _free: () => undefined }, dataIdMap: new WeakMap(), makeOutput: () => null });
    expect(unsupportedReason(like(new WebAssembly.Memory({ initial: 1 })))).toBeNull();
  });
});
