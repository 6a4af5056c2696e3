import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

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
