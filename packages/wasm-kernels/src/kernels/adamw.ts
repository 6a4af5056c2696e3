import type * as tf from '@tensorflow/tfjs-core';
import { FusedKernel } from '@emoje/core';
import { exportsFor, offsetOf, output, type WasmBackendLike } from '../module';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown };

interface AdamWAttrs {
  count: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  step: number;
  clipNorm: number;
  weightDecay: number;
  averageDecay: number;
}

const f32 = Math.fround;

function sizeOf(t: tf.TensorInfo): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

/**
 * The `EmojeAdamW` kernel (contract in @emoje/core's `FusedKernel`): a sum of squares per gradient for the global norm,
 * then one update call per variable. The scalars are computed in double precision and rounded to float32 exactly
 * where FlatAdamW's op-by-op step turns them into float32 tensors, so each element gets the same result; only the
 * norm's sum is added up in another order.
 */
function adamW({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo[] {
  const b = backend as WasmBackendLike;
  const k = exportsFor(b);
  const { count, learningRate, beta1, beta2, epsilon, step, clipNorm, weightDecay, averageDecay } = attrs as unknown as AdamWAttrs;
  const input = (name: string, size?: number): tf.TensorInfo => {
    const t = inputs[name];
    if (!t) throw new Error(`${FusedKernel.AdamW}: no input ${name}`);
    if (size !== undefined && sizeOf(t) !== size) {
      throw new Error(`${FusedKernel.AdamW}: ${name} must hold ${size} values, got ${sizeOf(t)}`);
    }
    return t;
  };
  const values = Array.from({ length: count }, (_, i) => input(`w${i}`));
  const sizes = values.map(sizeOf);
  const grads = sizes.map((size, i) => input(`g${i}`, size));
  const total = sizes.reduce((a, s) => a + s, 0);
  const m = input('m', total);
  const v = input('v', total);
  const mask = inputs.mask ? input('mask', total) : null;
  const average = inputs.average ? input('average', total) : null;
  const gOffsets = grads.map((g, i) => offsetOf(b, g, `g${i}`));
  const wOffsets = values.map((w, i) => offsetOf(b, w, `w${i}`));
  const mOffset = offsetOf(b, m, 'm');
  const vOffset = offsetOf(b, v, 'v');
  const maskOffset = mask ? offsetOf(b, mask, 'mask') : 0;
  const averageOffset = average && averageDecay > 0 ? offsetOf(b, average, 'average') : 0;

  let scale = 1;
  if (clipNorm > 0) {
    let squares = 0;
    gOffsets.forEach((offset, i) => (squares += k.emoje_sum_squares(offset, sizes[i])));
    const norm = f32(Math.sqrt(f32(squares)));
    scale = f32(f32(clipNorm) / Math.max(norm, f32(clipNorm)));
  }
  const decay = Math.min(averageDecay, (1 + step) / (10 + step));

  // Every input was checked above, before any output is allocated: a refused call leaves nothing behind.
  const outs = values.map((w) => output(b, [...w.shape]));
  const mOut = output(b, [total]);
  const vOut = output(b, [total]);
  const averageOut = averageDecay > 0 ? output(b, [total]) : null;
  let at = 0;
  for (let i = 0; i < count; i++) {
    const bytes = at * 4;
    k.emoje_adamw_update(
      gOffsets[i],
      wOffsets[i],
      mOffset + bytes,
      vOffset + bytes,
      mask ? maskOffset + bytes : 0,
      averageOffset ? averageOffset + bytes : 0,
      outs[i].offset,
      mOut.offset + bytes,
      vOut.offset + bytes,
      averageOut ? averageOut.offset + bytes : 0,
      sizes[i],
      scale,
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      1 - beta1 ** step,
      1 - beta2 ** step,
      learningRate,
      epsilon,
      learningRate * weightDecay,
      decay,
      1 - decay,
    );
    at += sizes[i];
  }
  return [...outs.map((o) => o.info), mOut.info, vOut.info, ...(averageOut ? [averageOut.info] : [])];
}

export const adamWKernels: tf.KernelConfig[] = [
  { kernelName: FusedKernel.AdamW, backendName: 'wasm', kernelFunc: adamW as unknown as tf.KernelFunc },
];
