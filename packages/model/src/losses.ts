import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError, FusedKernel, MASKED_LOGIT, gatherRows, hasFusedKernel, logSumExp, matMul, recordingGradients, runFused, zeroMasked } from '@emoje/core';

/**
 * Focal loss (Lin et al. 2017) over labeled utterances:
 * `sum_i w_{y_i} * -(1 - p_{i,y_i})^gamma * log p_{i,y_i} / sum_i w_{y_i}`.
 * Where the backend registers the fused `EmojeFocalLoss` kernel (the wasm kernels) the loss is one kernel each way;
 * elsewhere it runs op by op, with the same values.
 *
 * @param logits `[..., C]` unnormalised scores.
 * @param labels `[...]` int32 class ids; -1 (unlabeled or padding) is ignored.
 * @param gamma focusing exponent; 0 gives (weighted) cross-entropy.
 * @param classWeights optional per-class weights `w`, in class order.
 * @returns a scalar; 0 when no utterance is labeled.
 */
export function focalLoss(logits: tf.Tensor, labels: tf.Tensor, gamma = 1, classWeights?: number[] | null): tf.Scalar {
  return tf.tidy(() => {
    const numClasses = logits.shape[logits.rank - 1] as number;
    const flatLogits = tf.reshape(logits, [-1, numClasses]);
    const flatLabels = tf.reshape(tf.cast(labels, 'int32'), [-1]);
    if (hasFusedKernel(FusedKernel.FocalLoss) && logits.dtype === 'float32') {
      return fusedFocalLoss(flatLogits, flatLabels, gamma, classWeights ? tf.tensor1d(classWeights) : null);
    }
    const valid = tf.cast(tf.greaterEqual(flatLabels, 0), 'float32');
    const safeLogits = zeroMasked(flatLogits, valid);
    const oneHot = tf.cast(tf.oneHot(tf.maximum(flatLabels, tf.scalar(0, 'int32')), numClasses), 'float32');
    const logProb = tf.sum(tf.mul(oneHot, tf.logSoftmax(safeLogits)), -1);
    const focus = gamma === 0 ? tf.onesLike(logProb) : tf.pow(tf.sub(1, tf.exp(logProb)), gamma);
    let weight = valid;
    if (classWeights) weight = tf.mul(weight, tf.sum(tf.mul(oneHot, tf.tensor1d(classWeights)), -1));
    const total = tf.sum(tf.mul(weight, tf.mul(focus, tf.neg(logProb))));
    return tf.div(total, tf.maximum(tf.sum(weight), 1e-8)) as tf.Scalar;
  });
}

/**
 * The fused `EmojeFocalLoss` kernel on `logits [R, C]` and int32 `labels [R]`; while a gradient is recorded, its
 * gradient is the fused `EmojeFocalLossGrad` kernel (labels and weights are constants).
 */
function fusedFocalLoss(logits: tf.Tensor, labels: tf.Tensor, gamma: number, weights: tf.Tensor | null): tf.Scalar {
  const attrs = { gamma, hasWeights: weights != null };
  const constants = { labels, ...(weights ? { weights } : {}) };
  if (!recordingGradients()) return runFused(FusedKernel.FocalLoss, { logits, ...constants }, attrs)[0] as tf.Scalar;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([x, labels, ...(weights ? [weights] : [])]);
    return {
      value: runFused(FusedKernel.FocalLoss, { logits: x, ...constants }, attrs)[0],
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        runFused(FusedKernel.FocalLossGrad, { dy, logits: saved[0], labels: saved[1], ...(weights ? { weights: saved[2] } : {}) }, attrs)[0],
    };
  });
  return op(logits) as tf.Scalar;
}

/**
 * Guided NCE `L_ACE`: a supervised contrastive loss (Khosla et al. 2020) across
 * modalities on the ACN descriptors. Every present (utterance, modality) slot is an
 * anchor; its candidates are the present slots of the *other* modalities in the batch;
 * its positives are those of the same utterance or of an utterance with the same label.
 * `L = mean over anchors with a positive of -mean_p log softmax_candidates(sim / tau)[p]`,
 * with cosine similarity `sim`.
 *
 * @param descriptors `[B, U, M, D]`.
 * @param availability `[B, U, M]` (0 on padding).
 * @param labels `[B, U]` int32, -1 = unlabeled (then only same-utterance positives).
 * @param host optional plain copies of `availability` and `labels` (e.g. a batch's `host`): the loss then
 * keeps only the present slots and builds its masks on the host, which gives the same value and gradients
 * with far fewer `[n, n]` ops (padding and missing modalities drop out of the similarity matrix).
 * @returns a scalar; 0 when no anchor has a positive (e.g. a single modality).
 */
