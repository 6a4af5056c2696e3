import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError, FusedKernel, MASKED_LOGIT, hasFusedKernel, logSumExp, assertTensorShape, matMul, recordingGradients, runFused, zeroMasked } from '@emoje/core';
import { binaryAvailability } from './sources';

/** Throws unless `temperature` is a positive finite number or a scalar tensor. */
export function checkTemperature(temperature: tf.Scalar | number): void {
  if (typeof temperature === 'number') {
    if (!Number.isFinite(temperature) || temperature <= 0) {
      throw new EmojeInputError('temperature', 'a positive finite number or a scalar tensor', String(temperature));
    }
    return;
  }
  if (!(temperature instanceof tf.Tensor) || temperature.rank !== 0) {
    throw new EmojeInputError(
      'temperature',
      'a positive finite number or a scalar tensor',
      temperature instanceof tf.Tensor ? `a tensor of rank ${temperature.rank}` : String(temperature),
    );
  }
}

/**
 * Symmetric InfoNCE (CLIP-style) over every pair of modalities, the joint-embedding loss `L_joint`.
 *
 * The `N = B·U` utterances are the rows. For a pair of modalities `m < m'`, the valid rows `V` are the
 * utterances where both are present (`availability` is 0 on padded utterances, so they never count).
 * With logits `S_ij = <z_i^m, z_j^m'> / T` restricted to `i, j in V`:
 *
 * ```
 * CE_row(i) = log sum_{j in V} exp(S_ij) - S_ii        (m -> m')
 * CE_col(i) = log sum_{j in V} exp(S_ji) - S_ii        (m' -> m)
 * L_pair    = 1/|V| sum_{i in V} (CE_row(i) + CE_col(i)) / 2
 * L         = mean of L_pair over the pairs with |V| >= 2
 * ```
 *
 * Positives are the same utterance, negatives the other valid utterances of the batch. Pairs with fewer
 * than 2 valid rows give no term; if none qualifies the loss is 0 with a zero (finite) gradient. Invalid
 * rows and columns are excluded with {@link MASKED_LOGIT} (no `booleanMask`, which is async), and absent
 * slots of `z` are zeroed first, so whatever they hold (NaN included) changes nothing.
 * The gradient reaches `z` and, when it is a tensor, `temperature`. Where the backend registers the fused
 * `EmojeJointNce` kernel (the wasm kernels) the whole loss is one kernel each way; elsewhere it runs op by op, with
 * the same values.
 *
 * @param z embeddings `[B, U, M, E]` (the layer's first output: unit vectors, 0 where missing).
 * @param availability `[B, U, M]`, 1 = present.
 * @param temperature `T > 0`: a number, or a scalar tensor such as `layer.temperature()`.
 * @returns a scalar; the caller owns it.
 * @throws {EmojeInputError} naming `z`, `availability` or `temperature` on bad input.
 */
export function jointContrastiveLoss(z: tf.Tensor, availability: tf.Tensor, temperature: tf.Scalar | number): tf.Scalar {
  assertTensorShape('z', z, [null, null, null, null], 'z is [B, U, M, E]');
  const [b, u, m, e] = z.shape;
  assertTensorShape('availability', availability, [b, u, m], 'availability is [B, U, M], matching z');
  checkTemperature(temperature);
  return tf.tidy(() => {
    const n = b * u;
    const present = tf.reshape(binaryAvailability(availability), [n, m]);
    if (m >= 2 && z.dtype === 'float32' && hasFusedKernel(FusedKernel.JointNce)) {
      return fusedJointNce(tf.reshape(z, [n, m, e]), present, tf.div(1, temperature));
    }
    const embeddings = zeroMasked(tf.reshape(z, [n, m, e]), present);
    if (m < 2) return tf.mul(tf.sum(embeddings), 0) as tf.Scalar;

    const inverseT = tf.div(1, temperature);
    const eye = tf.eye(n);
    const masked = tf.fill([n, n], MASKED_LOGIT);
    const pairLosses: tf.Tensor[] = [];
    const pairWeights: tf.Tensor[] = [];
    const column = (t: tf.Tensor, k: number, width: number) => tf.reshape(tf.slice(t, [0, k, 0], [n, 1, width]), [n, width]);
    for (let first = 0; first < m; first++) {
      for (let second = first + 1; second < m; second++) {
        const a = column(embeddings, first, e);
        const p = column(embeddings, second, e);
        const valid = tf.mul(column(tf.expandDims(present, -1), first, 1), column(tf.expandDims(present, -1), second, 1));
        const validRows = tf.reshape(valid, [n]);
        const grid = tf.greater(tf.mul(valid, tf.reshape(valid, [1, n])), 0);
        const logits = tf.mul(matMul(a, p, false, true), inverseT);
        const restricted = tf.where(grid, logits, masked);
        const positive = tf.sum(tf.mul(logits, eye), 1);
        const rowCe = tf.sub(logSumExp(restricted, 1), positive);
        const colCe = tf.sub(logSumExp(restricted, 0), positive);
        const perRow = tf.mul(tf.mul(tf.add(rowCe, colCe), 0.5), validRows);
        const count = tf.sum(validRows);
        pairLosses.push(tf.div(tf.sum(perRow), tf.maximum(count, 1)));
        pairWeights.push(tf.cast(tf.greaterEqual(count, 2), 'float32'));
      }
    }
    const losses = tf.stack(pairLosses);
    const weights = tf.stack(pairWeights);
    return tf.div(tf.sum(tf.mul(losses, weights)), tf.maximum(tf.sum(weights), 1)) as tf.Scalar;
  });
}

/**
 * The fused `EmojeJointNce` kernel on `z [N, M, E]` with `present [N, M]`; while a gradient is recorded, its gradient
 * is the fused `EmojeJointNceGrad` kernel (dz and the inverse temperature's gradient in one call).
 */
function fusedJointNce(z: tf.Tensor, present: tf.Tensor, inverseTemperature: tf.Tensor): tf.Scalar {
  if (!recordingGradients()) return runFused(FusedKernel.JointNce, { z, present, inverseTemperature }, {})[0] as tf.Scalar;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [zs, inverse, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([zs, present, inverse]);
    return {
      value: runFused(FusedKernel.JointNce, { z: zs, present, inverseTemperature: inverse }, {})[0],
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        runFused(FusedKernel.JointNceGrad, { dy, z: saved[0], present: saved[1], inverseTemperature: saved[2] }, {}),
    };
  });
  return op(z, inverseTemperature) as tf.Scalar;
}
