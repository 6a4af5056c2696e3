/*
 * Row-major float32 matrix products for the small shapes of emoje's models (tens to a few thousand rows, 16 to 1024
 * columns): register tiles of 4 rows x 8 columns with wasm SIMD, scalar code for the ragged
 * edges. The transposed forms read their operands in place; transpose_into packs B^T for callers that have scratch
 * room, so that A B^T runs as gemm_nn (emoje_linear_backward does, for dx).
 */
#include "common.h"

/*
 * One 4 x 8 tile of C = A B (rows r..r+3 of A, columns j..j+7 of B), k terms. Measured under V8 (x86-64) against
 * 6 x 8 tiles and against loading four A values per row as one vector spread by shuffles: both ran 10-40% slower,
 * spilling SIMD registers, so this stays the tile.
 */
INLINE void tile_nn_4x8(const float *a, int lda, const float *b, int ldb, float *c, int ldc, int k, int accumulate) {
  f4 c00 = f4_splat(0), c01 = f4_splat(0), c10 = f4_splat(0), c11 = f4_splat(0);
  f4 c20 = f4_splat(0), c21 = f4_splat(0), c30 = f4_splat(0), c31 = f4_splat(0);
  const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda;
  for (int p = 0; p < k; p++) {
    f4 b0 = f4_load(b + p * ldb), b1 = f4_load(b + p * ldb + 4);
    f4 x0 = f4_splat(a0[p]), x1 = f4_splat(a1[p]), x2 = f4_splat(a2[p]), x3 = f4_splat(a3[p]);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x0, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x0, b1));
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x1, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x1, b1));
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x2, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x2, b1));
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x3, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x3, b1));
  }
  float *r0 = c, *r1 = c + ldc, *r2 = c + 2 * ldc, *r3 = c + 3 * ldc;
  if (accumulate) {
    c00 = wasm_f32x4_add(c00, f4_load(r0)); c01 = wasm_f32x4_add(c01, f4_load(r0 + 4));
    c10 = wasm_f32x4_add(c10, f4_load(r1)); c11 = wasm_f32x4_add(c11, f4_load(r1 + 4));
    c20 = wasm_f32x4_add(c20, f4_load(r2)); c21 = wasm_f32x4_add(c21, f4_load(r2 + 4));
    c30 = wasm_f32x4_add(c30, f4_load(r3)); c31 = wasm_f32x4_add(c31, f4_load(r3 + 4));
  }
  f4_store(r0, c00); f4_store(r0 + 4, c01);
  f4_store(r1, c10); f4_store(r1 + 4, c11);
  f4_store(r2, c20); f4_store(r2 + 4, c21);
  f4_store(r3, c30); f4_store(r3 + 4, c31);
}

/* One row x 4 columns of C = A B. */
INLINE void tile_nn_1x4(const float *a, const float *b, int ldb, float *c, int k, int accumulate) {
  f4 acc = f4_splat(0);
  for (int p = 0; p < k; p++) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(f4_splat(a[p]), f4_load(b + p * ldb)));
  if (accumulate) acc = wasm_f32x4_add(acc, f4_load(c));
  f4_store(c, acc);
}

void gemm_nn(const float *a, int lda, const float *b, int ldb, float *c, int ldc, int m, int k, int n, int accumulate) {
  int n8 = n & ~7, n4 = n & ~3;
  /*
   * Rows in blocks of 4, then one by one. (6-row tiles measured ~30% slower under V8: 12 accumulators, two B vectors,
   * a splat and a product exceed the SIMD registers V8 leaves free, and it spills.)
   */
  int i = 0;
  for (; i + 3 < m; i += 4) {
    for (int j = 0; j < n8; j += 8) tile_nn_4x8(a + i * lda, lda, b + j, ldb, c + i * ldc + j, ldc, k, accumulate);
    for (int j = n8; j < n4; j += 4) {
      for (int r = i; r < i + 4; r++) tile_nn_1x4(a + r * lda, b + j, ldb, c + r * ldc + j, k, accumulate);
    }
  }
  for (; i < m; i++) {
    for (int j = 0; j < n4; j += 4) tile_nn_1x4(a + i * lda, b + j, ldb, c + i * ldc + j, k, accumulate);
  }
  for (i = 0; i < m; i++) {
    for (int j = n4; j < n; j++) {
      float s = 0;
      for (int p = 0; p < k; p++) s += a[i * lda + p] * b[p * ldb + j];
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + s : s;
    }
  }
}

