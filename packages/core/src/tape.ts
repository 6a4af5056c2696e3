import * as tf from '@tensorflow/tfjs-core';
import { recordingGradients } from './matmul';

/**
 * Runs `f` without recording its ops on the gradient tape, for tensors no gradient flows through (masks built from
 * the inputs, constants). While a gradient is recorded, every op tfjs runs adds a tape node and keeps a copy (an
 * `Identity` kernel) of each tensor its gradient would read, and `tf.grad` walks every node; `f`'s ops then add
 * one node with no inputs and copy nothing. Outside a gradient it just calls `f`. The values are those of `f()`.
 *
 * Only for values that must get no gradient: a variable read inside `f` gets none through its result.
 * @returns what `f` returns.
 */
export function withoutTape<T extends tf.Tensor>(f: () => T): T {
  if (!recordingGradients()) return tf.tidy(f);
  const op = tf.customGrad(() => ({ value: f(), gradFunc: () => [] }));
  return op() as T;
}

/**
 * `x * c` where `c` is a constant factor (a mask, a dropout multiplier) broadcasting to `x`'s shape, the product
 * having `x`'s shape. While a gradient is recorded it is one custom-gradient op that keeps `c` alone and whose
 * gradient is `dy * c`: the same values as `tf.mul`'s gradient for `x`, without the copies of both inputs, the
 * casts and reshapes of the built-in gradient, or any gradient for `c` (which gets none).
 * @throws Error when `c` does not broadcast to `x`'s shape.
 */
export function mulByConstant(x: tf.Tensor, c: tf.Tensor): tf.Tensor {
  const shape = tf.broadcast_util.assertAndGetBroadcastShape(x.shape, c.shape);
  if (!tf.util.arraysEqual(shape, x.shape)) {
    throw new Error(`mulByConstant: factor of shape [${c.shape.join(', ')}] does not broadcast to x [${x.shape.join(', ')}]`);
  }
  if (!recordingGradients()) return tf.mul(x, c);
  return scaleByConstant(x, c);
}

const scaleByConstant = (x: tf.Tensor, c: tf.Tensor): tf.Tensor => {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([c]);
    return { value: tf.mul(input, c), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]) };
  });
  return op(x) as tf.Tensor;
};

/**
 * `a + b` for two tensors of one shape (a residual connection). While a gradient is recorded it is one
 * custom-gradient op that keeps no tensor: both gradients are `dy` (the second a copy, so the tape never holds one
 * tensor twice), where `tf.add` keeps copies of both inputs for their shapes and reshapes `dy` twice.
 * @throws Error when the shapes differ.
 */
export function addSameShape(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (!tf.util.arraysEqual(a.shape, b.shape)) {
    throw new Error(`addSameShape: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ`);
  }
  if (!recordingGradients()) return tf.add(a, b);
  return sumOfTwo(a, b);
}

const sumOfTwo = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b] = args as [tf.Tensor, tf.Tensor];
  return { value: tf.add(a, b), gradFunc: (dy: tf.Tensor) => [dy, tf.clone(dy)] };
}) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/**
 * `x / c` where `c` is a constant divisor broadcasting to `x`'s shape (counts, norms computed off the tape). While
 * a gradient is recorded it is one custom-gradient op keeping `c` alone, with the gradient `dy / c` of `tf.div`.
 * @throws Error when `c` does not broadcast to `x`'s shape.
 */
export function divByConstant(x: tf.Tensor, c: tf.Tensor): tf.Tensor {
  const shape = tf.broadcast_util.assertAndGetBroadcastShape(x.shape, c.shape);
  if (!tf.util.arraysEqual(shape, x.shape)) {
    throw new Error(`divByConstant: divisor of shape [${c.shape.join(', ')}] does not broadcast to x [${x.shape.join(', ')}]`);
  }
  if (!recordingGradients()) return tf.div(x, c);
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([c]);
    return { value: tf.div(input, c), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.div(dy, saved[0]) };
  });
  return op(x) as tf.Tensor;
}

/**
 * Per entry along `axis` (kept), the sum of the other entries: `sum(x, axis) - x`, e.g. per modality stream
 * `[M, N, D]` the sum of the other streams. While a gradient is recorded it is one custom-gradient op keeping no
 * tensor, with the gradient `sum(dy, axis) - dy` (the values of the op-by-op chain's).
 */
export function sumOfOthers(x: tf.Tensor, axis: number): tf.Tensor {
  const positive = axis < 0 ? x.rank + axis : axis;
  if (!recordingGradients()) return tf.sub(tf.sum(x, positive, true), x);
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input] = args as [tf.Tensor];
    return {
      value: tf.sub(tf.sum(input, positive, true), input),
      gradFunc: (dy: tf.Tensor) => tf.sub(tf.sum(dy, positive, true), dy),
    };
  });
  return op(x) as tf.Tensor;
}

/**
 * `Σ_i weights[i] * terms[i]` for tensors of one shape (a total loss from its weighted terms), summed in the order
 * given, each term multiplied by its weight unless the weight is 1: the values of
 * `tf.addN(terms.map((t, i) => tf.mul(weights[i], t)))` with the unit products left out. While a gradient is
 * recorded it is one custom-gradient op that keeps no tensor, with the gradient `weights[i] * dy` for term `i` (the
 * values of tf.mul's gradient): `tf.mul` would keep copies of both of its inputs and cast the weight in its
 * gradient, and `tf.addN` copy `dy` once per term.
 * @throws Error when there is no term, the counts of terms and weights differ, or the shapes differ.
 */
export function weightedTotal(terms: readonly tf.Tensor[], weights: readonly number[]): tf.Tensor {
  if (terms.length === 0 || terms.length !== weights.length) {
    throw new Error(`weightedTotal: ${terms.length} terms and ${weights.length} weights (at least one of each, as many weights as terms)`);
  }
  const shape = terms[0].shape;
  for (const t of terms) {
    if (!tf.util.arraysEqual(t.shape, shape)) throw new Error(`weightedTotal: shapes [${shape.join(', ')}] and [${t.shape.join(', ')}] differ`);
  }
  const scaled = (ts: readonly tf.Tensor[]) => ts.map((t, i) => (weights[i] === 1 ? t : tf.mul(t, weights[i])));
  // One term is still multiplied (by 1 too): the result is a new tensor, never the caller's.
  const total = (ts: readonly tf.Tensor[]) => (ts.length === 1 ? tf.mul(ts[0], weights[0]) : tf.addN(scaled(ts)));
  if (!recordingGradients()) return tf.tidy(() => total(terms));
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const inputs = args.slice(0, -1) as tf.Tensor[];
    return {
      value: total(inputs),
      gradFunc: (dy: tf.Tensor) => {
        let dyUsed = false;
        return weights.map((w) => {
          if (w !== 1) return tf.mul(dy, w);
          if (dyUsed) return tf.clone(dy);
          dyUsed = true;
          return dy;
        });
      },
    };
  });
  return op(...terms) as tf.Tensor;
}
