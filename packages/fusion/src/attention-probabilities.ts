import * as tf from '@tensorflow/tfjs-core';
import { applyLinear, fusedAttentionProbabilities, maskedSoftmax, matMul, type AttentionWeights } from '@emoje/core';

/**
 * The probabilities of multi-head attention `w` of `query [N, Tq, D]` over `keyValue [N, Tk, D]` with key mask
 * `mask [N, Tk]` (1 = attend): `softmax(Q K^T / sqrt(D / H))` over the allowed keys, `[N, H, Tq, Tk]`, exactly 0 on
 * masked keys and on every key of a query with none allowed. The same computation as `applyAttention` of
 * `@emoje/core` up to the values (a test checks that these probabilities times the projected values give its output).
 * Where the backend registers the fused `EmojeAttention` kernel and no gradient is recorded, they come from it.
 */
export function attentionProbabilities(query: tf.Tensor, keyValue: tf.Tensor, mask: tf.Tensor, w: AttentionWeights): tf.Tensor {
  return tf.tidy(() => {
    const h = w.numHeads;
    const projectedQuery = applyLinear(query, w.query);
    const projectedKey = applyLinear(keyValue, w.key);
    // One fused kernel where the backend registers it (inference only), with the same values.
    const fused = fusedAttentionProbabilities(projectedQuery, projectedKey, mask, h);
    if (fused) return fused;
    const q = splitHeads(projectedQuery, h);
    const k = splitHeads(projectedKey, h);
    const [n, tq, d] = query.shape as number[];
    const tk = keyValue.shape[1] as number;
    const logits = tf.reshape(tf.mul(matMul(q, k, false, true), 1 / Math.sqrt(d / h)), [n, h, tq, tk]);
    return maskedSoftmax(logits, tf.reshape(mask, [n, 1, 1, tk]));
  });
}

/** `[N, T, D]` to `[N * H, T, D / H]`, head-major within each row. */
function splitHeads(x: tf.Tensor, numHeads: number): tf.Tensor {
  const [n, t, d] = x.shape as number[];
  return tf.reshape(tf.transpose(tf.reshape(x, [n, t, numHeads, d / numHeads]), [0, 2, 1, 3]), [n * numHeads, t, d / numHeads]);
}
