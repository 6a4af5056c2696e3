import * as tf from '@tensorflow/tfjs-core';
import { randomTensor } from '@emoje/test-utils';

/**
 * Availability `[B, U, M]` with a varied pattern: a padded tail on every dialogue but the first
 * (all zeros), an utterance with a single modality, and some missing modalities.
 */
export function availabilityPattern(b: number, u: number, m: number): tf.Tensor {
  const values: number[] = [];
  for (let i = 0; i < b; i++) {
    const length = i === 0 ? u : Math.max(1, u - i);
    for (let t = 0; t < u; t++) {
      for (let k = 0; k < m; k++) {
        if (t >= length) values.push(0);
        else if (t === 0) values.push(1);
        else if (t === 1) values.push(k === 0 ? 1 : 0);
        else values.push((i + t + k) % 3 === 0 && k !== t % m ? 0 : 1);
      }
    }
  }
  return tf.tensor3d(values, [b, u, m]);
}

/** `x` with its masked slots (mask 0; mask has the leading dims of x) replaced by `fill` (a number, NaN, or 'random'). */
export function fillMasked(x: tf.Tensor, mask: tf.Tensor, fill: number | 'random', seed = 99): tf.Tensor {
  return tf.tidy(() => {
    let m = mask;
    while (m.rank < x.rank) m = tf.expandDims(m, -1);
    const keep = tf.greater(tf.broadcastTo(m, x.shape), 0);
    const garbage = fill === 'random' ? tf.mul(randomTensor(x.shape, seed), 50) : tf.fill(x.shape, fill);
    return tf.where(keep, x, garbage);
  });
}

/** Random descriptors `[B, U, M, D]` and the varied availability pattern. */
export function makeInputs(b: number, u: number, m: number, d: number, seed = 1): { c: tf.Tensor; availability: tf.Tensor } {
  return { c: randomTensor([b, u, m, d], seed), availability: availabilityPattern(b, u, m) };
}

/** Rows of a `[.., M]`-last array as nested JS arrays, for hand-computed expectations. */
export function toArray3(x: tf.Tensor): number[][][] {
  return x.arraySync() as number[][][];
}
