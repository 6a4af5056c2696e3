import * as tf from '@tensorflow/tfjs-core';

/**
 * Names and contracts of the fused kernels the blocks use where a backend provides them. The blocks never name a
 * backend: they ask the kernel registry whether the current backend has the kernel, and otherwise run the same
 * computation op by op. `@emoje/wasm-kernels` registers them for the wasm backend.
 *
 * - `EmojeLinear`: inputs `x [M, N, in]`, `w0..w{M-1} [in, out]`, `b0..b{M-1} [out]` when `hasBias`; attrs
 *   `streams` (M), `activation` ({@link ACTIVATION_CODES}), `hasBias`, `keepPreactivation`. Outputs
 *   `y = act(x[m] w_m + b_m)` `[M, N, out]`, and with `keepPreactivation` also the pre-activation `z` (same shape).
 *   `x` may have any rank, read as `[M, N, in]` with its leading dimensions flattened: `y` (and `z`) then have `x`'s
 *   leading shape and last dimension `out`, and the gradient's `dx` has `x`'s shape (no reshape kernels around them).
 * - `EmojeLinearGrad`: inputs `dy`, `x`, `z` (when the activation is not linear; else `dy` again), `w0..`; attrs
 *   `streams`, `activation`, `hasBias`. Outputs `dx`, `dw0..`, and `db0..` when `hasBias`.
 * - `EmojeLayerNorm`: inputs `x [M, N, D]`, `gamma0..`, `beta0.. [D]`; attrs `streams`, `epsilon`, `keepStatistics`,
 *   `activation` ({@link ACTIVATION_CODES}, applied after the affine map; 0 when absent). Outputs `y`, and with
 *   `keepStatistics` also `xhat [M, N, D]` and `rstd [M, N]`. `x` may have any rank, read as `[M, N, D]` with its
 *   leading dimensions flattened: `y` and `xhat` (and the gradient's `dx`) have its shape, `rstd` its leading shape.
 * - `EmojeLayerNormGrad`: inputs `dy`, `xhat`, `rstd`, `gamma0..`, and `beta0..` when the activation is not linear
 *   (the pre-activation is recomputed from them); attrs `streams`, `activation`. Outputs `dx`, `dgamma0..`, `dbeta0..`.
 * - `EmojeAttention`: masked multi-head scaled dot-product attention. Inputs `q [N, Tq, D]`, `k`, `v [N, Tk, D]`,
 *   `mask` float32 `[N, Tk]` (which keys exist) or `[N, Tq, Tk]` (which query may see which key), 0 or 1; attrs
 *   `numHeads` (H, divides D) and `keepProbabilities`. With `dh = D / H` and head `h` reading columns
 *   `h dh .. h dh + dh - 1`: `p = softmax(q_h k_hᵀ / sqrt(dh) + (1 - mask) * -1e9) * mask` over the keys (a masked
 *   key gets 0, a query with no allowed key a row of zeros, as `maskedSoftmax`), `context_h = p v_h`. Outputs the
 *   merged `context [N, Tq, D]`, and with `keepProbabilities` also `p [N, H, Tq, Tk]`.
 * - `EmojeAttentionGrad`: inputs `dy [N, Tq, D]`, `q`, `k`, `v`, `probabilities` (the kept `p`); attrs `numHeads`.
 *   Outputs `dq`, `dk`, `dv`: the gradient of the composition above for a 0/1 mask (the mask gets none).
 * - `EmojeFocalLoss`: inputs `logits [R, C]`, `labels [R]` int32 (-1 = ignored), `weights [C]` when `hasWeights`;
 *   attrs `gamma`, `hasWeights`. Output the scalar `sum_i w_i (1 - p_i)^gamma (-log p_i) / max(sum_i w_i, 1e-8)`,
 *   `p_i` the softmax probability of row i's label, `w_i` its class weight (1 without weights, 0 when ignored).
 * - `EmojeFocalLossGrad`: inputs `dy []`, `logits`, `labels`, `weights` when `hasWeights`; same attrs. Output
 *   `dlogits [R, C]` (0 on ignored rows).
 * - `EmojeGuidedNce`: inputs `x [n, d]`, `candidate [n, n]`, `positive [n, n]`; attrs `inverseTemperature`,
 *   `keepStatistics`. Output the scalar supervised NCE over the rows of `x` made unit (norm floored at 1e-6): logits
 *   `<u_i, u_j> / T` plus `(1 - candidate) MASKED_LOGIT`, `-mean_p log softmax` over each anchor's positives (those
 *   with candidate > 0), then the mean over the anchors with a positive (0 when none has one). With `keepStatistics`
 *   also the row softmax `[n, n]`, the unit rows `[n, d]` and the norms `[n]` (negative where the floor is active).
 * - `EmojeGuidedNceGrad`: inputs `dy []`, `softmax`, `unit`, `norm` (kept by the forward kernel), `candidate`,
 *   `positive`; attr `inverseTemperature`. Output `dx [n, d]`.
 * - `EmojeJointNce`: inputs `z [N, M, E]`, `present [N, M]` (0/1), `inverseTemperature []`. Output the scalar
 *   symmetric InfoNCE averaged over the modality pairs with at least 2 rows where both are present (0 when none).
 * - `EmojeJointNceGrad`: inputs `dy []`, `z`, `present`, `inverseTemperature`. Outputs `dz [N, M, E]` (0 on absent
 *   slots) and `dInverseTemperature []`.
 * - `EmojeMaskedMse`: inputs `prediction [R, D]`, `target [R, D]`, `mask [R]`. Output the scalar
 *   `sum_{r : mask_r > 0} |prediction_r - target_r|² / max(D sum_r mask_r, 1)` (unmasked rows are not read).
 * - `EmojeMaskedMseGrad`: inputs `dy []`, `prediction`, `target`, `mask`; attr `targetGradient`. Outputs
 *   `dprediction [R, D]`, and with `targetGradient` also `dtarget` (0 on unmasked rows). `prediction` and `target` may
 *   have any rank (rows: every axis but the last, flattened; `mask` one entry per row, any shape), the gradients then
 *   having their shape.
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
 * - `EmojeZeroMasked`: inputs `x` float32 and `mask` float32 whose shape is the leading dimensions of `x`'s. Output
 *   `mask > 0 ? x : 0` (exact zeros where the mask is 0, whatever `x` holds there). Its gradient is the same kernel on
 *   `dy` (the mask gets none).
 * - `EmojeDropout`: input `x` float32; attrs `keep` (1 - rate), `s0`, `s1`, `s2`, `c` (the state of tfjs's Alea
 *   generator for the dropout's seed, see `aleaState`) and `keepMultiplier`. Output `y = x * floor(u + keep) / keep`
 *   with `u` the generator's next draws rounded to float32, all in float32: tf.dropout's values and mask bit for bit;
 *   with `keepMultiplier` also the multiplier (for the gradient `dy * multiplier`).
 */
export const FusedKernel = {
  Linear: 'EmojeLinear',
  LinearGrad: 'EmojeLinearGrad',
  LayerNorm: 'EmojeLayerNorm',
  LayerNormGrad: 'EmojeLayerNormGrad',
  Attention: 'EmojeAttention',
  AttentionGrad: 'EmojeAttentionGrad',
  FocalLoss: 'EmojeFocalLoss',
  FocalLossGrad: 'EmojeFocalLossGrad',
  GuidedNce: 'EmojeGuidedNce',
  GuidedNceGrad: 'EmojeGuidedNceGrad',
  JointNce: 'EmojeJointNce',
  JointNceGrad: 'EmojeJointNceGrad',
  MaskedMse: 'EmojeMaskedMse',
  MaskedMseGrad: 'EmojeMaskedMseGrad',
  AdamW: 'EmojeAdamW',
  ZeroMasked: 'EmojeZeroMasked',
  Dropout: 'EmojeDropout',
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
