/**
 * The fused `EmojeDropout` kernel behind @emoje/core's dropout on wasm draws tf.dropout's own mask: the same Alea
 * stream for the same seed, the same float32 arithmetic. Values, masks and gradients are compared bit for bit with
 * tf.dropout and with the op-by-op path.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { FusedKernel, aleaNext, aleaState, dropout } from '@emoje/core';
import { leakedTensors, randomTensor } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { kernelsRun, opByOp } from './__tests__/compare';
import { registerWasmKernels } from './index';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await registerWasmKernels();
});

const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

describe('dropout: fused EmojeDropout against tf.dropout on wasm', () => {
  it('aleaState and aleaNext continue the stream tf.randomUniform draws from', () => {
    for (const seed of [0, 1, 12345, 0.5, 2 ** 31 + 7]) {
      const state = aleaState(seed);
      const ours = Float32Array.from({ length: 257 }, () => aleaNext(state));
      const theirs = tf.randomUniform([257], 0, 1, 'float32', seed);
      expect(Array.from(ours)).toEqual(Array.from(theirs.dataSync()));
      theirs.dispose();
    }
  });

  const cases = [
    { shape: [3, 7, 9], rate: 0.3, seed: 17 },
    { shape: [2, 5, 64], rate: 0.1, seed: 123456789 },
    { shape: [11], rate: 0.5, seed: 0 },
    { shape: [4, 13], rate: 0.9, seed: 2 ** 30 + 3 },
  ];
  it.each(cases)('shape $shape, rate $rate, seed $seed: tf.dropout\'s values bit for bit, and the op-by-op gradient', async ({ shape, rate, seed }) => {
    const x = randomTensor(shape, seed % 97);
    const expected = tf.dropout(x, rate, undefined, seed);
    const run = () => ({ y: dropout(x, rate, true, seed), dx: tf.grad((t: tf.Tensor) => tf.sum(tf.mul(dropout(t, rate, true, seed), x)))(x) });
    const fused = await kernelsRun(run);
    const reference = await opByOp(() => kernelsRun(run));
    expect(fused.names).toContain(FusedKernel.Dropout);
    expect(fused.names).not.toContain('Floor');
    expect(reference.names).not.toContain(FusedKernel.Dropout);
    expect(bits(fused.result.y)).toEqual(bits(expected));
    expect(bits(fused.result.y)).toEqual(bits(reference.result.y));
    expect(bits(fused.result.dx)).toEqual(bits(reference.result.dx));
    tf.dispose([x, expected, fused.result, reference.result] as unknown as tf.TensorContainer);
  });

  it('without a seed draws a fresh mask each call (as tf.dropout does), and leaks nothing', async () => {
    const x = tf.ones([64, 32]);
    const a = dropout(x, 0.5, true);
    const b = dropout(x, 0.5, true);
    expect(bits(a)).not.toEqual(bits(b));
    expect(await leakedTensors(() => dropout(x, 0.3, true, 5))).toBe(0);
    expect(await leakedTensors(() => tf.grad((t: tf.Tensor) => tf.sum(dropout(t, 0.3, true, 5)))(x))).toBe(0);
    tf.dispose([x, a, b]);
  });
});
