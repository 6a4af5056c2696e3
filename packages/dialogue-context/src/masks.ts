import * as tf from '@tensorflow/tfjs-core';
import { withoutTape } from '@emoje/core';

// Every mask here is a constant of the inputs: built off the gradient tape (see withoutTape), none passes a gradient back.

/** `[B, U]` float32: 1 where the utterance is real (mask > 0), 0 otherwise (NaN counts as padding). */
export function realUtterances(utteranceMask: tf.Tensor): tf.Tensor {
  // A float32 mask is compared as it is (casting it to float32 would only copy it).
  return withoutTape(() => tf.cast(tf.greater(utteranceMask.dtype === 'float32' ? utteranceMask : tf.cast(utteranceMask, 'float32'), 0), 'float32'));
}

/**
 * Speaker ids as float32 `[B, U]`, with padded utterances' ids (whatever they hold, NaN
 * included) replaced by 0.
 */
export function cleanSpeakerIds(speakers: tf.Tensor, real: tf.Tensor): tf.Tensor {
  return withoutTape(() => {
    const ids = tf.cast(speakers, 'float32');
    return tf.where(tf.greater(real, 0), ids, tf.zerosLike(ids));
  });
}

/**
 * One-hot speaker codes `[B, U, maxSpeakers]` built by comparison (no `tf.oneHot` or
 * `tf.gather`, whose gradients are not available on every backend). Padded utterances,
 * and any id outside `[0, maxSpeakers)`, get an all-zero row.
 */
export function speakerOneHot(ids: tf.Tensor, real: tf.Tensor, maxSpeakers: number): tf.Tensor {
  return withoutTape(() => {
    const range = tf.reshape(tf.range(0, maxSpeakers, 1, 'float32'), [1, 1, maxSpeakers]);
    const hits = tf.cast(tf.equal(tf.expandDims(ids, -1), range), 'float32');
    return tf.mul(hits, tf.expandDims(real, -1));
  });
}

/** `[U, U]` lower-triangular ones: entry (i, j) is 1 iff j <= i. */
export function causalMask(length: number): tf.Tensor {
  const values = new Float32Array(length * length);
  for (let i = 0; i < length; i++) {
    for (let j = 0; j <= i; j++) values[i * length + j] = 1;
  }
  return tf.tensor2d(values, [length, length]);
}

/**
 * Attention masks `[B, U, U]` (query i, key j; 1 = may attend):
 * - `global`: key j is a real utterance (and j <= i when `causal`);
 * - `speaker`: as `global`, and speaker j equals speaker i.
 * A real query always sees itself, so no real row is empty.
 */
export function contextMasks(
  real: tf.Tensor,
  ids: tf.Tensor,
  causal: boolean,
): { global: tf.Tensor; speaker: tf.Tensor } {
  return tf.tidy(() => {
    const [b, u] = real.shape as number[];
    const global = withoutTape(() => {
      const all = tf.broadcastTo(tf.expandDims(real, 1), [b, u, u]);
      return causal ? tf.mul(all, tf.expandDims(causalMask(u), 0)) : all;
    });
    const speaker = withoutTape(() => tf.mul(global, tf.cast(tf.equal(tf.expandDims(ids, 2), tf.expandDims(ids, 1)), 'float32')));
    return { global, speaker };
  });
}
