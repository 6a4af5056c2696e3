import type * as tf from '@tensorflow/tfjs-core';
import { FusedKernel } from '@emoje/core';
import { exportsFor, inputOf, offsetOf, output, type WasmBackendLike } from '../module';

/** A kernel's arguments; every input the contract names is present (tfjs types each as possibly undefined). */
type KernelArgs = { inputs: Record<string, tf.TensorInfo>; attrs?: tf.NamedAttrMap; backend: unknown };

/** Rows per stream of `x` (`[M, N, in]`, or any rank read as `[M, N, in]` with its leading dimensions flattened). */
function rowsOf(x: tf.TensorInfo, streams: number): number {
  const inDim = x.shape[x.shape.length - 1];
  const size = x.shape.reduce((a, v) => a * v, 1);
  return inDim > 0 && streams > 0 ? size / (inDim * streams) : 0;
}

/** `x`'s shape with its last dimension replaced by `last`. */
const withLast = (x: tf.TensorInfo, last: number): number[] => [...x.shape.slice(0, -1), last];

function linearForward({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo[] {
  const b = backend as WasmBackendLike;
  const k = exportsFor(b);
  const { streams, activation, hasBias, keepPreactivation } = attrs as unknown as { streams: number; activation: number; hasBias: boolean; keepPreactivation: boolean };
  const x = inputOf(inputs, 'x');
  const rows = rowsOf(x, streams);
  const inDim = x.shape[x.shape.length - 1];
  const outDim = inputOf(inputs, 'w0').shape[1];
  const y = output(b, withLast(x, outDim));
  const z = keepPreactivation ? output(b, withLast(x, outDim)) : null;
  const xOffset = offsetOf(b, x, 'x');
  for (let m = 0; m < streams && rows > 0; m++) {
    const step = m * rows * outDim * 4;
    k.emoje_linear_forward(
      xOffset + m * rows * inDim * 4,
      offsetOf(b, inputOf(inputs, `w${m}`), `w${m}`),
      hasBias ? offsetOf(b, inputOf(inputs, `b${m}`), `b${m}`) : 0,
      y.offset + step,
      z ? z.offset + step : 0,
      rows,
      inDim,
      outDim,
      activation,
    );
  }
  return z ? [y.info, z.info] : [y.info];
}

function linearGrad({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo[] {
  const b = backend as WasmBackendLike;
  const k = exportsFor(b);
  const { streams, activation, hasBias } = attrs as unknown as { streams: number; activation: number; hasBias: boolean };
  const x = inputOf(inputs, 'x');
  const rows = rowsOf(x, streams);
  const inDim = x.shape[x.shape.length - 1];
  const outDim = inputOf(inputs, 'w0').shape[1];
  const dx = output(b, [...x.shape]);
  const dw = Array.from({ length: streams }, () => output(b, [inDim, outDim]));
  const db = hasBias ? Array.from({ length: streams }, () => output(b, [outDim])) : [];
  // g = dy * act'(z) (rows x out, for a non-linear activation), then W^T (out x in), packed for dx's product.
  const scratch = b.wasm._malloc(((activation !== 0 ? rows * outDim : 0) + inDim * outDim) * 4 || 4);
  try {
    const dyOffset = offsetOf(b, inputOf(inputs, 'dy'), 'dy');
    const xOffset = offsetOf(b, inputOf(inputs, 'x'), 'x');
    const zOffset = offsetOf(b, inputOf(inputs, 'z'), 'z');
    for (let m = 0; m < streams; m++) {
      const outStep = m * rows * outDim * 4;
      k.emoje_linear_backward(
        dyOffset + outStep,
        xOffset + m * rows * inDim * 4,
        offsetOf(b, inputOf(inputs, `w${m}`), `w${m}`),
        zOffset + outStep,
        dx.offset + m * rows * inDim * 4,
        dw[m].offset,
        hasBias ? db[m].offset : 0,
        scratch,
        rows,
        inDim,
        outDim,
        activation,
      );
    }
  } finally {
    b.wasm._free(scratch);
  }
  return [dx.info, ...dw.map((o) => o.info), ...db.map((o) => o.info)];
}

export const linearKernels: tf.KernelConfig[] = [
  { kernelName: FusedKernel.Linear, backendName: 'wasm', kernelFunc: linearForward as unknown as tf.KernelFunc },
  { kernelName: FusedKernel.LinearGrad, backendName: 'wasm', kernelFunc: linearGrad as unknown as tf.KernelFunc },
];
