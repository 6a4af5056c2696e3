/*
 * Symmetric InfoNCE over every pair of modalities (the joint-embedding loss), on `z [N, M, E]` with `present [N, M]`
 * (0 or 1) and the inverse temperature `s`. For a pair `a < b` the valid rows V are those with both present; with
 * `G = A_V B_Vᵀ` (A = z[:, a], B = z[:, b]) and logits `S = s G`:
 *
 *   L_ab = 1/|V| sum_{i in V} (lse_j S_ij + lse_j S_ji - 2 S_ii) / 2,   L = mean of L_ab over the pairs with |V| >= 2
 *
 * (0 when no pair qualifies). Absent slots are never read. Scratch (floats, one block from the caller): forward
 * `2 N E + N N + 3 N`, backward `4 N E + N N + 3 N` (the last N hold int row indices).
 */
#include "loss_math.h"

/* Rows of V for the pair (a, b), copied into A and B; returns |V|. */
INLINE int gather_pair(const float *z, const float *present, int n, int m, int e, int a, int b, int *rows, float *ra, float *rb) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!(present[i * m + a] > 0.0f && present[i * m + b] > 0.0f)) continue;
    rows[v] = i;
    for (int j = 0; j < e; j++) {
      ra[v * e + j] = z[(i * m + a) * e + j];
      rb[v * e + j] = z[(i * m + b) * e + j];
    }
    v++;
  }
  return v;
}

INLINE int qualifying_pairs(const float *present, int n, int m) {
  int pairs = 0;
  for (int a = 0; a < m; a++) {
    for (int b = a + 1; b < m; b++) {
      int v = 0;
      for (int i = 0; i < n; i++) v += present[i * m + a] > 0.0f && present[i * m + b] > 0.0f;
      pairs += v >= 2;
    }
  }
  return pairs;
}

/* G (v x v, raw products) -> row and column log-sum-exps of s G. */
INLINE void pair_lse(float *g, float *rlse, float *clse, int v, float s) {
  for (int i = 0; i < v; i++) {
    float mx = -__builtin_inff();
    for (int j = 0; j < v; j++) mx = g[i * v + j] * s > mx ? g[i * v + j] * s : mx;
    float t = 0.0f;
    for (int j = 0; j < v; j++) t += scalar_exp(g[i * v + j] * s - mx);
    rlse[i] = mx + scalar_log(t);
  }
  for (int j = 0; j < v; j++) {
    float mx = -__builtin_inff();
    for (int i = 0; i < v; i++) mx = g[i * v + j] * s > mx ? g[i * v + j] * s : mx;
    float t = 0.0f;
    for (int i = 0; i < v; i++) t += scalar_exp(g[i * v + j] * s - mx);
    clse[j] = mx + scalar_log(t);
  }
}

void EXPORT(emoje_joint_nce_forward)(const float *z, const float *present, const float *inv_t, float *loss, float *scratch,
                                     int n, int m, int e) {
  float *ra = scratch, *rb = ra + n * e, *g = rb + n * e, *rlse = g + n * n, *clse = rlse + n;
  int *rows = (int *)(clse + n);
  float s = inv_t[0], total = 0.0f;
  int pairs = qualifying_pairs(present, n, m);
  for (int a = 0; a < m && pairs > 0; a++) {
    for (int b = a + 1; b < m; b++) {
      int v = gather_pair(z, present, n, m, e, a, b, rows, ra, rb);
      if (v < 2) continue;
      gemm_nt(ra, e, rb, e, g, v, v, e, v, 0);
      pair_lse(g, rlse, clse, v, s);
      float sum = 0.0f;
      for (int i = 0; i < v; i++) sum += ((rlse[i] - g[i * v + i] * s) + (clse[i] - g[i * v + i] * s)) * 0.5f;
      total += sum / (float)v;
    }
  }
  loss[0] = total / (float)(pairs > 1 ? pairs : 1);
}

/*
 * dS_ij = c (softmax_row(S)_ij + softmax_col(S)_ij - 2 [i = j]) / 2 with c = dy / (|V| P); dA = s dS B, dB = s dSᵀ A,
 * ds += sum dS ∘ G. dz is zero outside the present slots.
 */
void EXPORT(emoje_joint_nce_backward)(const float *dy, const float *z, const float *present, const float *inv_t, float *dz,
                                      float *ds, float *scratch, int n, int m, int e) {
  float *ra = scratch, *rb = ra + n * e, *da = rb + n * e, *db = da + n * e, *g = db + n * e, *rlse = g + n * n,
        *clse = rlse + n;
  int *rows = (int *)(clse + n);
  float s = inv_t[0], dsum = 0.0f;
  for (int i = 0; i < n * m * e; i++) dz[i] = 0.0f;
  int pairs = qualifying_pairs(present, n, m);
  for (int a = 0; a < m && pairs > 0; a++) {
    for (int b = a + 1; b < m; b++) {
      int v = gather_pair(z, present, n, m, e, a, b, rows, ra, rb);
      if (v < 2) continue;
      gemm_nt(ra, e, rb, e, g, v, v, e, v, 0);
      pair_lse(g, rlse, clse, v, s);
      float c = dy[0] / ((float)v * (float)pairs) * 0.5f;
      for (int i = 0; i < v; i++) {
        for (int j = 0; j < v; j++) {
          float gij = g[i * v + j], sij = gij * s;
          float d = c * (scalar_exp(sij - rlse[i]) + scalar_exp(sij - clse[j]) - (i == j ? 2.0f : 0.0f));
          dsum += d * gij;
          g[i * v + j] = d * s;
        }
      }
      gemm_nn(g, v, rb, e, da, e, v, v, e, 0);
      gemm_tn(g, v, ra, e, db, e, v, v, e, 0);
      for (int r = 0; r < v; r++) {
        float *za = dz + (rows[r] * m + a) * e, *zb = dz + (rows[r] * m + b) * e;
        for (int j = 0; j < e; j++) {
          za[j] += da[r * e + j];
          zb[j] += db[r * e + j];
        }
      }
    }
  }
  ds[0] = dsum;
}
