import type * as tf from '@tensorflow/tfjs-core';
import { KERNELS_WASM_BASE64 } from './generated/kernels-wasm';

/** The functions csrc/*.c exports; every pointer is a byte offset into the wasm backend's memory. */
export interface KernelExports {
  emoje_dropout(x: number, y: number, multiplier: number, n: number, s0: number, s1: number, s2: number, c: number, keep: number): void;
  emoje_zero_masked(x: number, mask: number, y: number, outer: number, inner: number): void;
  emoje_linear_forward(x: number, w: number, b: number, y: number, z: number, rows: number, inDim: number, outDim: number, act: number): void;
  emoje_linear_backward(dy: number, x: number, w: number, z: number, dx: number, dw: number, db: number, scratch: number, rows: number, inDim: number, outDim: number, act: number): void;
  emoje_layer_norm_forward(x: number, gamma: number, beta: number, y: number, xhat: number, rstd: number, rows: number, d: number, eps: number, act: number): void;
  emoje_layer_norm_backward(dy: number, xhat: number, rstd: number, gamma: number, beta: number, dx: number, dgamma: number, dbeta: number, scratch: number, rows: number, d: number, act: number): void;
  emoje_attention_forward(q: number, k: number, v: number, mask: number, context: number, probabilities: number, keep: number, n: number, tq: number, tk: number, d: number, heads: number, maskStride: number, scale: number): void;
  emoje_attention_backward(dy: number, q: number, k: number, v: number, probabilities: number, dq: number, dk: number, dv: number, scratch: number, n: number, tq: number, tk: number, d: number, heads: number, scale: number): void;
  emoje_focal_loss_forward(logits: number, labels: number, weights: number, loss: number, rows: number, classes: number, gamma: number): void;
  emoje_focal_loss_backward(dy: number, logits: number, labels: number, weights: number, dlogits: number, rows: number, classes: number, gamma: number): void;
  emoje_guided_nce_forward(x: number, candidate: number, positive: number, loss: number, softmax: number, unit: number, norm: number, scratch: number, n: number, d: number, inverseTemperature: number): void;
  emoje_guided_nce_backward(dy: number, softmax: number, unit: number, norm: number, candidate: number, positive: number, dx: number, scratch: number, n: number, d: number, inverseTemperature: number): void;
  emoje_joint_nce_forward(z: number, present: number, inverseTemperature: number, loss: number, scratch: number, n: number, m: number, e: number): void;
  emoje_masked_mse_forward(prediction: number, target: number, mask: number, loss: number, rows: number, d: number): void;
  emoje_masked_mse_backward(dy: number, prediction: number, target: number, mask: number, dprediction: number, dtarget: number, rows: number, d: number): void;
  emoje_joint_nce_backward(dy: number, z: number, present: number, inverseTemperature: number, dz: number, dInverseTemperature: number, scratch: number, n: number, m: number, e: number): void;
  emoje_sum_squares(x: number, n: number): number;
  emoje_adamw_update(
    g: number, w: number, m: number, v: number, mask: number, average: number, wOut: number, mOut: number, vOut: number, averageOut: number, n: number,
    scale: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, correction1: number, correction2: number,
    learningRate: number, epsilon: number, learningRateDecay: number, averageDecay: number, oneMinusAverageDecay: number,
  ): void;
}

/**
 * The parts of tfjs-backend-wasm's `BackendWasm` the kernels use (typed here so no backend is imported). The plain and
 * SIMD builds export their memory (`wasm.asm.memory`); the threaded build imports a shared one, which Emscripten keeps
 * as `wasm.wasmMemory`.
 */
