import type * as tf from '@tensorflow/tfjs-core';
import { FusedKernel } from '@emoje/core';
import { exportsFor, inputOf, offsetOf, output, type WasmBackendLike } from '../module';

/** A kernel's arguments; every input the contract names is present (tfjs types each as possibly undefined). */
type KernelArgs = { inputs: Record<string, tf.TensorInfo>; attrs?: tf.NamedAttrMap; backend: unknown };

interface DropoutAttrs {
  keep: number;
  s0: number;
  s1: number;
  s2: number;
  c: number;
  keepMultiplier: boolean;
}

function dropout({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo[] {
  const b = backend as WasmBackendLike;
  const { keep, s0, s1, s2, c, keepMultiplier } = attrs as unknown as DropoutAttrs;
  const x = inputOf(inputs, 'x');
  const n = x.shape.reduce((a, d) => a * d, 1);
  const y = output(b, [...x.shape]);
  const multiplier = keepMultiplier ? output(b, [...x.shape]) : null;
  if (n > 0) exportsFor(b).emoje_dropout(offsetOf(b, x, 'x'), y.offset, multiplier ? multiplier.offset : 0, n, s0, s1, s2, c, keep);
  return multiplier ? [y.info, multiplier.info] : [y.info];
}

export const dropoutKernels: tf.KernelConfig[] = [{ kernelName: FusedKernel.Dropout, backendName: 'wasm', kernelFunc: dropout as unknown as tf.KernelFunc }];
