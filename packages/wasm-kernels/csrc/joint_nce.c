/*
 * Symmetric InfoNCE over every pair of modalities (the joint-embedding loss), on `z [N, M, E]` with `present [N, M]`
 * (0 or 1) and the inverse temperature `s`. For a pair `a < b` the valid rows V are those with both present; with
 * `G = A_V B_Vᵀ` (A = z[:, a], B = z[:, b]) and logits `S = s G`:
 *
 *   L_ab = 1/|V| sum_{i in V} (lse_j S_ij + lse_j S_ji - 2 S_ii) / 2,   L = mean of L_ab over the pairs with |V| >= 2
 *
 * (0 when no pair qualifies). Absent slots are never read. Scratch (floats, one block from the caller): forward
 * `2 N E + 2 N N + 3 N`, backward `4 N E + 2 N N + 3 N` (the last N hold int row indices).
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

/* S = s G (v x v, G the raw products) into `sv`, and the row and column log-sum-exps of S. */
INLINE void pair_lse(const float *g, float *sv, float *rlse, float *clse, int v, float s) {
  int v4 = v & ~3;
  f4 sc = f4_splat(s);
  for (int i = 0; i < v; i++) {
    for (int j = 0; j < v4; j += 4) f4_store(sv + i * v + j, wasm_f32x4_mul(f4_load(g + i * v + j), sc));
    for (int j = v4; j < v; j++) sv[i * v + j] = g[i * v + j] * s;
    rlse[i] = log_sum_exp_row(sv + i * v, v);
  }
  /* Columns four at a time: each row contributes one vector load. */
  for (int j = 0; j < v4; j += 4) {
    f4 mx = f4_load(sv + j);
    for (int i = 1; i < v; i++) mx = wasm_f32x4_max(mx, f4_load(sv + i * v + j));
    f4 t = f4_splat(0);
    for (int i = 0; i < v; i++) t = wasm_f32x4_add(t, f4_exp(wasm_f32x4_sub(f4_load(sv + i * v + j), mx)));
    for (int l = 0; l < 4; l++) {
      float m = wasm_f32x4_extract_lane(mx, 0), tl = wasm_f32x4_extract_lane(t, 0);
      if (l == 1) m = wasm_f32x4_extract_lane(mx, 1), tl = wasm_f32x4_extract_lane(t, 1);
      if (l == 2) m = wasm_f32x4_extract_lane(mx, 2), tl = wasm_f32x4_extract_lane(t, 2);
      if (l == 3) m = wasm_f32x4_extract_lane(mx, 3), tl = wasm_f32x4_extract_lane(t, 3);
      clse[j + l] = m + scalar_log(tl);
    }
  }
  for (int j = v4; j < v; j++) clse[j] = log_sum_exp(sv + j, v, v);
}

void EXPORT(emoje_joint_nce_forward)(const float *z, const float *present, const float *inv_t, float *loss, float *scratch,
                                     int n, int m, int e) {
  float *ra = scratch, *rb = ra + n * e, *g = rb + n * e, *sv = g + n * n, *rlse = sv + n * n, *clse = rlse + n;
  int *rows = (int *)(clse + n);
  float s = inv_t[0], total = 0.0f;
  int pairs = qualifying_pairs(present, n, m);
  for (int a = 0; a < m && pairs > 0; a++) {
    for (int b = a + 1; b < m; b++) {
      int v = gather_pair(z, present, n, m, e, a, b, rows, ra, rb);
      if (v < 2) continue;
      gemm_nt(ra, e, rb, e, g, v, v, e, v, 0);
      pair_lse(g, sv, rlse, clse, v, s);
      float sum = 0.0f;
      for (int i = 0; i < v; i++) sum += ((rlse[i] - sv[i * v + i]) + (clse[i] - sv[i * v + i])) * 0.5f;
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
  float *ra = scratch, *rb = ra + n * e, *da = rb + n * e, *db = da + n * e, *g = db + n * e, *sv = g + n * n,
        *rlse = sv + n * n, *clse = rlse + n;
  int *rows = (int *)(clse + n);
  float s = inv_t[0], dsum = 0.0f;
  for (int i = 0; i < n * m * e; i++) dz[i] = 0.0f;
  int pairs = qualifying_pairs(present, n, m);
  for (int a = 0; a < m && pairs > 0; a++) {
    for (int b = a + 1; b < m; b++) {
      int v = gather_pair(z, present, n, m, e, a, b, rows, ra, rb);
      if (v < 2) continue;
      gemm_nt(ra, e, rb, e, g, v, v, e, v, 0);
      pair_lse(g, sv, rlse, clse, v, s);
      float c = dy[0] / ((float)v * (float)pairs) * 0.5f;
      int v4 = v & ~3;
      f4 cv = f4_splat(c), sc = f4_splat(s), acc = f4_splat(0);
      for (int i = 0; i < v; i++) {
        float *gi = g + i * v;
        const float *si = sv + i * v;
        float gii = gi[i];
        f4 rl = f4_splat(rlse[i]);
        for (int j = 0; j < v4; j += 4) {
          f4 sij = f4_load(si + j);
          f4 d = wasm_f32x4_mul(cv, wasm_f32x4_add(f4_exp(wasm_f32x4_sub(sij, rl)), f4_exp(wasm_f32x4_sub(sij, f4_load(clse + j)))));
          acc = wasm_f32x4_add(acc, wasm_f32x4_mul(d, f4_load(gi + j)));
          f4_store(gi + j, wasm_f32x4_mul(d, sc));
        }
        for (int j = v4; j < v; j++) {
          float d = c * (scalar_exp(si[j] - rlse[i]) + scalar_exp(si[j] - clse[j]));
          dsum += d * gi[j];
          gi[j] = d * s;
        }
        /* The positive's term, -2c on the diagonal. */
        dsum += -2.0f * c * gii;
        gi[i] += -2.0f * c * s;
      }
      dsum += f4_sum(acc);
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
