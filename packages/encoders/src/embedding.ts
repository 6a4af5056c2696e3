import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError, gatherRows } from '@emoje/core';

/**
 * Looks up rows of `table [V, E]` for integer `ids` of any shape, giving `[...ids.shape, E]`.
 *
 * Same values and gradient as `tf.gather(table, ids)`, through `gatherRows` from `@emoje/core`:
 * `tf.gatherND` forward (whole rows, about 60x faster than gather on wasm) and a `tf.scatterND` of
 * the incoming rows into a `[V, E]` zero tensor backward (duplicate ids add up). The stock gather
 * gradient calls the `UnsortedSegmentSum` kernel, which the wasm backend does not have, and
 * which the cpu backend runs in time proportional to `V * N`; `ScatterNd` exists on cpu, wasm,
 * webgl and webgpu and runs in time proportional to `N * E`. The gradient is scoped to this
 * function (`tf.customGrad`), so no global gradient changes.
 *
 * The ids must lie in `[0, V)`; check them first (see {@link assertIdsInRange}), since
 * gather gives silent zeros or garbage for ids out of range.
 */
export function embeddingLookup(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const dim = table.shape[1] as number;
    return tf.reshape(gatherRows(table, tf.reshape(ids, [-1])), [...ids.shape, dim]);
  });
}

/**
 * Throws an {@link EmojeInputError} naming `field` when some id is outside `[0, vocabularySize)`
 * or is not a whole number (NaN included). Reads one flag back from the backend (a small `dataSync`),
 * and the values themselves only to report the first bad one.
 */
export function assertIdsInRange(field: string, ids: tf.Tensor, vocabularySize: number): void {
  const bad = tf.tidy(() => {
    const values = tf.cast(ids, 'float32');
    const ok = tf.logicalAnd(
      tf.logicalAnd(tf.greaterEqual(values, 0), tf.less(values, vocabularySize)),
      tf.equal(tf.floor(values), values),
    );
    return tf.any(tf.logicalNot(ok));
  });
  const anyBad = bad.dataSync()[0] !== 0;
  bad.dispose();
  if (!anyBad) return;
  const values = ids.dataSync();
  let first = 0;
  while (first < values.length) {
    const v = values[first];
    if (!(v >= 0 && v < vocabularySize && Math.floor(v) === v)) break;
    first += 1;
  }
  throw new EmojeInputError(
    field,
    `integer ids in [0, ${vocabularySize})`,
    `${values[first]} at flat index ${first}`,
    'Map unknown tokens to an out-of-vocabulary id and padding to padId',
  );
}
