import * as tf from '@tensorflow/tfjs-core';
import { applyLinear, applyStreamLinear, createLinear, recordingGradients, type InitializerSource, type LinearWeights, type WeightFactory } from '@emoje/core';

/** Weights of a two-layer head `Linear(in -> hidden) -> gelu -> Linear(hidden -> out)`. */
export interface HeadWeights {
  inner: LinearWeights;
  outer: LinearWeights;
}

/**
 * Declares a two-layer head through `add`, so the calling layer owns its weights
 * (`${name}_inner_kernel`, `${name}_inner_bias`, `${name}_outer_kernel`, `${name}_outer_bias`).
 */
export function createHead(
  add: WeightFactory,
  init: InitializerSource,
  name: string,
  inputDim: number,
  hiddenDim: number,
  outputDim: number,
): HeadWeights {
  return {
    inner: createLinear(add, init, `${name}_inner`, inputDim, hiddenDim),
    outer: createLinear(add, init, `${name}_outer`, hiddenDim, outputDim),
  };
}

/** Applies a head made by {@link createHead} over the last axis of `x`. */
export function applyHead(x: tf.Tensor, w: HeadWeights): tf.Tensor {
  return tf.tidy(() => applyLinear(applyLinear(x, w.inner, 'gelu'), w.outer));
}

/** Smallest norm {@link l2Normalize} divides by, so a zero vector stays zero and finite. */
/** {@link applyHead} on stacked streams `x [M, N, in]`, stream `m` through `heads[m]` (one op per step for all streams). */
export function applyStreamHead(x: tf.Tensor, heads: readonly HeadWeights[]): tf.Tensor {
  return tf.tidy(() => applyStreamLinear(applyStreamLinear(x, heads.map((h) => h.inner), 'gelu'), heads.map((h) => h.outer)));
}

export const NORM_EPSILON = 1e-6;

/**
 * `x / max(||x||, epsilon)` over the last axis: unit vectors, with the norm floored so a
 * zero input gives a zero output and a finite gradient (tfjs-layers' `l2Normalize` rule).
 * While a gradient is recorded it is one custom-gradient op keeping `x`, the squared norm and the norm, whose
 * gradient runs the ops of the built-in gradients of `square`, `sum`, `maximum`, `sqrt` and `div` (same values,
 * without the copies of every intermediate).
 */
export function l2Normalize(x: tf.Tensor, epsilon = NORM_EPSILON): tf.Tensor {
  return tf.tidy(() => {
    const floor = epsilon * epsilon;
    const parts = (t: tf.Tensor) => {
      const squared = tf.sum(tf.square(t), -1, true);
      const norm = tf.sqrt(tf.maximum(squared, floor));
      return { squared, norm, value: tf.div(t, norm) };
    };
    if (!recordingGradients()) return parts(x).value;
    const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
      const { squared, norm, value } = parts(input);
      save([input, squared, norm]);
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [x0, s0, n0] = saved;
          // div's gradient for the norm, then sqrt's, maximum's, and square's (sum's only broadcasts).
          const dNorm = tf.sum(tf.neg(tf.div(tf.mul(dy, x0), tf.square(n0))), -1, true);
          const dSquared = tf.mul(tf.div(dNorm, tf.mul(n0, 2)), tf.cast(tf.greaterEqual(s0, floor), 'float32'));
          return tf.add(tf.div(dy, n0), tf.mul(dSquared, tf.mul(x0, 2)));
        },
      };
    });
    return op(x) as tf.Tensor;
  });
}
