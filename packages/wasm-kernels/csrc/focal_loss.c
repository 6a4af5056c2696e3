/*
 * Focal loss over rows of logits: `sum_i w_i (1 - p_i)^gamma (-log p_i) / max(sum_i w_i, 1e-8)`, `p_i` the softmax
 * probability of row i's label, `w_i` its class weight (1 without weights) and 0 on rows labelled -1. A label >= C
 * scores log p = 0 and weighs `weights ? 0 : 1`, as the op-by-op composition's one-hot does.
 * `weights` may be 0 (none). Rows are few (a batch's utterances) and classes a handful: scalar code.
 */
#include "loss_math.h"

/* log p of row r's label and the row's log-sum-exp; returns 0 for a label out of range. */
INLINE float label_log_prob(const float *row, int label, int c, float *lse) {
  *lse = log_sum_exp(row, c, 1);
  return label < c ? row[label] - *lse : 0.0f;
}

INLINE float row_weight(const int *labels, const float *weights, int r, int c) {
  int label = labels[r];
  if (label < 0) return 0.0f;
  if (!weights) return 1.0f;
  return label < c ? weights[label] : 0.0f;
}

INLINE float total_weight(const int *labels, const float *weights, int rows, int c) {
  float w = 0.0f;
  for (int r = 0; r < rows; r++) w += row_weight(labels, weights, r, c);
  return w > 1e-8f ? w : 1e-8f;
}

void EXPORT(emoje_focal_loss_forward)(const float *logits, const int *labels, const float *weights, float *loss, int rows,
                                      int c, float gamma) {
  float total = 0.0f;
  for (int r = 0; r < rows; r++) {
    float w = row_weight(labels, weights, r, c);
    if (labels[r] < 0) continue;
    float lse;
    float lp = label_log_prob(logits + r * c, labels[r], c, &lse);
    float focus = scalar_pow(1.0f - scalar_exp(lp), gamma);
    total += w * (focus * -lp);
  }
  loss[0] = total / total_weight(labels, weights, rows, c);
}

/* dlogits = dy / W * w_i * dL_i/dlogp * (onehot - softmax), dL/dlogp = -q^g + g q^(g-1) p lp, q = 1 - p. */
void EXPORT(emoje_focal_loss_backward)(const float *dy, const float *logits, const int *labels, const float *weights,
                                       float *dlogits, int rows, int c, float gamma) {
  float scale = dy[0] / total_weight(labels, weights, rows, c);
  for (int r = 0; r < rows; r++) {
    float *out = dlogits + r * c;
    int label = labels[r];
    float w = row_weight(labels, weights, r, c);
    if (label < 0 || label >= c) {
      for (int k = 0; k < c; k++) out[k] = 0.0f;
      continue;
    }
    const float *row = logits + r * c;
    float lse;
    float lp = label_log_prob(row, label, c, &lse);
    float p = scalar_exp(lp);
    float q = 1.0f - p;
    float dlp = gamma == 0.0f ? -1.0f : -scalar_pow(q, gamma) + gamma * scalar_pow(q, gamma - 1.0f) * p * lp;
    float g = scale * w * dlp;
    for (int k = 0; k < c; k++) out[k] = g * ((k == label ? 1.0f : 0.0f) - scalar_exp(row[k] - lse));
  }
}
