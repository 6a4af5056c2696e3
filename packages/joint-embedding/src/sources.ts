import * as tf from '@tensorflow/tfjs-core';
import { withoutTape } from '@emoje/core';

/**
 * Which present modalities a modality's reconstruction is decoded from.
 * - `'others'` (leave-one-out): the present modalities other than the target. This is what
 *   happens at test time, where a missing modality can only be rebuilt from the others.
 * - `'all'`: every present modality, the target included (an autoencoder when it is present).
 */
export type ReconstructFrom = 'others' | 'all';

/** The values {@link ReconstructFrom} accepts, for validation. */
export const RECONSTRUCT_FROM: readonly ReconstructFrom[] = ['others', 'all'];

/**
 * `availability` as exact 0/1 float32: 1 where the entry is greater than 0 (the rule
 * `zeroMasked` uses), 0 elsewhere (NaN included). A constant: built off the gradient tape, it passes no gradient
 * back to `availability`.
 */
export function binaryAvailability(availability: tf.Tensor): tf.Tensor {
  return withoutTape(() => tf.cast(tf.greater(availability, 0), 'float32'));
}

/**
 * The source weights of every target modality: `[..., M, M]` from `availability [..., M]`,
 * entry `[..., m, s]` = 1 when modality `s` is present and feeds the reconstruction of `m`
 * (for `'others'`, `s != m`). Multiplying by the embeddings `[..., M, E]` sums the sources.
 *
 * A constant, built off the gradient tape.
 *
 * @param availability 0/1 presence `[..., M]` (binarise it first with {@link binaryAvailability}).
 */
export function sourceWeights(availability: tf.Tensor, reconstructFrom: ReconstructFrom): tf.Tensor {
  return withoutTape(() => {
    const m = availability.shape[availability.rank - 1] as number;
    const lead = availability.shape.slice(0, -1);
    const present = tf.expandDims(availability, -2);
    const full = tf.broadcastTo(present, [...lead, m, m]);
    if (reconstructFrom === 'all') return tf.clone(full);
    const offDiagonal = tf.sub(1, tf.eye(m));
    return tf.mul(full, offDiagonal);
  });
}

/**
 * 1 where modality m has at least one reconstruction source, `[..., M]`: for `'others'`
 * another present modality, for `'all'` any present modality. The layer decodes (and fills
 * missing slots) only there, and `reconstructionLoss` scores only present slots where this is 1,
 * so both use this one definition.
 *
 * A constant, built off the gradient tape.
 *
 * @param availability 0/1 presence `[..., M]` (binarise it first with {@link binaryAvailability}).
 */
export function sourceMask(availability: tf.Tensor, reconstructFrom: ReconstructFrom): tf.Tensor {
  return withoutTape(() => {
    const counts = tf.sum(sourceWeights(availability, reconstructFrom), -1);
    return tf.cast(tf.greater(counts, 0), 'float32');
  });
}
