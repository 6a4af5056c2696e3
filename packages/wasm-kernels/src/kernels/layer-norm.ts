import type * as tf from '@tensorflow/tfjs-core';
import { FusedKernel } from '@emoje/core';
import { exportsFor, offsetOf, output, type WasmBackendLike } from '../module';

// tfjs types every input as possibly undefined; the kernel contract in @emoje/core says which ones are given.
type KernelArgs = { inputs: Record<string, tf.TensorInfo>; attrs?: tf.NamedAttrMap; backend: unknown };

function layerNormForward({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo[] {
  const b = backend as WasmBackendLike;
  const k = exportsFor(b);
  const { streams, epsilon, keepStatistics } = attrs as unknown as { streams: number; epsilon: number; keepStatistics: boolean };
  const [, rows, d] = inputs.x.shape;
  const y = output(b, [streams, rows, d]);
  const xhat = keepStatistics ? output(b, [streams, rows, d]) : null;
  const rstd = keepStatistics ? output(b, [streams, rows]) : null;
  const xOffset = offsetOf(b, inputs.x, 'x');
  for (let m = 0; m < streams && rows > 0; m++) {
    const step = m * rows * d * 4;
    k.emoje_layer_norm_forward(
      xOffset + step,
      offsetOf(b, inputs[`gamma${m}`], `gamma${m}`),
      offsetOf(b, inputs[`beta${m}`], `beta${m}`),
      y.offset + step,
      xhat ? xhat.offset + step : 0,
      rstd ? rstd.offset + m * rows * 4 : 0,
      rows,
      d,
      epsilon,
    );
  }
  return xhat && rstd ? [y.info, xhat.info, rstd.info] : [y.info];
}

function layerNormGrad({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo[] {
  const b = backend as WasmBackendLike;
  const k = exportsFor(b);
  const { streams } = attrs as unknown as { streams: number };
  const [, rows, d] = inputs.xhat.shape;
  const dx = output(b, [streams, rows, d]);
  const dgamma = Array.from({ length: streams }, () => output(b, [d]));
  const dbeta = Array.from({ length: streams }, () => output(b, [d]));
  const dyOffset = offsetOf(b, inputs.dy, 'dy');
  const xhatOffset = offsetOf(b, inputs.xhat, 'xhat');
  const rstdOffset = offsetOf(b, inputs.rstd, 'rstd');
  for (let m = 0; m < streams; m++) {
    const step = m * rows * d * 4;
    k.emoje_layer_norm_backward(
      dyOffset + step,
      xhatOffset + step,
      rstdOffset + m * rows * 4,
      offsetOf(b, inputs[`gamma${m}`], `gamma${m}`),
      dx.offset + step,
      dgamma[m].offset,
      dbeta[m].offset,
      rows,
      d,
    );
  }
  return [dx.info, ...dgamma.map((o) => o.info), ...dbeta.map((o) => o.info)];
}

export const layerNormKernels: tf.KernelConfig[] = [
  { kernelName: FusedKernel.LayerNorm, backendName: 'wasm', kernelFunc: layerNormForward as unknown as tf.KernelFunc },
  { kernelName: FusedKernel.LayerNormGrad, backendName: 'wasm', kernelFunc: layerNormGrad as unknown as tf.KernelFunc },
];
