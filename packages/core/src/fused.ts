import * as tf from '@tensorflow/tfjs-core';

/**
 * Names and contracts of the fused kernels the blocks use where a backend provides them. The blocks never name a
 * backend: they ask the kernel registry whether the current backend has the kernel, and otherwise run the same
 * computation op by op. `@emoje/wasm-kernels` registers them for the wasm backend.
 *
 * - `EmojeLinear`: inputs `x [M, N, in]`, `w0..w{M-1} [in, out]`, `b0..b{M-1} [out]` when `hasBias`; attrs
 *   `streams` (M), `activation` ({@link ACTIVATION_CODES}), `hasBias`, `keepPreactivation`. Outputs
 *   `y = act(x[m] w_m + b_m)` `[M, N, out]`, and with `keepPreactivation` also the pre-activation `z` (same shape).
 * - `EmojeLinearGrad`: inputs `dy`, `x`, `z` (when the activation is not linear; else `dy` again), `w0..`; attrs
 *   `streams`, `activation`, `hasBias`. Outputs `dx`, `dw0..`, and `db0..` when `hasBias`.
 * - `EmojeLayerNorm`: inputs `x [M, N, D]`, `gamma0..`, `beta0.. [D]`; attrs `streams`, `epsilon`, `keepStatistics`.
 *   Outputs `y`, and with `keepStatistics` also `xhat [M, N, D]` and `rstd [M, N]`.
 * - `EmojeLayerNormGrad`: inputs `dy`, `xhat`, `rstd`, `gamma0..`; attrs `streams`. Outputs `dx`, `dgamma0..`,
 *   `dbeta0..`.
 * - `EmojeAdamW`: one AdamW step over K variables (`FlatAdamW` in @emoje/model). Inputs `g0..g{K-1}` (the
 *   gradients, float32, each the size of its variable, any shape), `w0..w{K-1}` (the variables' values), `m` and `v`
 *   (the flat first and second moments, `[n]` with n the sizes added up, variables in input order), `mask` (`[n]`,
 *   1 where weight decay applies and 0 elsewhere; left out when nothing decays) and `average` (`[n]`, the moving
 *   average before this step; left out on the first step). Attrs `count` (K), `learningRate`, `beta1`, `beta2`,
 *   `epsilon`, `step` (t, from 1, for the bias corrections `1 - beta^t`), `clipNorm` (0 = no clipping),
 *   `weightDecay`, `averageDecay` (0 = no average). Outputs the K new values (the variables' shapes), the new `m`
 *   and `v`, and when `averageDecay > 0` the new average (`[n]`; the new values themselves when no `average` was
 *   given). Per element, in float32 and in this order: `g' = g * clipNorm / max(norm, clipNorm)` with `norm` the
 *   global norm of every gradient (when clipping; its squares may be added up in any order, the one difference
 *   allowed from the op-by-op step), `m' = m beta1 + g' (1 - beta1)`,
 *   `v' = v beta2 + g'^2 (1 - beta2)`, `stepped = w - (m' / c1) / (sqrt(v' / c2) + epsilon) * learningRate`,
 *   `w' = stepped - stepped * (mask * learningRate * weightDecay)`, and
 *   `average' = average d + w' (1 - d)` with `d = min(averageDecay, (1 + t) / (10 + t))`.
 */
export const FusedKernel = {
  Linear: 'EmojeLinear',
  LinearGrad: 'EmojeLinearGrad',
  LayerNorm: 'EmojeLayerNorm',
  LayerNormGrad: 'EmojeLayerNormGrad',
  AdamW: 'EmojeAdamW',
} as const;

export type FusedKernelName = (typeof FusedKernel)[keyof typeof FusedKernel];

/** Activation codes of the fused linear kernels. */
export const ACTIVATION_CODES = { linear: 0, gelu: 1, relu: 2, tanh: 3 } as const;

let enabled = true;

/**
 * Turns the use of registered fused kernels on or off (on by default). Off, every block runs its op-by-op
 * composition on every backend: the benchmarks use it to measure both, the tests to compare them.
 */
export function setFusedKernelsEnabled(on: boolean): void {
  enabled = on;
}

/** Whether registered fused kernels are used (see {@link setFusedKernelsEnabled}). */
export function fusedKernelsEnabled(): boolean {
  return enabled;
}

/** True when fused kernels are on and the current backend registers `name`. */
export function hasFusedKernel(name: FusedKernelName): boolean {
  return enabled && tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** Runs a registered fused kernel and returns its outputs as a list. */
export function runFused(name: FusedKernelName, inputs: tf.NamedTensorMap, attrs: Record<string, number | boolean>): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}

/** Names the per-stream inputs of a fused kernel: `w0, w1, ...`. */
export function streamInputs(prefix: string, tensors: readonly tf.Tensor[]): tf.NamedTensorMap {
  const map: tf.NamedTensorMap = {};
  tensors.forEach((t, i) => (map[`${prefix}${i}`] = t));
  return map;
}
