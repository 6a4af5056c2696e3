import type * as tf from '@tensorflow/tfjs-core';
import { FusedKernel } from '@emoje/core';
import { exportsFor, offsetOf, output, type KernelExports, type WasmBackendLike } from '../module';

// Every input a kernel reads is required by its contract (FusedKernel in @emoje/core).
type Inputs = Record<string, tf.TensorInfo>;
type KernelArgs = { inputs: Inputs; attrs?: tf.NamedAttrMap; backend: unknown };

/** Byte offset of the int32 labels. */
function labelsOffset(b: WasmBackendLike, t: tf.TensorInfo): number {
  if (t.dtype !== 'int32') throw new Error(`@emoje/wasm-kernels: labels must be int32, got ${t.dtype}`);
  const data = b.dataIdMap.get(t.dataId);
  if (!data) throw new Error('@emoje/wasm-kernels: labels is not a tensor of this wasm backend');
  return data.memoryOffset;
}

/** Runs `body` with `floats` float32 of scratch from the backend's allocator (at least 4 bytes), freed afterwards. */
function withScratch<T>(b: WasmBackendLike, floats: number, body: (offset: number) => T): T {
  const offset = b.wasm._malloc(Math.max(floats, 1) * 4);
  try {
    return body(offset);
  } finally {
    b.wasm._free(offset);
  }
}

function focalArgs(b: WasmBackendLike, inputs: Inputs, attrs: tf.NamedAttrMap | undefined) {
  const { gamma, hasWeights } = attrs as unknown as { gamma: number; hasWeights: boolean };
  const [rows, classes] = inputs.logits.shape;
  return {
    gamma,
    rows,
    classes,
    logits: offsetOf(b, inputs.logits, 'logits'),
    labels: labelsOffset(b, inputs.labels),
    weights: hasWeights ? offsetOf(b, inputs.weights, 'weights') : 0,
  };
}

