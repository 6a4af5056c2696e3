import type * as tf from '@tensorflow/tfjs-core';
import { FusedKernel } from '@emoje/core';
import { exportsFor, inputOf, offsetOf, output, type WasmBackendLike } from '../module';

/** A kernel's arguments; every input the contract names is present (tfjs types each as possibly undefined). */
type KernelArgs = { inputs: Record<string, tf.TensorInfo>; attrs?: tf.NamedAttrMap; backend: unknown };

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function zeroMasked({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const b = backend as WasmBackendLike;
  const x = inputOf(inputs, 'x');
  const mask = inputOf(inputs, 'mask');
  const outer = size(mask.shape);
  const total = size(x.shape);
  if (mask.shape.some((d, i) => d !== x.shape[i]) || (outer > 0 && total % outer !== 0)) {
    throw new Error(`@emoje/wasm-kernels: EmojeZeroMasked needs a mask over the leading dimensions of x, got [${mask.shape.join(', ')}] for [${x.shape.join(', ')}]`);
  }
  const y = output(b, [...x.shape]);
  if (total > 0) exportsFor(b).emoje_zero_masked(offsetOf(b, x, 'x'), offsetOf(b, mask, 'mask'), y.offset, outer, total / outer);
  return y.info;
}

export const maskingKernels: tf.KernelConfig[] = [{ kernelName: FusedKernel.ZeroMasked, backendName: 'wasm', kernelFunc: zeroMasked as unknown as tf.KernelFunc }];
