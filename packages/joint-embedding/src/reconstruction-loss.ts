import * as tf from '@tensorflow/tfjs-core';
import { FusedKernel, assertOneOf, assertTensorShape, hasFusedKernel, recordingGradients, runFused, stopGradient, zeroMasked } from '@emoje/core';
import { RECONSTRUCT_FROM, binaryAvailability, sourceMask, type ReconstructFrom } from './sources';

/** Options of {@link reconstructionLoss}. */
export interface ReconstructionLossOptions {
  /** Treat the target `c` as a constant (`stopGradient`), so the loss trains only the decoder path. Defaults to true. */
  stopTargetGradient?: boolean;
  /** The reconstruction sources the layer used (`JointEmbedding`'s `reconstructFrom`). Defaults to `'others'`. */
  reconstructFrom?: ReconstructFrom;
}

/**
 * Reconstruction loss `L_rec` of the compensation decoder: the mean squared error between the
 * reconstruction and the descriptor over the slots that can be scored,
 *
 * ```
 * S     = {(utterance, m) : m present and m has a reconstruction source}   (sourceMask)
 * L_rec = 1 / (|S| · D) · sum_{(i, m) in S} || rec_{i,m} - sg(c_{i,m}) ||²
 * ```
 *
 * With `'others'` a source is another present modality, so a lone present modality is not scored
 * (its reconstruction is 0 by construction). `sg` is `stopGradient` unless `stopTargetGradient` is false.
 * Slots outside `S` are zeroed first, whatever they hold (NaN included). No scored slot gives 0 with
 * a zero (finite) gradient. Where the backend registers the fused `EmojeMaskedMse` kernel (the wasm kernels) the
 * error is one kernel each way; elsewhere it runs op by op, with the same values.
 *
 * @param reconstruction `[B, U, M, D]`, the layer's second output.
 * @param c the descriptors `[B, U, M, D]` fed to the layer.
 * @param availability `[B, U, M]`, 1 = present (0 on padded utterances).
 * @returns a scalar; the caller owns it.
 * @throws {EmojeInputError} naming `reconstruction`, `c`, `availability` or `reconstructFrom` on bad input.
 */
export function reconstructionLoss(
  reconstruction: tf.Tensor,
  c: tf.Tensor,
  availability: tf.Tensor,
  { stopTargetGradient = true, reconstructFrom = 'others' }: ReconstructionLossOptions = {},
): tf.Scalar {
  assertTensorShape('reconstruction', reconstruction, [null, null, null, null], 'reconstruction is [B, U, M, D]');
  const [b, u, m, d] = reconstruction.shape;
  assertTensorShape('c', c, [b, u, m, d], 'c must match reconstruction');
  assertTensorShape('availability', availability, [b, u, m], 'availability is [B, U, M], matching reconstruction');
  assertOneOf('reconstructFrom', reconstructFrom, RECONSTRUCT_FROM);
  return tf.tidy(() => {
    const present = binaryAvailability(availability);
    const scored = tf.mul(present, sourceMask(present, reconstructFrom));
    if (hasFusedKernel(FusedKernel.MaskedMse) && reconstruction.dtype === 'float32' && c.dtype === 'float32') {
      // The kernels read [B, U, M, D] as B·U·M rows (no reshape, forward or backward).
      return fusedMaskedMse(reconstruction, c, scored, !stopTargetGradient);
    }
    const prediction = zeroMasked(reconstruction, scored);
    const cleanTarget = zeroMasked(c, scored);
    const target = stopTargetGradient ? stopGradient(cleanTarget) : cleanTarget;
    const total = tf.sum(tf.square(tf.sub(prediction, target)));
    const count = tf.mul(tf.sum(scored), d);
    return tf.div(total, tf.maximum(count, 1)) as tf.Scalar;
  });
}

/**
 * The fused `EmojeMaskedMse` kernel on `prediction, target [R, D]` and `mask [R]`; while a gradient is recorded, its
 * gradient is the fused `EmojeMaskedMseGrad` kernel, reaching `target` only with `targetGradient`.
 */
function fusedMaskedMse(prediction: tf.Tensor, target: tf.Tensor, mask: tf.Tensor, targetGradient: boolean): tf.Scalar {
  if (!recordingGradients()) return runFused(FusedKernel.MaskedMse, { prediction, target, mask }, {})[0] as tf.Scalar;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const p = args[0] as tf.Tensor;
    const t = targetGradient ? (args[1] as tf.Tensor) : target;
    save([p, t, mask]);
    return {
      value: runFused(FusedKernel.MaskedMse, { prediction: p, target: t, mask }, {})[0],
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        runFused(FusedKernel.MaskedMseGrad, { dy, prediction: saved[0], target: saved[1], mask: saved[2] }, { targetGradient }),
    };
  });
  return (targetGradient ? op(prediction, target) : op(prediction)) as tf.Scalar;
}
