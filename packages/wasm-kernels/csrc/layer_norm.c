/*
 * Layer normalisation over the last axis, `y = (x - mean) / sqrt(var + eps) * gamma + beta`, and its closed-form
 * gradient `dx = rstd (g - mean(g) - xhat mean(g xhat))` with `g = dy gamma`, `dgamma = sum(dy xhat)`,
 * `dbeta = sum(dy)` over rows: one pass each way per stream.
 */
#include "common.h"

/* xhat and rstd may be 0 (inference): then nothing is kept for a backward pass. */
void EXPORT(emoje_layer_norm_forward)(const float *x, const float *gamma, const float *beta, float *y, float *xhat,
                                      float *rstd, int rows, int d, float eps) {
  int d4 = d & ~3;
  float inv = 1.0f / (float)d;
  for (int r = 0; r < rows; r++) {
    const float *xr = x + r * d;
    float *yr = y + r * d;
    f4 s = f4_splat(0);
    for (int j = 0; j < d4; j += 4) s = wasm_f32x4_add(s, f4_load(xr + j));
    float sum = f4_sum(s);
    for (int j = d4; j < d; j++) sum += xr[j];
    float mean = sum * inv;
    f4 m = f4_splat(mean);
    f4 q = f4_splat(0);
    for (int j = 0; j < d4; j += 4) {
      f4 c = wasm_f32x4_sub(f4_load(xr + j), m);
      q = wasm_f32x4_add(q, wasm_f32x4_mul(c, c));
    }
    float sq = f4_sum(q);
    for (int j = d4; j < d; j++) sq += (xr[j] - mean) * (xr[j] - mean);
    float rs = 1.0f / __builtin_sqrtf(sq * inv + eps);
    if (rstd) rstd[r] = rs;
    f4 rv = f4_splat(rs);
    for (int j = 0; j < d4; j += 4) {
      f4 h = wasm_f32x4_mul(wasm_f32x4_sub(f4_load(xr + j), m), rv);
      if (xhat) f4_store(xhat + r * d + j, h);
      f4_store(yr + j, wasm_f32x4_add(wasm_f32x4_mul(h, f4_load(gamma + j)), f4_load(beta + j)));
    }
    for (int j = d4; j < d; j++) {
      float h = (xr[j] - mean) * rs;
      if (xhat) xhat[r * d + j] = h;
      yr[j] = h * gamma[j] + beta[j];
    }
  }
}

void EXPORT(emoje_layer_norm_backward)(const float *dy, const float *xhat, const float *rstd, const float *gamma,
                                       float *dx, float *dgamma, float *dbeta, int rows, int d) {
  int d4 = d & ~3;
  float inv = 1.0f / (float)d;
  for (int j = 0; j < d; j++) dgamma[j] = dbeta[j] = 0;
  for (int r = 0; r < rows; r++) {
    const float *dyr = dy + r * d, *hr = xhat + r * d;
    f4 sg = f4_splat(0), sgh = f4_splat(0);
    for (int j = 0; j < d4; j += 4) {
      f4 dyv = f4_load(dyr + j), h = f4_load(hr + j);
      f4 g = wasm_f32x4_mul(dyv, f4_load(gamma + j));
      sg = wasm_f32x4_add(sg, g);
      sgh = wasm_f32x4_add(sgh, wasm_f32x4_mul(g, h));
      f4_store(dgamma + j, wasm_f32x4_add(f4_load(dgamma + j), wasm_f32x4_mul(dyv, h)));
      f4_store(dbeta + j, wasm_f32x4_add(f4_load(dbeta + j), dyv));
    }
    float meanG = f4_sum(sg), meanGH = f4_sum(sgh);
    for (int j = d4; j < d; j++) {
      float g = dyr[j] * gamma[j];
      meanG += g;
      meanGH += g * hr[j];
      dgamma[j] += dyr[j] * hr[j];
      dbeta[j] += dyr[j];
    }
    meanG *= inv;
    meanGH *= inv;
    f4 rv = f4_splat(rstd[r]), mg = f4_splat(meanG), mgh = f4_splat(meanGH);
    float *dxr = dx + r * d;
    for (int j = 0; j < d4; j += 4) {
      f4 g = wasm_f32x4_mul(f4_load(dyr + j), f4_load(gamma + j));
      f4 v = wasm_f32x4_sub(wasm_f32x4_sub(g, mg), wasm_f32x4_mul(f4_load(hr + j), mgh));
      f4_store(dxr + j, wasm_f32x4_mul(rv, v));
    }
    for (int j = d4; j < d; j++) dxr[j] = rstd[r] * (dyr[j] * gamma[j] - meanG - hr[j] * meanGH);
  }
}
