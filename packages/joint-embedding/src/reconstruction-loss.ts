import * as tf from '@tensorflow/tfjs-core';
import { assertOneOf, assertTensorShape, stopGradient, zeroMasked } from '@emoje/core';
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
 * a zero (finite) gradient.
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
    const prediction = zeroMasked(reconstruction, scored);
    const cleanTarget = zeroMasked(c, scored);
    const target = stopTargetGradient ? stopGradient(cleanTarget) : cleanTarget;
    const total = tf.sum(tf.square(tf.sub(prediction, target)));
    const count = tf.mul(tf.sum(scored), d);
    return tf.div(total, tf.maximum(count, 1)) as tf.Scalar;
  });
}
