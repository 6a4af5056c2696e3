import * as tf from '@tensorflow/tfjs-core';
import { recordingGradients } from './matmul';
import { FusedKernel, hasFusedKernel, runFused } from './fused';
import { withoutTape } from './tape';

/** A large negative logit for masked positions: exp() of it underflows to exactly 0 in float32. */
export const MASKED_LOGIT = -1e9;

/**
 * Replaces the entries of `x` where `mask` is 0 by zeros, whatever they hold (NaN and
 * Infinity included). Multiplying by the mask would not do: `NaN * 0` is NaN.
 * `mask` has the leading dimensions of `x` (missing trailing ones are broadcast) and gets no gradient.
 * While a gradient is recorded it is one custom-gradient op keeping only the 0/1 condition, with the built-in
 * `where` gradient `dy * keep` (the same values, a few kernels and tape nodes fewer).
 */
export function zeroMasked(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    if (x.dtype === 'float32' && mask.rank <= x.rank && mask.shape.every((d, i) => d === x.shape[i]) && hasFusedKernel(FusedKernel.ZeroMasked)) {
      return fusedZeroMasked(x, mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32'));
    }
    let m = mask;
    while (m.rank < x.rank) m = tf.expandDims(m, -1);
    const select = (input: tf.Tensor): { keep: tf.Tensor; value: tf.Tensor } => {
      // Broadcast by an add, not broadcastTo: its Tile kernel is an order of magnitude slower on wasm.
      // tf.zeros, not zerosLike(x): the condition must not be on the gradient path of x.
      const zeros = tf.zeros(input.shape, input.dtype);
      const keep = tf.greater(tf.add(zeros, m), 0);
      // The Select kernel itself: tf.where first copies its three (here equal-shaped) inputs through broadcastTo.
      return { keep, value: tf.engine().runKernel(tf.Select, { condition: keep, t: input, e: zeros }) as tf.Tensor };
    };
    if (!recordingGradients()) return select(x).value;
    const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
      const { keep, value } = select(input);
      save([keep]);
      return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.cast(saved[0], dy.dtype)) };
    });
    return op(x) as tf.Tensor;
  });
}

/** {@link zeroMasked} as the fused `EmojeZeroMasked` kernel, whose gradient is the same kernel on `dy`. */
function fusedZeroMasked(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  if (!recordingGradients()) return runFused(FusedKernel.ZeroMasked, { x, mask }, {})[0];
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([mask]);
    return {
      value: runFused(FusedKernel.ZeroMasked, { x: input, mask }, {})[0],
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => runFused(FusedKernel.ZeroMasked, { x: dy, mask: saved[0] }, {})[0],
    };
  });
  return op(x) as tf.Tensor;
}

/**
 * Mean over `axis` of the entries whose `mask` is 1 (mask has the shape of `x`
 * without its last dimension when `axis` is not the last). Rows with no entry give zeros.
 * Assumes masked entries are finite (use {@link zeroMasked} first). `mask` gets no gradient; while a gradient
 * is recorded the mean is one custom-gradient op whose gradient `(dy / count) * mask` has the values of the
 * op-by-op chain's.
 */
export function maskedMean(x: tf.Tensor, mask: tf.Tensor, axis: number): tf.Tensor {
  return tf.tidy(() => {
    let m = mask;
    while (m.rank < x.rank) m = tf.expandDims(m, -1);
    const positive = axis < 0 ? x.rank + axis : axis;
    const full = tf.broadcast_util.assertAndGetBroadcastShape(x.shape, m.shape);
    if (!recordingGradients() || !tf.util.arraysEqual(full, x.shape)) {
      return tf.div(tf.sum(tf.mul(x, m), positive), tf.maximum(tf.sum(m, positive), 1e-9));
    }
    const weights = m;
    const count = withoutTape(() => tf.maximum(tf.sum(weights, positive), 1e-9));
    const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
      save([count, weights]);
      return {
        value: tf.div(tf.sum(tf.mul(input, weights), positive), count),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const dx = tf.mul(tf.expandDims(tf.div(dy, saved[0]), positive), saved[1]);
          // A mask with size-1 dimensions where x has more leaves the product short of x's shape.
          return tf.util.arraysEqual(dx.shape, full) ? dx : tf.mul(dx, tf.ones(full));
        },
      };
    });
    return op(x) as tf.Tensor;
  });
}

