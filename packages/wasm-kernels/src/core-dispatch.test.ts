import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyLayerNorm,
  applyLinear,
  applyStreamLayerNorm,
  applyStreamLinear,
  hasFusedKernel,
  setFusedKernelsEnabled,
  type ActivationName,
  type LayerNormWeights,
  type LinearWeights,
} from '@emoje/core';
import { FusedKernel, registerWasmKernels, unregisterWasmKernels } from './index';

/** Weights whose `read()` returns `t`, as a `LayerVariable` does (a tf.Variable, or a plain tensor to test copies). */
const weight = (t: tf.Tensor) => ({ read: () => t }) as unknown as LinearWeights['kernel'];

function random(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}

function expectClose(a: tf.Tensor, b: tf.Tensor, tolerance: number): void {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

/** Values and gradients (of every input) of `f` with the fused kernels on, and with them off. */
function fusedAndUnfused(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], probeSeed = 3): Array<{ value: tf.Tensor; grads: tf.Tensor[] }> {
  return [true, false].map((on) => {
    setFusedKernelsEnabled(on);
    const value = f(...inputs);
    const probe = random(value.shape, probeSeed);
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), probe)))(inputs);
    probe.dispose();
    return { value, grads };
  });
}

function expectSame(runs: Array<{ value: tf.Tensor; grads: tf.Tensor[] }>): void {
  const [fused, plain] = runs;
  expectClose(fused.value, plain.value, 1e-5);
  fused.grads.forEach((g, i) => expectClose(g, plain.grads[i], 1e-5));
  tf.dispose(runs.flatMap((r) => [r.value, ...r.grads]));
}

describe('core dispatch to the fused wasm kernels', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await registerWasmKernels();
  });
  afterAll(() => {
    setFusedKernelsEnabled(true);
    unregisterWasmKernels();
  });

  it('runs the fused kernels where registered', () => {
    setFusedKernelsEnabled(true);
    expect(hasFusedKernel(FusedKernel.Linear)).toBe(true);
    expect(hasFusedKernel(FusedKernel.LayerNorm)).toBe(true);
  });

  // Weights as variables (read by the gradient directly) and as plain tensors (saved copies); inputs of rank 2 to 4
  // (reshaped inside the fused op); ragged widths.
  it.each([
    ['linear', true, [2, 3, 7]],
    ['gelu', true, [5, 7]],
    ['relu', false, [2, 3, 2, 7]],
    ['tanh', false, [3, 7]],
  ] as Array<[ActivationName, boolean, number[]]>)('applyLinear (%s, variables: %s, x %j) equals the op-by-op path in values and gradients', (activation, asVariables, shape) => {
    const kernelValue = random([7, 5], 1);
    const biasValue = random([5], 2);
    const kernel = asVariables ? tf.variable(kernelValue) : kernelValue;
    const bias = asVariables ? tf.variable(biasValue) : biasValue;
    const x = random(shape, 4);
    const f = (xs: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => applyLinear(xs, { kernel: weight(k), bias: weight(b) }, activation);
    const before = tf.memory().numTensors;
    expectSame(fusedAndUnfused(f as (...xs: tf.Tensor[]) => tf.Tensor, [x, kernel, bias]));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([kernelValue, biasValue, kernel, bias, x]);
  });

  it('applyStreamLinear over three streams equals the op-by-op path in values and gradients', () => {
    const kernels = [0, 1, 2].map((i) => tf.variable(random([7, 5], 10 + i)));
    const biases = [0, 1, 2].map((i) => tf.variable(random([5], 20 + i)));
    const x = random([3, 6, 7], 5);
    const f = (xs: tf.Tensor, ...ws: tf.Tensor[]) =>
      applyStreamLinear(xs, [0, 1, 2].map((i) => ({ kernel: weight(ws[i]), bias: weight(ws[3 + i]) })), 'gelu');
    expectSame(fusedAndUnfused(f, [x, ...kernels, ...biases]));
    tf.dispose([x, ...kernels, ...biases]);
  });

  it('applyLayerNorm (rank 4) and applyStreamLayerNorm equal the op-by-op path in values and gradients', () => {
    const gamma = tf.variable(random([7], 6));
    const beta = tf.variable(random([7], 7));
    const norm = (g: tf.Tensor, b: tf.Tensor) => ({ gamma: weight(g), beta: weight(b) }) as unknown as LayerNormWeights;
    const x = random([2, 3, 2, 7], 8);
    const before = tf.memory().numTensors;
    expectSame(fusedAndUnfused((xs, g, b) => applyLayerNorm(xs, norm(g, b)), [x, gamma, beta]));
    expect(tf.memory().numTensors).toBe(before);
    const gammas = [0, 1].map((i) => random([7], 30 + i));
    const betas = [0, 1].map((i) => random([7], 40 + i));
    const streams = random([2, 5, 7], 9);
    expectSame(fusedAndUnfused((xs, g0, g1, b0, b1) => applyStreamLayerNorm(xs, [norm(g0, b0), norm(g1, b1)]), [streams, ...gammas, ...betas]));
    tf.dispose([gamma, beta, x, streams, ...gammas, ...betas]);
  });
});