/* C = A B^T: each entry a dot product of two rows; 2 x 4 blocks of dot products share their loads. */
void gemm_nt(const float *a, int lda, const float *b, int ldb, float *c, int ldc, int m, int k, int n, int accumulate) {
  int k4 = k & ~3;
  int i = 0;
  for (; i + 1 < m; i += 2) {
    const float *a0 = a + i * lda, *a1 = a0 + lda;
    int j = 0;
    for (; j + 3 < n; j += 4) {
      const float *b0 = b + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
      f4 s00 = f4_splat(0), s01 = f4_splat(0), s02 = f4_splat(0), s03 = f4_splat(0);
      f4 s10 = f4_splat(0), s11 = f4_splat(0), s12 = f4_splat(0), s13 = f4_splat(0);
      for (int p = 0; p < k4; p += 4) {
        f4 x0 = f4_load(a0 + p), x1 = f4_load(a1 + p);
        f4 y0 = f4_load(b0 + p), y1 = f4_load(b1 + p), y2 = f4_load(b2 + p), y3 = f4_load(b3 + p);
        s00 = wasm_f32x4_add(s00, wasm_f32x4_mul(x0, y0));
        s01 = wasm_f32x4_add(s01, wasm_f32x4_mul(x0, y1));
        s02 = wasm_f32x4_add(s02, wasm_f32x4_mul(x0, y2));
        s03 = wasm_f32x4_add(s03, wasm_f32x4_mul(x0, y3));
        s10 = wasm_f32x4_add(s10, wasm_f32x4_mul(x1, y0));
        s11 = wasm_f32x4_add(s11, wasm_f32x4_mul(x1, y1));
        s12 = wasm_f32x4_add(s12, wasm_f32x4_mul(x1, y2));
        s13 = wasm_f32x4_add(s13, wasm_f32x4_mul(x1, y3));
      }
      float t00 = f4_sum(s00), t01 = f4_sum(s01), t02 = f4_sum(s02), t03 = f4_sum(s03);
      float t10 = f4_sum(s10), t11 = f4_sum(s11), t12 = f4_sum(s12), t13 = f4_sum(s13);
      for (int p = k4; p < k; p++) {
        t00 += a0[p] * b0[p]; t01 += a0[p] * b1[p]; t02 += a0[p] * b2[p]; t03 += a0[p] * b3[p];
        t10 += a1[p] * b0[p]; t11 += a1[p] * b1[p]; t12 += a1[p] * b2[p]; t13 += a1[p] * b3[p];
      }
      float *c0 = c + i * ldc + j, *c1 = c0 + ldc;
      if (accumulate) {
        c0[0] += t00; c0[1] += t01; c0[2] += t02; c0[3] += t03;
        c1[0] += t10; c1[1] += t11; c1[2] += t12; c1[3] += t13;
      } else {
        c0[0] = t00; c0[1] = t01; c0[2] = t02; c0[3] = t03;
        c1[0] = t10; c1[1] = t11; c1[2] = t12; c1[3] = t13;
      }
    }
    for (; j < n; j++) {
      const float *b0 = b + j * ldb;
      f4 s0 = f4_splat(0), s1 = f4_splat(0);
      for (int p = 0; p < k4; p += 4) {
        f4 y = f4_load(b0 + p);
        s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(f4_load(a0 + p), y));
        s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(f4_load(a1 + p), y));
      }
      float t0 = f4_sum(s0), t1 = f4_sum(s1);
      for (int p = k4; p < k; p++) { t0 += a0[p] * b0[p]; t1 += a1[p] * b0[p]; }
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + t0 : t0;
      c[(i + 1) * ldc + j] = accumulate ? c[(i + 1) * ldc + j] + t1 : t1;
    }
  }
  for (; i < m; i++) {
    const float *a0 = a + i * lda;
    for (int j = 0; j < n; j++) {
      const float *b0 = b + j * ldb;
      f4 s = f4_splat(0);
      for (int p = 0; p < k4; p += 4) s = wasm_f32x4_add(s, wasm_f32x4_mul(f4_load(a0 + p), f4_load(b0 + p)));
      float t = f4_sum(s);
      for (int p = k4; p < k; p++) t += a0[p] * b0[p];
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + t : t;
    }
  }
}