export function guidedContrastiveLoss(
  descriptors: tf.Tensor,
  availability: tf.Tensor,
  labels: tf.Tensor,
  temperature = 0.1,
  host?: GuidedContrastiveHost,
): tf.Scalar {
  if (host) return hostGuidedContrastiveLoss(descriptors, host, temperature);
  return tf.tidy(() => {
    const [b, u, m, d] = descriptors.shape as number[];
    const n = b * u * m;
    const valid = tf.reshape(availability, [n]);
    const flat = zeroMasked(tf.reshape(descriptors, [n, d]), valid);
    const norm = tf.sqrt(tf.maximum(tf.sum(tf.square(flat), -1, true), 1e-12));
    const unit = tf.div(flat, norm);
    const similarity = tf.mul(matMul(unit, unit, false, true), 1 / temperature);

    const slot = tf.range(0, n, 1, 'int32');
    const modalityCount = tf.scalar(m, 'int32');
    const modality = tf.mod(slot, modalityCount);
    const utterance = tf.floorDiv(slot, modalityCount);
    const slotLabel = tf.gather(tf.reshape(tf.cast(labels, 'int32'), [b * u]), utterance);
    const pair = (x: tf.Tensor, op: (a: tf.Tensor, c: tf.Tensor) => tf.Tensor) => op(tf.expandDims(x, 1), tf.expandDims(x, 0));
    const candidate = tf.mul(
      tf.cast(pair(modality, tf.notEqual), 'float32'),
      tf.mul(tf.expandDims(valid, 1), tf.expandDims(valid, 0)),
    );
    const labeled = tf.cast(tf.greaterEqual(slotLabel, 0), 'float32');
    const sameLabel = tf.mul(tf.cast(pair(slotLabel, tf.equal), 'float32'), tf.mul(tf.expandDims(labeled, 1), tf.expandDims(labeled, 0)));
    const sameUtterance = tf.cast(pair(utterance, tf.equal), 'float32');
    const positive = tf.mul(candidate, tf.maximum(sameUtterance, sameLabel));

    const masked = tf.add(similarity, tf.mul(tf.sub(1, candidate), MASKED_LOGIT));
    const logProb = tf.sub(masked, logSumExp(masked, -1, true));
    const positives = tf.sum(positive, -1);
    const hasPositive = tf.cast(tf.greater(positives, 0), 'float32');
    const perAnchor = tf.div(tf.sum(tf.mul(positive, zeroMasked(logProb, candidate)), -1), tf.maximum(positives, 1));
    return tf.div(tf.neg(tf.sum(tf.mul(perAnchor, hasPositive))), tf.maximum(tf.sum(hasPositive), 1)) as tf.Scalar;
  });
}

/**
 * The authors' cross-modal NCE: instance discrimination across modalities on the ACN descriptors. Every present
 * (utterance, modality) slot is an anchor; its candidates are the present slots of the other modalities in the batch;
 * its positives are only those of the same utterance (no labels). It is {@link guidedContrastiveLoss} with every
 * label unknown, so it shares its masking and its host fast path.
 *
 * @param descriptors `[B, U, M, D]`.
 * @param availability `[B, U, M]` (0 on padding).
 * @param temperature defaults to 0.07, the authors' value.
 * @param host optional plain copy of `availability` (e.g. a batch's `host`), as for {@link guidedContrastiveLoss}.
 * @returns a scalar; 0 when no anchor has a positive (e.g. a single modality).
 */
export function crossModalInstanceLoss(
  descriptors: tf.Tensor,
  availability: tf.Tensor,
  temperature = 0.07,
  host?: Pick<GuidedContrastiveHost, 'availability'>,
): tf.Scalar {
  const [b, u] = descriptors.shape as number[];
  const unknown = new Int32Array(b * u).fill(-1);
  if (host) return hostGuidedContrastiveLoss(descriptors, { availability: host.availability, labels: unknown }, temperature);
  return tf.tidy(() => guidedContrastiveLoss(descriptors, availability, tf.tensor2d(unknown, [b, u], 'int32'), temperature));
}

/** Plain copies of a batch's availability `[B*U*M]` and labels `[B*U]`, row-major. */
export interface GuidedContrastiveHost {
  availability: ArrayLike<number>;
  labels: ArrayLike<number>;
}

/**
 * {@link guidedContrastiveLoss} over the present slots only, with candidate and positive masks built on
 * the host. Absent slots have no candidate and no positive in the full formulation and contribute
 * `exp(MASKED_LOGIT) = 0` to every softmax, so dropping them changes neither the value nor the gradients.
 * Where the backend registers the fused `EmojeGuidedNce` kernel, everything from the gathered rows on is one
 * kernel each way.
 */
