/*
 * Masked multi-head scaled dot-product attention, one call each way for every batch entry and head.
 *
 * q [N, Tq, D], k and v [N, Tk, D]; head h reads columns h*dh .. h*dh+dh-1 in place (dh = D / H), so no head is
 * split or merged by a copy. mask [N, Tk] (mask_stride 0) or [N, Tq, Tk] (mask_stride Tk), 1 = attend, 0 = not.
 *
 * Forward, per head, the values of @emoje/core's op-by-op composition (maskedSoftmax):
 *   s = (q k^T) * scale + (1 - mask) * -1e9;  p = softmax(s) * mask;  ctx = p v.
 * A masked key's exp underflows (to 0 in float32, or 1e-38 after f4_exp's clamp: below rounding of the row sum),
 * and the product with the mask makes its probability exactly 0; a query whose keys are all masked gets a row of 0.
 *
 * Backward, from the kept probabilities p (for 0/1 masks, softmax(s) equals p wherever the mask is 1, and the mask
 * zeroes the rest):
 *   dv = p^T dctx;  dp = dctx v^T;  ds = p (dp - rowsum(dp p)) * scale;  dq = ds k;  dk = ds^T q.
 */
#include "common.h"

#define MASKED_LOGIT -1e9f

/* Row i of one head's logits (tk entries, already scaled) to probabilities in place. */
INLINE void masked_softmax_row(float *s, const float *m, int tk) {
  int t4 = tk & ~3;
  f4 big = f4_splat(MASKED_LOGIT), one = f4_splat(1.0f);
  float mx = -__builtin_inff();
  for (int j = 0; j < t4; j += 4) {
    f4 x = wasm_f32x4_add(f4_load(s + j), wasm_f32x4_mul(wasm_f32x4_sub(one, f4_load(m + j)), big));
    f4_store(s + j, x);
  }
  for (int j = t4; j < tk; j++) s[j] = s[j] + (1.0f - m[j]) * MASKED_LOGIT;
  for (int j = 0; j < tk; j++) mx = s[j] > mx ? s[j] : mx;
  f4 mv = f4_splat(mx), acc = f4_splat(0);
  for (int j = 0; j < t4; j += 4) {
    f4 e = f4_exp(wasm_f32x4_sub(f4_load(s + j), mv));
    f4_store(s + j, e);
    acc = wasm_f32x4_add(acc, e);
  }
  float sum = f4_sum(acc);
  for (int j = t4; j < tk; j++) {
    s[j] = scalar_exp(s[j] - mx);
    sum += s[j];
  }
  float inv = 1.0f / sum;
  f4 iv = f4_splat(inv);
  for (int j = 0; j < t4; j += 4) f4_store(s + j, wasm_f32x4_mul(wasm_f32x4_mul(f4_load(s + j), iv), f4_load(m + j)));
  for (int j = t4; j < tk; j++) s[j] = s[j] * inv * m[j];
}

/*
 * ctx [N, Tq, D]. probs is [N, H, Tq, Tk] when keep is non-zero (kept for the backward pass), else scratch for one
 * head's [Tq, Tk] (reused by every head).
 */
void EXPORT(emoje_attention_forward)(const float *q, const float *k, const float *v, const float *mask, float *ctx,
                                     float *probs, int keep, int n, int tq, int tk, int d, int heads, int mask_stride,
                                     float scale) {
  int dh = d / heads;
  f4 sv = f4_splat(scale);
  int t4 = tk & ~3;
  for (int b = 0; b < n; b++) {
    const float *mb = mask + b * (mask_stride ? tq * tk : tk);
    for (int h = 0; h < heads; h++) {
      float *p = keep ? probs + (b * heads + h) * tq * tk : probs;
      const float *qh = q + b * tq * d + h * dh, *kh = k + b * tk * d + h * dh, *vh = v + b * tk * d + h * dh;
      gemm_nt(qh, d, kh, d, p, tk, tq, dh, tk, 0);
      for (int i = 0; i < tq; i++) {
        float *row = p + i * tk;
        for (int j = 0; j < t4; j += 4) f4_store(row + j, wasm_f32x4_mul(f4_load(row + j), sv));
        for (int j = t4; j < tk; j++) row[j] *= scale;
        masked_softmax_row(row, mb + i * mask_stride, tk);
      }
      gemm_nn(p, tk, vh, d, ctx + b * tq * d + h * dh, d, tq, tk, dh, 0);
    }
  }
}

/* dq [N, Tq, D], dk, dv [N, Tk, D] from dctx [N, Tq, D] and the kept probs; scratch holds one head's [Tq, Tk]. */
void EXPORT(emoje_attention_backward)(const float *dctx, const float *q, const float *k, const float *v,
                                      const float *probs, float *dq, float *dk, float *dv, float *scratch, int n,
                                      int tq, int tk, int d, int heads, float scale) {
  int dh = d / heads;
  int t4 = tk & ~3;
  f4 sv = f4_splat(scale);
  for (int b = 0; b < n; b++) {
    for (int h = 0; h < heads; h++) {
      const float *p = probs + (b * heads + h) * tq * tk;
      int qo = b * tq * d + h * dh, ko = b * tk * d + h * dh;
      const float *dc = dctx + qo;
      gemm_tn(p, tk, dc, d, dv + ko, d, tk, tq, dh, 0);
      gemm_nt(dc, d, v + ko, d, scratch, tk, tq, dh, tk, 0);
      for (int i = 0; i < tq; i++) {
        const float *pr = p + i * tk;
        float *g = scratch + i * tk;
        f4 acc = f4_splat(0);
        for (int j = 0; j < t4; j += 4) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(f4_load(g + j), f4_load(pr + j)));
        float dot = f4_sum(acc);
        for (int j = t4; j < tk; j++) dot += g[j] * pr[j];
        f4 dv4 = f4_splat(dot);
        for (int j = 0; j < t4; j += 4) {
          f4 x = wasm_f32x4_mul(f4_load(pr + j), wasm_f32x4_sub(f4_load(g + j), dv4));
          f4_store(g + j, wasm_f32x4_mul(x, sv));
        }
        for (int j = t4; j < tk; j++) g[j] = pr[j] * (g[j] - dot) * scale;
      }
      gemm_nn(scratch, tk, k + ko, d, dq + qo, d, tq, tk, dh, 0);
      gemm_tn(scratch, tk, q + qo, d, dk + ko, d, tk, tq, dh, 0);
    }
  }
}
