/**
 * Fused wasm kernels for emoje's blocks: linear maps with their activation, layer normalisation, masked multi-head
 * attention and the training losses (focal loss, guided NCE, joint InfoNCE, masked reconstruction error), each with a
 * fused gradient, and the AdamW step over every variable at once (FlatAdamW in @emoje/model), compiled from C with wasm
 * SIMD (csrc/) and run inside tfjs-backend-wasm's memory.
 *
 * The blocks stay backend-agnostic: they use a fused kernel only where the current backend registers it
 * (`hasFusedKernel` in @emoje/core) and otherwise run the same computation op by op. The runtimes call
 * {@link registerWasmKernels} after the wasm backend starts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adamWKernels } from './kernels/adamw';
import { attentionKernels } from './kernels/attention';
import { dropoutKernels } from './kernels/dropout';
import { layerNormKernels } from './kernels/layer-norm';
import { linearKernels } from './kernels/linear';
import { lossKernels } from './kernels/losses';
import { maskingKernels } from './kernels/masking';
import { freeingOutputsOnError, instantiateFor, memoryOf, unsupportedReason, variantFor, type KernelVariant, type WasmBackendLike } from './module';

export type { KernelVariant } from './module';

export { FusedKernel, setFusedKernelsEnabled, fusedKernelsEnabled } from '@emoje/core';

/** Every kernel this package registers for the wasm backend. */
export const WASM_KERNEL_CONFIGS: readonly tf.KernelConfig[] = [
  ...linearKernels,
  ...layerNormKernels,
  ...attentionKernels,
  ...lossKernels,
  ...adamWKernels,
  ...maskingKernels,
  ...dropoutKernels,
].map((config) => ({ ...config, kernelFunc: freeingOutputsOnError(config.kernelFunc) }));

/** What {@link registerWasmKernels} did. */
export interface WasmKernelRegistration {
  registered: boolean;
  /** Kernel names now registered for wasm. */
  kernels: string[];
  /**
   * Which build of the kernels runs: `plain` in the memory of tfjs-backend-wasm's plain or SIMD build, `shared` in the
   * shared memory of its threaded SIMD build. Absent when nothing was registered.
   */
  variant?: KernelVariant;
  /** Why nothing was registered (no wasm backend, or not tfjs-backend-wasm 4.x). */
  reason?: string;
}

/**
 * Instantiates the fused kernels inside the wasm backend's memory and registers them for that backend. Call it after
 * `tf.setBackend('wasm')` has resolved (the emoje runtimes do). Safe to call again, e.g. after the backend was
 * re-created. Works with the plain, SIMD and threaded builds of tfjs-backend-wasm: with the threaded build the kernels are
 * instantiated in its shared memory (the `shared` variant) and run on the calling thread, while tfjs's own kernels use
 * its thread pool. Does nothing, and says why, when the wasm backend is missing.
 */
export async function registerWasmKernels(): Promise<WasmKernelRegistration> {
  const backend = tf.engine().registryFactory.wasm ? tf.findBackend('wasm') : null;
  const reason = backend ? unsupportedReason(backend) : 'no wasm backend is registered and initialised';
  if (reason) return { registered: false, kernels: [], reason };
  await instantiateFor(backend as unknown as WasmBackendLike);
  for (const config of WASM_KERNEL_CONFIGS) {
    if (!tf.getKernel(config.kernelName, 'wasm')) tf.registerKernel(config);
  }
  const variant = variantFor(memoryOf(backend) as WebAssembly.Memory);
  return { registered: true, kernels: WASM_KERNEL_CONFIGS.map((c) => c.kernelName), variant };
}

/** Removes the fused kernels from the wasm backend's registry (the blocks then run op by op). */
export function unregisterWasmKernels(): void {
  for (const config of WASM_KERNEL_CONFIGS) {
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
  }
}
