import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect } from 'vitest';
import { expectClose, expectFinite } from '@emoje/test-utils';
import type { TokenTextEncoder } from '../src/index';

/**
 * Returns `x` with the entries where `mask` (leading dims of x) is 0 replaced by `fill`:
 * `'nan'` for NaN, `'random'` for large random values.
 */
export function fillMasked(x: tf.Tensor, mask: tf.Tensor, fill: 'nan' | 'random', seed = 99): tf.Tensor {
  return tf.tidy(() => {
    let m = tf.cast(mask, 'float32');
    while (m.rank < x.rank) m = tf.expandDims(m, -1);
    const keep = tf.greater(tf.broadcastTo(m, x.shape), 0);
    const filler = fill === 'nan' ? tf.fill(x.shape, NaN) : tf.mul(tf.randomNormal(x.shape, 0, 1, 'float32', seed), 100);
    return tf.where(keep, x, filler);
  });
}

/** Multiplies the entries of `x` by `mask` broadcast over trailing dims (for exact-zero checks). */
export function maskedAbsSum(x: tf.Tensor, mask: tf.Tensor): number {
  return tf.tidy(() => {
    let inverse = tf.sub(1, tf.cast(mask, 'float32'));
    while (inverse.rank < x.rank) inverse = tf.expandDims(inverse, -1);
    return tf.sum(tf.mul(tf.abs(x), inverse)).dataSync()[0];
  });
}

/** Finite-difference check of one layer weight (shared with the other packages' tests). */
export { numericWeightGradient as weightGradient } from '@emoje/test-utils';

export async function saveAndReload(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts) throw new Error('nothing saved');
  return tfl.loadLayersModel(tf.io.fromMemory(artifacts));
}

/** A weighted sum of all outputs with fixed random weights: a scalar loss that touches every entry. */
export function probeLoss(outputs: tf.Tensor | tf.Tensor[], seed = 5): tf.Scalar {
  return tf.tidy(() => {
    const list = Array.isArray(outputs) ? outputs : [outputs];
    let total: tf.Tensor = tf.scalar(0);
    list.forEach((o, i) => {
      total = tf.add(total, tf.sum(tf.mul(o, tf.randomNormal(o.shape, 0, 1, 'float32', seed + i))));
    });
    return total as tf.Scalar;
  });
}

/** Two utterances of token ids per dialogue, two dialogues: some padding, one empty utterance ([1][1]). */
export const PADDED_TOKEN_IDS = [
  [[5, 3, 0, 0], [1, 8, 2, 7]],
  [[4, 0, 0, 0], [0, 0, 0, 0]],
];

/**
 * A token encoder's padding contract on {@link PADDED_TOKEN_IDS}: padded slots give zero token vectors, the empty
 * utterance pools to zeros, appending more padding changes no output of a real token, and garbage in the table's
 * padding row (what padded slots look up) changes nothing. Leaves the padding row of `layer`'s table as garbage.
 */
export function expectPaddingInvariance(layer: TokenTextEncoder): void {
  const ids = tf.tensor3d(PADDED_TOKEN_IDS, undefined, 'int32');
  const [tokens, pooled] = layer.apply(ids) as tf.Tensor[];
  const units = pooled.shape[pooled.rank - 1];
  expectFinite(tokens);
  expect(maskedAbsSum(tokens, tf.notEqual(ids, 0))).toBe(0);
  expectClose(tf.slice(pooled, [1, 1, 0], [1, 1, units]), new Float32Array(units), 0);
  // Three more padded slots (a width-5 kernel reaches 2 past the last real token).
  const longer = tf.concat([ids, tf.zeros([2, 2, 3], 'int32')], 2);
  const [longTokens, longPooled] = layer.apply(longer) as tf.Tensor[];
  expectClose(tf.slice(longTokens, [0, 0, 0, 0], [2, 2, 4, units]), tokens, 1e-6);
  expectClose(longPooled, pooled, 1e-6);
  const table = layer.weights.find((w) => w.name.endsWith('embeddings'))!.read();
  const [v, e] = table.shape;
  layer.setEmbeddings(tf.concat([tf.fill([1, e], 1e6), tf.slice(table, [1, 0], [v - 1, e])], 0) as tf.Tensor2D);
  const [garbageTokens, garbagePooled] = layer.apply(ids) as tf.Tensor[];
  expectClose(garbageTokens, tokens, 1e-6);
  expectClose(garbagePooled, pooled, 1e-6);
}