function focalLossForward({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const b = backend as WasmBackendLike;
  const a = focalArgs(b, inputs, attrs);
  const loss = output(b, []);
  exportsFor(b).emoje_focal_loss_forward(a.logits, a.labels, a.weights, loss.offset, a.rows, a.classes, a.gamma);
  return loss.info;
}

function focalLossGrad({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const b = backend as WasmBackendLike;
  const a = focalArgs(b, inputs, attrs);
  const dlogits = output(b, [a.rows, a.classes]);
  exportsFor(b).emoje_focal_loss_backward(offsetOf(b, inputs.dy, 'dy'), a.logits, a.labels, a.weights, dlogits.offset, a.rows, a.classes, a.gamma);
  return dlogits.info;
}

function guidedNceForward({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo[] {
  const b = backend as WasmBackendLike;
  const { inverseTemperature, keepStatistics } = attrs as unknown as { inverseTemperature: number; keepStatistics: boolean };
  const [n, d] = inputs.x.shape;
  const loss = output(b, []);
  const kept = keepStatistics ? { softmax: output(b, [n, n]), unit: output(b, [n, d]), norm: output(b, [n]) } : null;
  const k = exportsFor(b);
  withScratch(b, n * n + n + (kept ? 0 : n * d), (scratch) =>
    k.emoje_guided_nce_forward(
      offsetOf(b, inputs.x, 'x'),
      offsetOf(b, inputs.candidate, 'candidate'),
      offsetOf(b, inputs.positive, 'positive'),
      loss.offset,
      kept ? kept.softmax.offset : 0,
      kept ? kept.unit.offset : 0,
      kept ? kept.norm.offset : 0,
      scratch,
      n,
      d,
      inverseTemperature,
    ),
  );
  return kept ? [loss.info, kept.softmax.info, kept.unit.info, kept.norm.info] : [loss.info];
}

function guidedNceGrad({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const b = backend as WasmBackendLike;
  const { inverseTemperature } = attrs as unknown as { inverseTemperature: number };
  const [n, d] = inputs.unit.shape;
  const dx = output(b, [n, d]);
  const k = exportsFor(b);
  withScratch(b, n * n + n * d, (scratch) =>
    k.emoje_guided_nce_backward(
      offsetOf(b, inputs.dy, 'dy'),
      offsetOf(b, inputs.softmax, 'softmax'),
      offsetOf(b, inputs.unit, 'unit'),
      offsetOf(b, inputs.norm, 'norm'),
      offsetOf(b, inputs.candidate, 'candidate'),
      offsetOf(b, inputs.positive, 'positive'),
      dx.offset,
      scratch,
      n,
      d,
      inverseTemperature,
    ),
  );
  return dx.info;
}

function jointOffsets(b: WasmBackendLike, inputs: Inputs) {
  const [n, m, e] = inputs.z.shape;
  return { n, m, e, z: offsetOf(b, inputs.z, 'z'), present: offsetOf(b, inputs.present, 'present'), inverseTemperature: offsetOf(b, inputs.inverseTemperature, 'inverseTemperature') };
}

function jointNceForward({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const b = backend as WasmBackendLike;
  const j = jointOffsets(b, inputs);
  const loss = output(b, []);
  const k: KernelExports = exportsFor(b);
  withScratch(b, 2 * j.n * j.e + 2 * j.n * j.n + 3 * j.n, (scratch) =>
    k.emoje_joint_nce_forward(j.z, j.present, j.inverseTemperature, loss.offset, scratch, j.n, j.m, j.e),
  );
  return loss.info;
}

function jointNceGrad({ inputs, backend }: KernelArgs): tf.TensorInfo[] {
  const b = backend as WasmBackendLike;
  const j = jointOffsets(b, inputs);
  const dz = output(b, [j.n, j.m, j.e]);
  const dInverseTemperature = output(b, []);
  const k = exportsFor(b);
  withScratch(b, 4 * j.n * j.e + 2 * j.n * j.n + 3 * j.n, (scratch) =>
    k.emoje_joint_nce_backward(offsetOf(b, inputs.dy, 'dy'), j.z, j.present, j.inverseTemperature, dz.offset, dInverseTemperature.offset, scratch, j.n, j.m, j.e),
  );
  return [dz.info, dInverseTemperature.info];
}

function mseOffsets(b: WasmBackendLike, inputs: Inputs) {
  // Any rank: the rows are every axis but the last, flattened (the mask holds one entry per row).
  const shape = inputs.prediction.shape;
  const d = shape[shape.length - 1];
  const rows = d > 0 ? shape.reduce((a, v) => a * v, 1) / d : 0;
  return { rows, d, prediction: offsetOf(b, inputs.prediction, 'prediction'), target: offsetOf(b, inputs.target, 'target'), mask: offsetOf(b, inputs.mask, 'mask') };
}

function maskedMseForward({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const b = backend as WasmBackendLike;
  const o = mseOffsets(b, inputs);
  const loss = output(b, []);
  exportsFor(b).emoje_masked_mse_forward(o.prediction, o.target, o.mask, loss.offset, o.rows, o.d);
  return loss.info;
}

function maskedMseGrad({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo[] {
  const b = backend as WasmBackendLike;
  const { targetGradient } = attrs as unknown as { targetGradient: boolean };
  const o = mseOffsets(b, inputs);
  const dprediction = output(b, [...inputs.prediction.shape]);
  const dtarget = targetGradient ? output(b, [...inputs.prediction.shape]) : null;
  exportsFor(b).emoje_masked_mse_backward(offsetOf(b, inputs.dy, 'dy'), o.prediction, o.target, o.mask, dprediction.offset, dtarget ? dtarget.offset : 0, o.rows, o.d);
  return dtarget ? [dprediction.info, dtarget.info] : [dprediction.info];
}

export const lossKernels: tf.KernelConfig[] = [
  { kernelName: FusedKernel.FocalLoss, backendName: 'wasm', kernelFunc: focalLossForward as unknown as tf.KernelFunc },
  { kernelName: FusedKernel.FocalLossGrad, backendName: 'wasm', kernelFunc: focalLossGrad as unknown as tf.KernelFunc },
  { kernelName: FusedKernel.GuidedNce, backendName: 'wasm', kernelFunc: guidedNceForward as unknown as tf.KernelFunc },
  { kernelName: FusedKernel.GuidedNceGrad, backendName: 'wasm', kernelFunc: guidedNceGrad as unknown as tf.KernelFunc },
  { kernelName: FusedKernel.JointNce, backendName: 'wasm', kernelFunc: jointNceForward as unknown as tf.KernelFunc },
  { kernelName: FusedKernel.JointNceGrad, backendName: 'wasm', kernelFunc: jointNceGrad as unknown as tf.KernelFunc },
  { kernelName: FusedKernel.MaskedMse, backendName: 'wasm', kernelFunc: maskedMseForward as unknown as tf.KernelFunc },
  { kernelName: FusedKernel.MaskedMseGrad, backendName: 'wasm', kernelFunc: maskedMseGrad as unknown as tf.KernelFunc },
];
