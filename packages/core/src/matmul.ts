import * as tf from '@tensorflow/tfjs-core';

function swapLastTwo(x: tf.Tensor): tf.Tensor {
  const rank = x.rank;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return tf.transpose(x, perm);
}

/**
 * `a @ b` whose gradient transposes explicitly instead of passing
 * `transposeA`/`transposeB` to matMul. On the wasm backend a flagged matMul is
 * about 10x slower than an explicit transpose followed by a plain one, and the
 * built-in gradient uses the flags. The gradient is scoped to this function
 * (tf.customGrad), so no global registry entry changes for other models.
 */
const plainMatMul = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved;
      return [tf.matMul(dy as tf.Tensor2D, swapLastTwo(sb) as tf.Tensor2D), tf.matMul(swapLastTwo(sa) as tf.Tensor2D, dy as tf.Tensor2D)];
    },
  };
});

/**
 * True while a gradient tape records (inside tf.grad / variableGrads), as tfjs decides it: not inside the forward
 * function of a custom-gradient op (or {@link withoutTape}), whose ops are not recorded. Unknown engine state counts
 * as recording.
 */
export function recordingGradients(): boolean {
  const state = tf.engine().state as { gradientDepth?: number; kernelDepth?: number };
  if (state.gradientDepth === undefined) return true;
  return state.gradientDepth > 0 && (state.kernelDepth ?? 0) === 0;
}

/**
 * Matrix product of rank-2 or rank-3 tensors (rank 3: equal batch sizes), with an
 * explicit-transpose gradient that is fast on wasm. Same values and gradients as `tf.matMul`.
 */
export function matMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  return tf.tidy(() => {
    const left = transposeA ? swapLastTwo(a) : a;
    const right = transposeB ? swapLastTwo(b) : b;
    // With no gradient being recorded (inference) the custom-gradient wrapper only adds overhead.
    if (!recordingGradients()) return tf.matMul(left as tf.Tensor2D, right as tf.Tensor2D);
    return plainMatMul(left, right) as tf.Tensor;
  });
}
