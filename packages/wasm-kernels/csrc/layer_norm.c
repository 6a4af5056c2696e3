/*
 * Layer normalisation over the last axis followed by an activation (activation.h; 0 = none),
 * `y = act((x - mean) / sqrt(var + eps) * gamma + beta)`, and its closed-form gradient: with `dz = dy act'(z)` at the
 * pre-activation `z = xhat gamma + beta` (recomputed from the kept xhat), `dx = rstd (g - mean(g) - xhat mean(g xhat))`
 * with `g = dz gamma`, `dgamma = sum(dz xhat)`, `dbeta = sum(dz)` over rows: one pass each way per stream.
 */
#include "activation.h"

/* xhat and rstd may be 0 (inference): then nothing is kept for a backward pass. */
void EXPORT(emoje_layer_norm_forward)(const float *x, const float *gamma, const float *beta, float *y, float *xhat,
                                      float *rstd, int rows, int d, float eps, int act) {
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
      f4_store(yr + j, activate4(wasm_f32x4_add(wasm_f32x4_mul(h, f4_load(gamma + j)), f4_load(beta + j)), act));
    }
    for (int j = d4; j < d; j++) {
      float h = (xr[j] - mean) * rs;
      if (xhat) xhat[r * d + j] = h;
      yr[j] = wasm_f32x4_extract_lane(activate4(f4_splat(h * gamma[j] + beta[j]), act), 0);
    }
  }
}

/* scratch: d floats, used when act is not linear (then beta must be given). */
void EXPORT(emoje_layer_norm_backward)(const float *dy, const float *xhat, const float *rstd, const float *gamma,
                                       const float *beta, float *dx, float *dgamma, float *dbeta, float *scratch,
                                       int rows, int d, int act) {
  int d4 = d & ~3;
  float inv = 1.0f / (float)d;
  for (int j = 0; j < d; j++) dgamma[j] = dbeta[j] = 0;
  for (int r = 0; r < rows; r++) {
    const float *dyr = dy + r * d, *hr = xhat + r * d;
    if (act != ACT_LINEAR) {
      for (int j = 0; j < d4; j += 4) {
        f4 z = wasm_f32x4_add(wasm_f32x4_mul(f4_load(hr + j), f4_load(gamma + j)), f4_load(beta + j));
        f4_store(scratch + j, wasm_f32x4_mul(f4_load(dyr + j), slope4(z, act)));
      }
      for (int j = d4; j < d; j++) {
        scratch[j] = dyr[j] * wasm_f32x4_extract_lane(slope4(f4_splat(hr[j] * gamma[j] + beta[j]), act), 0);
      }
      dyr = scratch;
    }
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
