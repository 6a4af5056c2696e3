/*
 * Scalar helpers of the fused losses: natural log, powers and a row's log-sum-exp. No tables: every constant is an
 * immediate, so the module still owns no memory.
 */
#ifndef EMOJE_KERNELS_LOSS_MATH_H
#define EMOJE_KERNELS_LOSS_MATH_H

#include "common.h"

/* The logit of an excluded softmax entry, @emoje/core's MASKED_LOGIT. */
#define MASKED_LOGIT (-1e9f)

/* log(x) for positive normal x, to about 1 ulp (Cephes' logf: x = m 2^e with m in [sqrt(1/2), sqrt(2)), polynomial in m - 1). */
INLINE float scalar_log(float x) {
  if (!(x > 0.0f)) return x == 0.0f ? -__builtin_inff() : __builtin_nanf("");
  if (x == __builtin_inff()) return x;
  unsigned u = __builtin_bit_cast(unsigned, x);
  int e = (int)((u >> 23) & 0xff) - 126;
  float m = __builtin_bit_cast(float, (u & 0x807fffffu) | 0x3f000000u); /* in [0.5, 1) */
  if (m < 0.707106781186547524f) {
    e -= 1;
    m = m + m - 1.0f;
  } else {
    m = m - 1.0f;
  }
  float z = m * m;
  float y = 7.0376836292E-2f;
  y = y * m - 1.1514610310E-1f;
  y = y * m + 1.1676998740E-1f;
  y = y * m - 1.2420140846E-1f;
  y = y * m + 1.4249322787E-1f;
  y = y * m - 1.6668057665E-1f;
  y = y * m + 2.0000714765E-1f;
  y = y * m - 2.4999993993E-1f;
  y = y * m + 3.3333331174E-1f;
  y = y * m * z;
  float fe = (float)e;
  y += -2.12194440e-4f * fe;
  y += -0.5f * z;
  return m + y + 0.693359375f * fe;
}

/* q^g for q >= 0, as tf.pow: q^0 = 1 (0^0 included), 0^g = 0 for g > 0 and inf for g < 0. */
INLINE float scalar_pow(float q, float g) {
  if (g == 0.0f) return 1.0f;
  if (g == 1.0f) return q;
  if (g == 2.0f) return q * q;
  if (q == 0.0f) return g > 0.0f ? 0.0f : __builtin_inff();
  return scalar_exp(g * scalar_log(q));
}

/* max and log(sum(exp(x - max))) + max over n entries with stride `step`. */
INLINE float log_sum_exp(const float *x, int n, int step) {
  float mx = -__builtin_inff();
  for (int j = 0; j < n; j++) mx = x[j * step] > mx ? x[j * step] : mx;
  float s = 0.0f;
  for (int j = 0; j < n; j++) s += scalar_exp(x[j * step] - mx);
  return mx + scalar_log(s);
}

/* max and log(sum(exp(x - max))) + max over n contiguous entries, vectorised. */
INLINE float log_sum_exp_row(const float *x, int n) {
  int n4 = n & ~3;
  float mx = -__builtin_inff();
  if (n4) {
    f4 m = f4_load(x);
    for (int j = 4; j < n4; j += 4) m = wasm_f32x4_max(m, f4_load(x + j));
    float a = wasm_f32x4_extract_lane(m, 0), b = wasm_f32x4_extract_lane(m, 1);
    float c = wasm_f32x4_extract_lane(m, 2), d = wasm_f32x4_extract_lane(m, 3);
    a = a > b ? a : b;
    c = c > d ? c : d;
    mx = a > c ? a : c;
  }
  for (int j = n4; j < n; j++) mx = x[j] > mx ? x[j] : mx;
  f4 mv = f4_splat(mx), s = f4_splat(0);
  for (int j = 0; j < n4; j += 4) s = wasm_f32x4_add(s, f4_exp(wasm_f32x4_sub(f4_load(x + j), mv)));
  float t = f4_sum(s);
  for (int j = n4; j < n; j++) t += scalar_exp(x[j] - mx);
  return mx + scalar_log(t);
}

#endif