/**
 * Softmax over the last axis restricted to entries with `mask` 1. Masked entries get
 * probability 0, and a row with no allowed entry is all zeros (not uniform).
 */
export function maskedSoftmax(logits: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    // `mask` broadcasts inside the add and the mul (no broadcastTo: its Tile kernel is slow on wasm).
    const shifted = tf.add(logits, tf.mul(tf.sub(1, mask), MASKED_LOGIT));
    return tf.mul(tf.softmax(shifted), mask);
  });
}

/** 1 where `x` is finite, 0 where it is NaN or infinite. */
export function finiteMask(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.cast(tf.logicalNot(tf.logicalOr(tf.isNaN(x), tf.isInf(x))), 'float32'));
}

/**
 * The identity whose gradient is zero: the target of a reconstruction loss is
 * treated as a constant, so the loss trains the decoder and not the target.
 */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as (x: tf.Tensor) => tf.Tensor;

/**
 * A reduction over `axis` with the dimension kept and a custom gradient: `forward(x, axis)` returns the
 * value and the tensors its gradient needs, `backward(dy, saved)` the gradient of `x`. Built once per axis.
 */
function keptReduction(
  forward: (x: tf.Tensor, axis: number) => { value: tf.Tensor; saved: tf.Tensor[] },
  backward: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor,
): (axis: number) => (x: tf.Tensor) => tf.Tensor {
  const byAxis = new Map<number, (x: tf.Tensor) => tf.Tensor>();
  return (axis) => {
    let fn = byAxis.get(axis);
    if (!fn) {
      fn = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
        const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
        const { value, saved } = forward(x, axis);
        save(saved);
        return { value, gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) => backward(dy, kept) };
      }) as (x: tf.Tensor) => tf.Tensor;
      byAxis.set(axis, fn);
    }
    return fn;
  };
}

/** `logsumexp` over an axis, dimension kept; its gradient is `dy * softmax(x) = dy * exp(x - logsumexp(x))`. */
const logSumExpKept = keptReduction(
  (x, axis) => {
    const shift = tf.max(x, axis, true);
    const value = tf.add(tf.log(tf.sum(tf.exp(tf.sub(x, shift)), axis, true)), shift);
    return { value, saved: [x, value] };
  },
  (dy, [x, value]) => tf.mul(dy, tf.exp(tf.sub(x, value))),
);

/**
 * `log(sum(exp(x)))` over `axis`, computed stably, with the analytic gradient `dy * softmax(x)`.
 * The same values and gradients as `tf.logSumExp`, whose gradient also runs back through the
 * max it shifts by: a broadcast equality mask over all of `x`, slow on wasm for `[n, n]` similarities.
 */
export function logSumExp(x: tf.Tensor, axis: number, keepDims = false): tf.Tensor {
  return tf.tidy(() => {
    const positive = axis < 0 ? x.rank + axis : axis;
    const kept = logSumExpKept(positive)(x);
    return keepDims ? kept : tf.squeeze(kept, [positive]);
  });
}

/**
 * The max over an axis, dimension kept. Where x equals its max, max - x is 0 and step() gives 0;
 * everywhere else it is > 0 and step() gives 1, so the gradient reaches exactly the entries at the max.
 */
const maxKept = keptReduction(
  (x, axis) => {
    const value = tf.max(x, axis, true);
    return { value, saved: [x, value] };
  },
  (dy, [x, value]) => tf.mul(dy, tf.sub(1, tf.step(tf.sub(value, x)))),
);

/**
 * The max of `x` over `axis`, with the same values and gradients as `tf.max` (the gradient reaches
 * every entry equal to the max). tf.max's own gradient compares `x` with the broadcast max by a
 * broadcasting `Equal`, which the wasm backend runs element by element with index arithmetic, about
 * 100x slower than the subtraction and `Step` used here (35 ms against 0.5 ms for a `[176, 42, 64]`
 * token max-pool).
 */
export function reduceMax(x: tf.Tensor, axis: number, keepDims = false): tf.Tensor {
  return tf.tidy(() => {
    const positive = axis < 0 ? x.rank + axis : axis;
    const kept = maxKept(positive)(x);
    return keepDims ? kept : tf.squeeze(kept, [positive]);
  });
}
