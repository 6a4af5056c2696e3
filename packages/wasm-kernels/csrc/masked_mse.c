/*
 * Masked mean squared error over rows, the reconstruction loss: `sum_{r : mask_r > 0} |p_r - t_r|² / max(d sum_r mask_r, 1)`
 * with `p, t [rows, d]` and `mask [rows]`. Unmasked rows are never read, so they may hold anything (NaN included).
 */
#include "common.h"

INLINE float mse_denominator(const float *mask, int rows, int d) {
  float count = 0.0f;
  for (int r = 0; r < rows; r++) count += mask[r];
  count *= (float)d;
  return count > 1.0f ? count : 1.0f;
}

void EXPORT(emoje_masked_mse_forward)(const float *p, const float *t, const float *mask, float *loss, int rows, int d) {
  int d4 = d & ~3;
  float total = 0.0f;
  for (int r = 0; r < rows; r++) {
    if (!(mask[r] > 0.0f)) continue;
    const float *pr = p + r * d, *tr = t + r * d;
    f4 s = f4_splat(0);
    for (int j = 0; j < d4; j += 4) {
      f4 e = wasm_f32x4_sub(f4_load(pr + j), f4_load(tr + j));
      s = wasm_f32x4_add(s, wasm_f32x4_mul(e, e));
    }
    float row = f4_sum(s);
    for (int j = d4; j < d; j++) row += (pr[j] - tr[j]) * (pr[j] - tr[j]);
    total += row;
  }
  loss[0] = total / mse_denominator(mask, rows, d);
}

/* dp = 2 dy (p - t) / denominator on masked rows, 0 elsewhere; dt = -dp when dt is not 0. */
void EXPORT(emoje_masked_mse_backward)(const float *dy, const float *p, const float *t, const float *mask, float *dp,
                                       float *dt, int rows, int d) {
  float scale = 2.0f * dy[0] / mse_denominator(mask, rows, d);
  for (int r = 0; r < rows; r++) {
    const float *pr = p + r * d, *tr = t + r * d;
    float *dpr = dp + r * d;
    int keep = mask[r] > 0.0f;
    for (int j = 0; j < d; j++) dpr[j] = keep ? (pr[j] - tr[j]) * scale : 0.0f;
    if (dt) {
      for (int j = 0; j < d; j++) dt[r * d + j] = -dpr[j];
    }
  }
}