function hostGuidedContrastiveLoss(descriptors: tf.Tensor, host: GuidedContrastiveHost, temperature: number): tf.Scalar {
  const [b, u, m, d] = descriptors.shape as number[];
  const total = b * u * m;
  if (host.availability.length !== total || host.labels.length !== b * u) {
    throw new EmojeInputError('host', `availability of length ${total} and labels of length ${b * u}`, `lengths ${host.availability.length} and ${host.labels.length}`);
  }
  const slots: number[] = [];
  for (let s = 0; s < total; s++) if (host.availability[s] > 0) slots.push(s);
  const n = slots.length;
  const candidate = new Float32Array(n * n);
  const positive = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    const si = slots[i];
    const mi = si % m;
    const ui = (si - mi) / m;
    const li = host.labels[ui];
    const ai = host.availability[si];
    for (let j = 0; j < n; j++) {
      const sj = slots[j];
      const mj = sj % m;
      if (mi === mj) continue;
      const uj = (sj - mj) / m;
      const lj = host.labels[uj];
      const c = ai * host.availability[sj];
      candidate[i * n + j] = c;
      if (ui === uj || (li >= 0 && lj >= 0 && li === lj)) positive[i * n + j] = c;
    }
  }
  return tf.tidy(() => {
    if (n === 0) return tf.scalar(0);
    if (hasFusedKernel(FusedKernel.GuidedNce) && descriptors.dtype === 'float32') {
      // Only present slots are gathered, which zeroMasked would pass through unchanged (values and gradients).
      const rows = gatherRows(tf.reshape(descriptors, [total, d]), slots);
      return fusedGuidedNce(rows, tf.tensor2d(candidate, [n, n]), tf.tensor2d(positive, [n, n]), 1 / temperature);
    }
    const valid = tf.tensor1d(Float32Array.from(host.availability));
    const flat = gatherRows(zeroMasked(tf.reshape(descriptors, [total, d]), valid), slots);
    const norm = tf.sqrt(tf.maximum(tf.sum(tf.square(flat), -1, true), 1e-12));
    const unit = tf.div(flat, norm);
    const similarity = tf.mul(matMul(unit, unit, false, true), 1 / temperature);
    const candidates = tf.tensor2d(candidate, [n, n]);
    const positives = tf.tensor2d(positive, [n, n]);
    const masked = tf.add(similarity, tf.mul(tf.sub(1, candidates), MASKED_LOGIT));
    const logProb = tf.sub(masked, logSumExp(masked, -1, true));
    const count = tf.sum(positives, -1);
    const hasPositive = tf.cast(tf.greater(count, 0), 'float32');
    const perAnchor = tf.div(tf.sum(tf.mul(positives, zeroMasked(logProb, candidates)), -1), tf.maximum(count, 1));
    return tf.div(tf.neg(tf.sum(tf.mul(perAnchor, hasPositive))), tf.maximum(tf.sum(hasPositive), 1)) as tf.Scalar;
  });
}

/**
 * The fused `EmojeGuidedNce` kernel on the present rows `x [n, d]` with the host-built masks; while a gradient is
 * recorded, it keeps the softmax, unit rows and norms, from which the fused `EmojeGuidedNceGrad` kernel computes the
 * gradient (the masks are constants).
 */
function fusedGuidedNce(x: tf.Tensor, candidate: tf.Tensor, positive: tf.Tensor, inverseTemperature: number): tf.Scalar {
  if (!recordingGradients()) {
    return runFused(FusedKernel.GuidedNce, { x, candidate, positive }, { inverseTemperature, keepStatistics: false })[0] as tf.Scalar;
  }
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [rows, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const [loss, softmax, unit, norm] = runFused(FusedKernel.GuidedNce, { x: rows, candidate, positive }, { inverseTemperature, keepStatistics: true });
    save([softmax, unit, norm, candidate, positive]);
    return {
      value: loss,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        runFused(FusedKernel.GuidedNceGrad, { dy, softmax: saved[0], unit: saved[1], norm: saved[2], candidate: saved[3], positive: saved[4] }, { inverseTemperature })[0],
    };
  });
  return op(x) as tf.Scalar;
}

/**
 * `z [B, U, M, E]` and `availability [B, U, M]` cut to the real utterances (`utteranceMask` 1), as
 * `[1, R, M, E]` and `[1, R, M]`. A padded utterance has no modality present, so it is invalid in every
 * pair of the joint loss: dropping it changes neither the loss nor its gradients, and the loss's `[n, n]`
 * logits shrink from `(B·U)²` to `R²` entries.
 */
export function realUtterances(z: tf.Tensor, availability: tf.Tensor, utteranceMask: ArrayLike<number>): [tf.Tensor, tf.Tensor] {
  const [b, u, m, e] = z.shape as number[];
  const rows: number[] = [];
  for (let i = 0; i < b * u; i++) if (utteranceMask[i] > 0) rows.push(i);
  if (rows.length === b * u || rows.length === 0) return [z, availability];
  return [
    tf.reshape(gatherRows(tf.reshape(z, [b * u, m * e]), rows), [1, rows.length, m, e]),
    tf.reshape(gatherRows(tf.reshape(availability, [b * u, m]), rows), [1, rows.length, m]),
  ];
}