/*
 * One 4 x 8 tile of C = A^T B: rows i..i+3 of C (columns i..i+3 of A, read as one vector per p and spread over lanes
 * with shuffles), columns j..j+7 (two vectors of B per p). Sums run over p in order from 0, then add to C when
 * accumulating: the same order as one sum per entry.
 */
INLINE void tile_tn_4x8(const float *a, int lda, const float *b, int ldb, float *c, int ldc, int k, int accumulate) {
  f4 c00 = f4_splat(0), c01 = f4_splat(0), c10 = f4_splat(0), c11 = f4_splat(0);
  f4 c20 = f4_splat(0), c21 = f4_splat(0), c30 = f4_splat(0), c31 = f4_splat(0);
  for (int p = 0; p < k; p++) {
    f4 av = f4_load(a + p * lda);
    f4 b0 = f4_load(b + p * ldb), b1 = f4_load(b + p * ldb + 4);
    f4 x0 = wasm_i32x4_shuffle(av, av, 0, 0, 0, 0), x1 = wasm_i32x4_shuffle(av, av, 1, 1, 1, 1);
    f4 x2 = wasm_i32x4_shuffle(av, av, 2, 2, 2, 2), x3 = wasm_i32x4_shuffle(av, av, 3, 3, 3, 3);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x0, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x0, b1));
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x1, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x1, b1));
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x2, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x2, b1));
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x3, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x3, b1));
  }
  float *r0 = c, *r1 = c + ldc, *r2 = c + 2 * ldc, *r3 = c + 3 * ldc;
  if (accumulate) {
    c00 = wasm_f32x4_add(f4_load(r0), c00); c01 = wasm_f32x4_add(f4_load(r0 + 4), c01);
    c10 = wasm_f32x4_add(f4_load(r1), c10); c11 = wasm_f32x4_add(f4_load(r1 + 4), c11);
    c20 = wasm_f32x4_add(f4_load(r2), c20); c21 = wasm_f32x4_add(f4_load(r2 + 4), c21);
    c30 = wasm_f32x4_add(f4_load(r3), c30); c31 = wasm_f32x4_add(f4_load(r3 + 4), c31);
  }
  f4_store(r0, c00); f4_store(r0 + 4, c01);
  f4_store(r1, c10); f4_store(r1 + 4, c11);
  f4_store(r2, c20); f4_store(r2 + 4, c21);
  f4_store(r3, c30); f4_store(r3 + 4, c31);
}

/*
 * C = A^T B with A [k, m], B [k, n]: C's row i gathers a[p, i] * b[p, :] over p. 4 x 8 tiles of C (each row of B
 * loaded once per four output rows, two vectors at a time), then 4 x 4 blocks, then scalar edges.
 */
