import type * as tf from '@tensorflow/tfjs-core';
import { FusedKernel } from '@emoje/core';
import { exportsFor, offsetOf, output, type WasmBackendLike } from '../module';

// tfjs types every input as possibly undefined; the kernel contract in @emoje/core says which ones are given.
type KernelArgs = { inputs: Record<string, tf.TensorInfo>; attrs?: tf.NamedAttrMap; backend: unknown };

function linearForward({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo[] {
  const b = backend as WasmBackendLike;
  const k = exportsFor(b);
  const { streams, activation, hasBias, keepPreactivation } = attrs as unknown as { streams: number; activation: number; hasBias: boolean; keepPreactivation: boolean };
  const x = inputs.x;
  const [, rows, inDim] = x.shape;
  const outDim = inputs.w0.shape[1];
  const y = output(b, [streams, rows, outDim]);
  const z = keepPreactivation ? output(b, [streams, rows, outDim]) : null;
  const xOffset = offsetOf(b, x, 'x');
  for (let m = 0; m < streams && rows > 0; m++) {
    const step = m * rows * outDim * 4;
    k.emoje_linear_forward(
      xOffset + m * rows * inDim * 4,
      offsetOf(b, inputs[`w${m}`], `w${m}`),
      hasBias ? offsetOf(b, inputs[`b${m}`], `b${m}`) : 0,
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
  const [, rows, inDim] = inputs.x.shape;
  const outDim = inputs.w0.shape[1];
  const dx = output(b, [streams, rows, inDim]);
  const dw = Array.from({ length: streams }, () => output(b, [inDim, outDim]));
  const db = hasBias ? Array.from({ length: streams }, () => output(b, [outDim])) : [];
  const scratch = activation !== 0 && rows > 0 ? b.wasm._malloc(rows * outDim * 4) : 0;
  try {
    const dyOffset = offsetOf(b, inputs.dy, 'dy');
    const xOffset = offsetOf(b, inputs.x, 'x');
    const zOffset = offsetOf(b, inputs.z, 'z');
    for (let m = 0; m < streams; m++) {
      const outStep = m * rows * outDim * 4;
      k.emoje_linear_backward(
        dyOffset + outStep,
        xOffset + m * rows * inDim * 4,
        offsetOf(b, inputs[`w${m}`], `w${m}`),
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
    if (scratch) b.wasm._free(scratch);
  }
  return [dx.info, ...dw.map((o) => o.info), ...db.map((o) => o.info)];
}

export const linearKernels: tf.KernelConfig[] = [
  { kernelName: FusedKernel.Linear, backendName: 'wasm', kernelFunc: linearForward as unknown as tf.KernelFunc },
  { kernelName: FusedKernel.LinearGrad, backendName: 'wasm', kernelFunc: linearGrad as unknown as tf.KernelFunc },
];
