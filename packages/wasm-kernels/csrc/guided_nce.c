/*
 * Guided (supervised, cross-modal) NCE over n rows `x [n, d]` with candidate and positive masks `[n, n]`:
 *
 *   u_i  = x_i / sqrt(max(|x_i|², 1e-12)),   s_ij = <u_i, u_j> / T,   m_ij = s_ij + (1 - cand_ij) MASKED_LOGIT
 *   lp_ij = m_ij - logsumexp_j m_ij,          k_i = sum_j pos_ij,        a_i = [k_i > 0]
 *   L    = -sum_i a_i (sum_j pos_ij [cand_ij > 0] lp_ij) / max(k_i, 1) / max(sum_i a_i, 1)
 *
 * Scratch: one block of floats from the caller (sizes below).
 */
#include "loss_math.h"

/* u = x / norm per row (norm floored as above); norms[i] = the norm used. */
INLINE void unit_rows(const float *x, float *u, float *norms, int n, int d) {
  int d4 = d & ~3;
  for (int i = 0; i < n; i++) {
    const float *xi = x + i * d;
    f4 s = f4_splat(0);
    for (int j = 0; j < d4; j += 4) s = wasm_f32x4_add(s, wasm_f32x4_mul(f4_load(xi + j), f4_load(xi + j)));
    float sq = f4_sum(s);
    for (int j = d4; j < d; j++) sq += xi[j] * xi[j];
    float norm = __builtin_sqrtf(sq > 1e-12f ? sq : 1e-12f);
    if (norms) norms[i] = sq >= 1e-12f ? norm : -norm; /* sign: whether the floor was inactive (gradient path). */
    for (int j = 0; j < d; j++) u[i * d + j] = xi[j] / norm;
  }
}

/* sim <- masked logits m (in place, from the raw products <u_i, u_j>); returns the row's log-sum-exp in lse. */
INLINE void mask_rows(float *sim, const float *cand, float *lse, int n, float inv_t) {
  for (int i = 0; i < n; i++) {
    float *row = sim + i * n;
    for (int j = 0; j < n; j++) row[j] = row[j] * inv_t + (1.0f - cand[i * n + j]) * MASKED_LOGIT;
    lse[i] = log_sum_exp_row(row, n);
  }
}

INLINE float anchors_with_positive(const float *pos, int n) {
  float a = 0.0f;
  for (int i = 0; i < n; i++) {
    float k = 0.0f;
    for (int j = 0; j < n; j++) k += pos[i * n + j];
    if (k > 0.0f) a += 1.0f;
  }
  return a > 1.0f ? a : 1.0f;
}

/*
 * With `softmax`, `unit` and `norms` (each may be 0) it also keeps, for the backward pass, the row softmax of the masked
 * logits [n, n], the unit rows [n, d] and the norms [n] (negative where the floor is active). Scratch: `n n + n`
 * floats, plus `n d` when `unit` is 0.
 */
void EXPORT(emoje_guided_nce_forward)(const float *x, const float *cand, const float *pos, float *loss, float *softmax,
                                      float *unit, float *norms, float *scratch, int n, int d, float inv_t) {
  float *sim = scratch, *lse = sim + n * n, *u = unit ? unit : lse + n;
  unit_rows(x, u, norms, n, d);
  gemm_nt(u, d, u, d, sim, n, n, d, n, 0);
  mask_rows(sim, cand, lse, n, inv_t);
  float total = 0.0f;
  for (int i = 0; i < n; i++) {
    float k = 0.0f, s = 0.0f;
    for (int j = 0; j < n; j++) {
      float p = pos[i * n + j];
      k += p;
      s += p * (cand[i * n + j] > 0.0f ? sim[i * n + j] - lse[i] : 0.0f);
    }
    if (k > 0.0f) total += s / (k > 1.0f ? k : 1.0f);
  }
  loss[0] = -total / anchors_with_positive(pos, n);
  if (!softmax) return;
  int n4 = n & ~3;
  for (int i = 0; i < n; i++) {
    const float *row = sim + i * n;
    float *out = softmax + i * n;
    f4 lv = f4_splat(lse[i]);
    for (int j = 0; j < n4; j += 4) f4_store(out + j, f4_exp(wasm_f32x4_sub(f4_load(row + j), lv)));
    for (int j = n4; j < n; j++) out[j] = scalar_exp(row[j] - lse[i]);
  }
}

/*
 * From the forward pass's softmax, unit rows and norms:
 * dm_ij = c_i (pos'_ij - k'_i softmax_ij) with pos' = pos [cand > 0], k'_i = sum_j pos'_ij, c_i = -dy a_i / max(k_i, 1) / A;
 * du = (dm + dmᵀ) u / T (one product with the symmetrised dm); dx = (du - u <u, du>) / norm (du / norm where the norm
 * floor is active). Scratch: `n n + n d` floats.
 */
void EXPORT(emoje_guided_nce_backward)(const float *dy, const float *softmax, const float *u, const float *norms,
                                       const float *cand, const float *pos, float *dx, float *scratch, int n, int d,
                                       float inv_t) {
  float *sim = scratch, *du = scratch + n * n;
  float scale = -dy[0] / anchors_with_positive(pos, n);
  for (int i = 0; i < n; i++) {
    float *row = sim + i * n;
    float k = 0.0f, kc = 0.0f;
    for (int j = 0; j < n; j++) {
      float p = pos[i * n + j];
      k += p;
      kc += cand[i * n + j] > 0.0f ? p : 0.0f;
    }
    float c = k > 0.0f ? scale / (k > 1.0f ? k : 1.0f) : 0.0f;
    const float *ci = cand + i * n, *pi = pos + i * n;
    int n4 = n & ~3;
    const float *smi = softmax + i * n;
    f4 cv = f4_splat(c), kv = f4_splat(kc), zero = f4_splat(0);
    for (int j = 0; j < n4; j += 4) {
      f4 pp = wasm_v128_and(f4_load(pi + j), wasm_f32x4_gt(f4_load(ci + j), zero));
      f4_store(row + j, wasm_f32x4_mul(cv, wasm_f32x4_sub(pp, wasm_f32x4_mul(kv, f4_load(smi + j)))));
    }
    for (int j = n4; j < n; j++) {
      float pp = ci[j] > 0.0f ? pi[j] : 0.0f;
      row[j] = c * (pp - kc * smi[j]);
    }
  }
  /* du = (dm + dmᵀ) u: symmetrise dm in place, then one product. */
  for (int i = 0; i < n; i++) {
    sim[i * n + i] += sim[i * n + i];
    for (int j = i + 1; j < n; j++) {
      float t = sim[i * n + j] + sim[j * n + i];
      sim[i * n + j] = t;
      sim[j * n + i] = t;
    }
  }
  gemm_nn(sim, n, u, d, du, d, n, n, d, 0);
  for (int i = 0; i < n; i++) {
    float *dui = du + i * d;
    const float *ui = u + i * d;
    float norm = norms[i] < 0.0f ? -norms[i] : norms[i];
    float dot = 0.0f;
    if (norms[i] >= 0.0f) {
      for (int j = 0; j < d; j++) dot += ui[j] * dui[j];
    }
    for (int j = 0; j < d; j++) dx[i * d + j] = (dui[j] * inv_t - ui[j] * (dot * inv_t)) / norm;
  }
}