void gemm_tn(const float *a, int lda, const float *b, int ldb, float *c, int ldc, int m, int k, int n, int accumulate) {
  int n8 = n & ~7, n4 = n & ~3;
  int i = 0;
  for (; i + 3 < m; i += 4) {
    for (int j = 0; j < n8; j += 8) tile_tn_4x8(a + i, lda, b + j, ldb, c + i * ldc + j, ldc, k, accumulate);
    float *c0 = c + i * ldc, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
    for (int j = n8; j < n4; j += 4) {
      f4 s0 = f4_splat(0), s1 = f4_splat(0), s2 = f4_splat(0), s3 = f4_splat(0);
      for (int p = 0; p < k; p++) {
        const float *ap = a + p * lda + i;
        f4 y = f4_load(b + p * ldb + j);
        s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(f4_splat(ap[0]), y));
        s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(f4_splat(ap[1]), y));
        s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(f4_splat(ap[2]), y));
        s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(f4_splat(ap[3]), y));
      }
      if (accumulate) {
        s0 = wasm_f32x4_add(f4_load(c0 + j), s0); s1 = wasm_f32x4_add(f4_load(c1 + j), s1);
        s2 = wasm_f32x4_add(f4_load(c2 + j), s2); s3 = wasm_f32x4_add(f4_load(c3 + j), s3);
      }
      f4_store(c0 + j, s0); f4_store(c1 + j, s1); f4_store(c2 + j, s2); f4_store(c3 + j, s3);
    }
    for (int j = n4; j < n; j++) {
      float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
      for (int p = 0; p < k; p++) {
        const float *ap = a + p * lda + i;
        float y = b[p * ldb + j];
        t0 += ap[0] * y; t1 += ap[1] * y; t2 += ap[2] * y; t3 += ap[3] * y;
      }
      c0[j] = accumulate ? c0[j] + t0 : t0; c1[j] = accumulate ? c1[j] + t1 : t1;
      c2[j] = accumulate ? c2[j] + t2 : t2; c3[j] = accumulate ? c3[j] + t3 : t3;
    }
  }
  for (; i < m; i++) {
    float *c0 = c + i * ldc;
    for (int j = 0; j < n4; j += 4) {
      f4 s = f4_splat(0);
      for (int p = 0; p < k; p++) s = wasm_f32x4_add(s, wasm_f32x4_mul(f4_splat(a[p * lda + i]), f4_load(b + p * ldb + j)));
      f4_store(c0 + j, accumulate ? wasm_f32x4_add(f4_load(c0 + j), s) : s);
    }
    for (int j = n4; j < n; j++) {
      float t = 0;
      for (int p = 0; p < k; p++) t += a[p * lda + i] * b[p * ldb + j];
      c0[j] = accumulate ? c0[j] + t : t;
    }
  }
}

/* T [cols, rows] = A [rows, cols]^T (row strides lda, ldt): 4 x 4 blocks through registers, scalar edges. */
void transpose_into(const float *a, int lda, float *t, int ldt, int rows, int cols) {
  int r4 = rows & ~3, c4 = cols & ~3;
  for (int i = 0; i < r4; i += 4) {
    for (int j = 0; j < c4; j += 4) {
      f4 x0 = f4_load(a + i * lda + j), x1 = f4_load(a + (i + 1) * lda + j);
      f4 x2 = f4_load(a + (i + 2) * lda + j), x3 = f4_load(a + (i + 3) * lda + j);
      f4 l01 = wasm_i32x4_shuffle(x0, x1, 0, 4, 1, 5), h01 = wasm_i32x4_shuffle(x0, x1, 2, 6, 3, 7);
      f4 l23 = wasm_i32x4_shuffle(x2, x3, 0, 4, 1, 5), h23 = wasm_i32x4_shuffle(x2, x3, 2, 6, 3, 7);
      f4_store(t + j * ldt + i, wasm_i64x2_shuffle(l01, l23, 0, 2));
      f4_store(t + (j + 1) * ldt + i, wasm_i64x2_shuffle(l01, l23, 1, 3));
      f4_store(t + (j + 2) * ldt + i, wasm_i64x2_shuffle(h01, h23, 0, 2));
      f4_store(t + (j + 3) * ldt + i, wasm_i64x2_shuffle(h01, h23, 1, 3));
    }
    for (int j = c4; j < cols; j++) {
      for (int r = i; r < i + 4; r++) t[j * ldt + r] = a[r * lda + j];
    }
  }
  for (int i = r4; i < rows; i++) {
    for (int j = 0; j < cols; j++) t[j * ldt + i] = a[i * lda + j];
  }
}
