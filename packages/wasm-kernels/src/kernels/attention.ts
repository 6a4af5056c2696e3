import type * as tf from '@tensorflow/tfjs-core';
import { FusedKernel } from '@emoje/core';
import { exportsFor, offsetOf, output, type WasmBackendLike } from '../module';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown };

/** The input `name` (a missing one is a caller bug: the kernel contract names every input). */
function input(inputs: tf.NamedTensorInfoMap, name: string): tf.TensorInfo {
  const t = inputs[name];
  if (!t) throw new Error(`@emoje/wasm-kernels: attention kernel input ${name} is missing`);
  return t;
}

/** Bytes of one head's `[Tq, Tk]` scratch (at least one float, so malloc never gets 0). */
function headScratchBytes(tq: number, tk: number): number {
  return Math.max(1, tq * tk) * 4;
}

function attentionForward({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo[] {
  const b = backend as WasmBackendLike;
  const kernels = exportsFor(b);
  const { numHeads, keepProbabilities } = attrs as unknown as { numHeads: number; keepProbabilities: boolean };
  const [q, k, v, mask] = ['q', 'k', 'v', 'mask'].map((name) => input(inputs, name)) as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo];
  const [n, tq, d] = q.shape as [number, number, number];
  const tk = k.shape[1] as number;
  const context = output(b, [n, tq, d]);
  const probabilities = keepProbabilities ? output(b, [n, numHeads, tq, tk]) : null;
  if (n * tq * d === 0) return probabilities ? [context.info, probabilities.info] : [context.info];
  const scratch = probabilities ? 0 : b.wasm._malloc(headScratchBytes(tq, tk));
  try {
    kernels.emoje_attention_forward(
      offsetOf(b, q, 'q'),
      offsetOf(b, k, 'k'),
      offsetOf(b, v, 'v'),
      offsetOf(b, mask, 'mask'),
      context.offset,
      probabilities ? probabilities.offset : scratch,
      probabilities ? 1 : 0,
      n,
      tq,
      tk,
      d,
      numHeads,
      mask.shape.length === 3 ? tk : 0,
      1 / Math.sqrt(d / numHeads),
    );
  } finally {
    if (scratch) b.wasm._free(scratch);
  }
  return probabilities ? [context.info, probabilities.info] : [context.info];
}

function attentionGrad({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo[] {
  const b = backend as WasmBackendLike;
  const kernels = exportsFor(b);
  const { numHeads } = attrs as unknown as { numHeads: number };
  const [dy, q, k, v, probabilities] = ['dy', 'q', 'k', 'v', 'probabilities'].map((name) => input(inputs, name)) as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo];
  const [n, tq, d] = q.shape as [number, number, number];
  const tk = k.shape[1] as number;
  const dq = output(b, [n, tq, d]);
  const dk = output(b, [n, tk, d]);
  const dv = output(b, [n, tk, d]);
  if (n * tk * d === 0 && n * tq * d === 0) return [dq.info, dk.info, dv.info];
  const scratch = b.wasm._malloc(headScratchBytes(tq, tk));
  try {
    kernels.emoje_attention_backward(
      offsetOf(b, dy, 'dy'),
      offsetOf(b, q, 'q'),
      offsetOf(b, k, 'k'),
      offsetOf(b, v, 'v'),
      offsetOf(b, probabilities, 'probabilities'),
      dq.offset,
      dk.offset,
      dv.offset,
      scratch,
      n,
      tq,
      tk,
      d,
      numHeads,
      1 / Math.sqrt(d / numHeads),
    );
  } finally {
    b.wasm._free(scratch);
  }
  return [dq.info, dk.info, dv.info];
}

export const attentionKernels: tf.KernelConfig[] = [
  { kernelName: FusedKernel.Attention, backendName: 'wasm', kernelFunc: attentionForward as unknown as tf.KernelFunc },
  { kernelName: FusedKernel.AttentionGrad, backendName: 'wasm', kernelFunc: attentionGrad as unknown as tf.KernelFunc },
];
