import type * as tf from '@tensorflow/tfjs-core';
import { FusedKernel } from '@emoje/core';
import { exportsFor, inputOf, offsetOf, output, type WasmBackendLike } from '../module';

/** A kernel's arguments; every input the contract names is present (tfjs types each as possibly undefined). */
type KernelArgs = { inputs: Record<string, tf.TensorInfo>; attrs?: tf.NamedAttrMap; backend: unknown };

/** Rows per stream and width of `x` (`[M, N, D]`, or any rank read as `[M, N, D]` with its leading dimensions flattened). */
function rowsAndWidth(x: tf.TensorInfo, streams: number): [number, number] {
  const d = x.shape[x.shape.length - 1];
  const size = x.shape.reduce((a, v) => a * v, 1);
  return [d > 0 && streams > 0 ? size / (d * streams) : 0, d];
}

function layerNormForward({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo[] {
  const b = backend as WasmBackendLike;
  const k = exportsFor(b);
  const { streams, epsilon, keepStatistics, activation = 0 } = attrs as unknown as { streams: number; epsilon: number; keepStatistics: boolean; activation?: number };
  const x = inputOf(inputs, 'x');
  const [rows, d] = rowsAndWidth(x, streams);
  const y = output(b, [...x.shape]);
  const xhat = keepStatistics ? output(b, [...x.shape]) : null;
  const rstd = keepStatistics ? output(b, x.shape.slice(0, -1)) : null;
  const xOffset = offsetOf(b, inputOf(inputs, 'x'), 'x');
  for (let m = 0; m < streams && rows > 0; m++) {
    const step = m * rows * d * 4;
    k.emoje_layer_norm_forward(
      xOffset + step,
      offsetOf(b, inputOf(inputs, `gamma${m}`), `gamma${m}`),
      offsetOf(b, inputOf(inputs, `beta${m}`), `beta${m}`),
      y.offset + step,
      xhat ? xhat.offset + step : 0,
      rstd ? rstd.offset + m * rows * 4 : 0,
      rows,
      d,
      epsilon,
      activation,
    );
  }
  return xhat && rstd ? [y.info, xhat.info, rstd.info] : [y.info];
}

function layerNormGrad({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo[] {
  const b = backend as WasmBackendLike;
  const k = exportsFor(b);
  const { streams, activation = 0 } = attrs as unknown as { streams: number; activation?: number };
  const xhat = inputOf(inputs, 'xhat');
  const [rows, d] = rowsAndWidth(xhat, streams);
  const dx = output(b, [...xhat.shape]);
  const dgamma = Array.from({ length: streams }, () => output(b, [d]));
  const dbeta = Array.from({ length: streams }, () => output(b, [d]));
  const dyOffset = offsetOf(b, inputOf(inputs, 'dy'), 'dy');
  const xhatOffset = offsetOf(b, inputOf(inputs, 'xhat'), 'xhat');
  const rstdOffset = offsetOf(b, inputOf(inputs, 'rstd'), 'rstd');
  // With an activation, the slope at the pre-activation (recomputed from xhat, gamma and beta) needs d floats of scratch.
  const scratch = activation !== 0 ? b.wasm._malloc(Math.max(d, 1) * 4) : 0;
  try {
    for (let m = 0; m < streams; m++) {
      const step = m * rows * d * 4;
      k.emoje_layer_norm_backward(
        dyOffset + step,
        xhatOffset + step,
        rstdOffset + m * rows * 4,
        offsetOf(b, inputOf(inputs, `gamma${m}`), `gamma${m}`),
        activation !== 0 ? offsetOf(b, inputOf(inputs, `beta${m}`), `beta${m}`) : 0,
        dx.offset + step,
        dgamma[m].offset,
        dbeta[m].offset,
        scratch,
        rows,
        d,
        activation,
      );
    }
  } finally {
    if (scratch) b.wasm._free(scratch);
  }
  return [dx.info, ...dgamma.map((o) => o.info), ...dbeta.map((o) => o.info)];
}

export const layerNormKernels: tf.KernelConfig[] = [
  { kernelName: FusedKernel.LayerNorm, backendName: 'wasm', kernelFunc: layerNormForward as unknown as tf.KernelFunc },
  { kernelName: FusedKernel.LayerNormGrad, backendName: 'wasm', kernelFunc: layerNormGrad as unknown as tf.KernelFunc },
];
