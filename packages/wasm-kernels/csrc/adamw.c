/*
 * AdamW over many variables at once, in the order of operations of FlatAdamW's op-by-op step (@emoje/model), so
 * that every element gets the same float32 result; only the global norm's sum of squares is added up in another
 * order (per variable, four lanes at a time, then across variables in double precision by the caller).
 *
 * The caller computes the clipping scale from the norm (emoje_sum_squares over every gradient first), then calls
 * emoje_adamw_update once per variable with that variable's slice of the flat moments, decay mask and average.
 */
#include "common.h"

/* The sum of x[i]^2 over n floats. */
float EXPORT(emoje_sum_squares)(const float *x, int n) {
  int n4 = n & ~3;
  f4 s = f4_splat(0);
  for (int i = 0; i < n4; i += 4) {
    f4 a = f4_load(x + i);
    s = wasm_f32x4_add(s, wasm_f32x4_mul(a, a));
  }
  float sum = f4_sum(s);
  for (int i = n4; i < n; i++) sum += x[i] * x[i];
  return sum;
}

/* One element of the step; the f4 loop below computes the same thing four lanes at a time. */
INLINE float adamw_one(float g, float w, float m, float v, float *mOut, float *vOut, float scale, float beta1,
                       float oneMinusBeta1, float beta2, float oneMinusBeta2, float correction1, float correction2,
                       float lr, float eps) {
  g = g * scale;
  m = m * beta1 + g * oneMinusBeta1;
  v = v * beta2 + (g * g) * oneMinusBeta2;
  *mOut = m;
  *vOut = v;
  float mHat = m / correction1;
  float vHat = v / correction2;
  return w - (mHat / (__builtin_sqrtf(vHat) + eps)) * lr;
}

/*
 * One variable's step over n elements:
 *   g' = g scale;  m' = beta1 m + (1 - beta1) g';  v' = beta2 v + (1 - beta2) g'^2
 *   stepped = w - lr (m' / c1) / (sqrt(v' / c2) + eps)      (c1, c2: the bias corrections 1 - beta^t)
 *   w' = stepped - stepped (mask lrDecay)                     (mask 0: no decay)
 *   avg' = avgDecay avg + (1 - avgDecay) w'                   (avg 0: avg' = w'; avgOut 0: no average)
 * Outputs may not alias inputs.
 */
void EXPORT(emoje_adamw_update)(const float *g, const float *w, const float *m, const float *v, const float *mask,
                                const float *avg, float *wOut, float *mOut, float *vOut, float *avgOut, int n,
                                float scale, float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2,
                                float correction1, float correction2, float lr, float eps, float lrDecay,
                                float avgDecay, float oneMinusAvgDecay) {
  int n4 = n & ~3;
  f4 vScale = f4_splat(scale), vB1 = f4_splat(beta1), vOmB1 = f4_splat(oneMinusBeta1), vB2 = f4_splat(beta2),
     vOmB2 = f4_splat(oneMinusBeta2), vC1 = f4_splat(correction1), vC2 = f4_splat(correction2), vLr = f4_splat(lr),
     vEps = f4_splat(eps), vLrDecay = f4_splat(lrDecay), vAvgDecay = f4_splat(avgDecay),
     vOmAvgDecay = f4_splat(oneMinusAvgDecay);
  for (int i = 0; i < n4; i += 4) {
    f4 gi = wasm_f32x4_mul(f4_load(g + i), vScale);
    f4 mi = wasm_f32x4_add(wasm_f32x4_mul(f4_load(m + i), vB1), wasm_f32x4_mul(gi, vOmB1));
    f4 vi = wasm_f32x4_add(wasm_f32x4_mul(f4_load(v + i), vB2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), vOmB2));
    f4_store(mOut + i, mi);
    f4_store(vOut + i, vi);
    f4 mHat = wasm_f32x4_div(mi, vC1);
    f4 vHat = wasm_f32x4_div(vi, vC2);
    f4 ratio = wasm_f32x4_div(mHat, wasm_f32x4_add(wasm_f32x4_sqrt(vHat), vEps));
    f4 next = wasm_f32x4_sub(f4_load(w + i), wasm_f32x4_mul(ratio, vLr));
    if (mask) next = wasm_f32x4_sub(next, wasm_f32x4_mul(next, wasm_f32x4_mul(f4_load(mask + i), vLrDecay)));
    f4_store(wOut + i, next);
    if (avgOut) {
      f4 a = avg ? wasm_f32x4_add(wasm_f32x4_mul(f4_load(avg + i), vAvgDecay), wasm_f32x4_mul(next, vOmAvgDecay)) : next;
      f4_store(avgOut + i, a);
    }
  }
  for (int i = n4; i < n; i++) {
    float next = adamw_one(g[i], w[i], m[i], v[i], mOut + i, vOut + i, scale, beta1, oneMinusBeta1, beta2,
                           oneMinusBeta2, correction1, correction2, lr, eps);
    if (mask) next = next - next * (mask[i] * lrDecay);
    wOut[i] = next;
    if (avgOut) avgOut[i] = avg ? avg[i] * avgDecay + next * oneMinusAvgDecay : next;
  }
}