export interface WasmBackendLike {
  wasm: { asm: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory; _malloc(bytes: number): number; _free(offset: number): void };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

/**
 * Which build of the kernels a backend needs: `plain` imports an ordinary memory (tfjs-backend-wasm's plain and SIMD
 * builds), `shared` a shared memory (its threaded SIMD build). Both hold the same kernels, which run on the calling
 * thread.
 */
export type KernelVariant = 'plain' | 'shared';

const instances = new WeakMap<object, KernelExports>();
const compiled = new Map<KernelVariant, Promise<WebAssembly.Module>>();

/** The variant's module; the shared one is loaded on first use, so bundles for the plain backends need not carry it. */
async function moduleBytes(variant: KernelVariant): Promise<Uint8Array> {
  const base64 = variant === 'shared' ? (await import('./generated/kernels-wasm-shared')).KERNELS_WASM_SHARED_BASE64 : KERNELS_WASM_BASE64;
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The wasm memory of a tfjs-backend-wasm backend, exported (plain, SIMD) or imported (threaded), or null. */
export function memoryOf(backend: unknown): WebAssembly.Memory | null {
  const wasm = (backend as Partial<WasmBackendLike> | null)?.wasm;
  const memory = wasm?.asm?.memory ?? wasm?.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

/** The kernel build for a memory: `shared` when its buffer is a SharedArrayBuffer (the threaded backend), else `plain`. */
export function variantFor(memory: WebAssembly.Memory): KernelVariant {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer ? 'shared' : 'plain';
}

/** Why the kernels cannot run on this backend, or null when they can (its plain, SIMD or threaded build). */
export function unsupportedReason(backend: unknown): string | null {
  const b = backend as Partial<WasmBackendLike> | null;
  if (!memoryOf(backend) || typeof b?.makeOutput !== 'function' || !b?.dataIdMap) {
    return 'the backend is not tfjs-backend-wasm 4.x (no wasm memory to share)';
  }
  return null;
}

/** Compiles the variant of the kernels (once per variant) and instantiates it inside the memory. */
export async function instantiateIn(memory: WebAssembly.Memory): Promise<KernelExports> {
  const variant = variantFor(memory);
  let module = compiled.get(variant);
  if (!module) {
    module = moduleBytes(variant).then((bytes) => WebAssembly.compile(bytes as BufferSource));
    compiled.set(variant, module);
  }
  const instance = await WebAssembly.instantiate(await module, { env: { memory } });
  return instance.exports as unknown as KernelExports;
}

/**
 * Compiles the kernels once and instantiates them inside `backend`'s memory: the `shared` variant when the backend
 * runs tfjs-backend-wasm's threaded build, the `plain` one otherwise.
 */
export async function instantiateFor(backend: WasmBackendLike): Promise<KernelExports> {
  const existing = instances.get(backend);
  if (existing) return existing;
  const memory = memoryOf(backend);
  if (!memory) throw new Error('@emoje/wasm-kernels: the backend is not tfjs-backend-wasm 4.x (no wasm memory to share)');
  const exports = await instantiateIn(memory);
  instances.set(backend, exports);
  return exports;
}

/** The kernels instantiated for `backend` (by registerWasmKernels). */
export function exportsFor(backend: WasmBackendLike): KernelExports {
  const found = instances.get(backend);
  if (!found) {
    throw new Error('@emoje/wasm-kernels: this wasm backend was created after registerWasmKernels(); call registerWasmKernels() again');
  }
  return found;
}

/** Byte offset of a float32 tensor's data in the backend's memory. */
export function offsetOf(backend: WasmBackendLike, t: tf.TensorInfo | undefined, field: string): number {
  if (!t) throw new Error(`@emoje/wasm-kernels: input ${field} is missing`);
  if (t.dtype !== 'float32') throw new Error(`@emoje/wasm-kernels: ${field} must be float32, got ${t.dtype}`);
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) throw new Error(`@emoje/wasm-kernels: ${field} is not a tensor of this wasm backend`);
  return data.memoryOffset;
}

/** A float32 output of `shape` and its byte offset. */
export function output(backend: WasmBackendLike, shape: number[]): { info: tf.TensorInfo; offset: number } {
  const info = backend.makeOutput(shape, 'float32');
  madeInThisCall?.push(info);
  return { info, offset: offsetOf(backend, info, 'output') };
}

/** The outputs made by the kernel call under way (see {@link freeingOutputsOnError}). */
let madeInThisCall: tf.TensorInfo[] | null = null;

/**
 * Wraps a kernel function so that a call that throws (a missing or non-float32 input, a bad shape) frees the outputs
 * it had already made: the backend's memory is left as it was, and the error reaches the caller unchanged.
 */
export function freeingOutputsOnError(kernelFunc: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const outer = madeInThisCall;
    const made: tf.TensorInfo[] = [];
    madeInThisCall = made;
    try {
      return kernelFunc(args);
    } catch (error) {
      const backend = args.backend as unknown as { disposeData(dataId: object, force?: boolean): void };
      for (const info of made) backend.disposeData(info.dataId, true);
      throw error;
    } finally {
      madeInThisCall = outer;
    }
  };
}

/** The kernel input `name`, which the op wrappers in @emoje/core always pass. */
export function inputOf(inputs: tf.NamedTensorInfoMap, name: string): tf.TensorInfo {
  const t = inputs[name];
  if (!t) throw new Error(`@emoje/wasm-kernels: the kernel input '${name}' is missing`);
  return t;
}
