/*
 * Shared helpers of emoje's fused wasm kernels: row-major float32 matrix products and a vectorised exp.
 *
 * The module runs inside the memory of tfjs-backend-wasm (it imports that WebAssembly.Memory), so it must not own
 * any memory of its own: no static data, no globals, no shadow stack (no arrays or address-taken locals). The build
 * script checks the linked module for a data section and for uses of the stack pointer and fails if it finds one.
 * Scratch space comes from the caller, allocated with the backend's malloc.
 */
#ifndef EMOJE_KERNELS_COMMON_H
#define EMOJE_KERNELS_COMMON_H

#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name))) name
#define INLINE static inline __attribute__((always_inline))

typedef v128_t f4;

INLINE f4 f4_splat(float x) { return wasm_f32x4_splat(x); }
INLINE f4 f4_load(const float *p) { return wasm_v128_load(p); }
INLINE void f4_store(float *p, f4 v) { wasm_v128_store(p, v); }
INLINE float f4_sum(f4 v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) +
         wasm_f32x4_extract_lane(v, 3);
}

/* exp(x) to about 2 ulp over float32's range (Cephes' expf: x = n ln2 + r, degree-5 polynomial in r). */
INLINE f4 f4_exp(f4 x) {
  x = wasm_f32x4_min(wasm_f32x4_max(x, f4_splat(-87.3f)), f4_splat(88.3f));
  f4 n = wasm_f32x4_nearest(wasm_f32x4_mul(x, f4_splat(1.44269504088896341f)));
  f4 r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, f4_splat(0.693359375f)));
  r = wasm_f32x4_add(r, wasm_f32x4_mul(n, f4_splat(2.12194440e-4f)));
  f4 p = f4_splat(1.9875691500E-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), f4_splat(1.3981999507E-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), f4_splat(8.3334519073E-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), f4_splat(4.1665795894E-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), f4_splat(1.6666665459E-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), f4_splat(5.0000001201E-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), wasm_f32x4_add(r, f4_splat(1.0f)));
  v128_t bits = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, bits);
}

INLINE float scalar_exp(float x) { return wasm_f32x4_extract_lane(f4_exp(f4_splat(x)), 0); }

/* 1 / (1 + exp(-x)) */
INLINE f4 f4_sigmoid(f4 x) {
  return wasm_f32x4_div(f4_splat(1.0f), wasm_f32x4_add(f4_splat(1.0f), f4_exp(wasm_f32x4_neg(x))));
}

/* C[m, n] (+)= A[m, k] B[k, n]; row strides lda, ldb, ldc. */
void gemm_nn(const float *a, int lda, const float *b, int ldb, float *c, int ldc, int m, int k, int n, int accumulate);
/* C[m, n] (+)= A[m, k] B[n, k]^T. */
void gemm_nt(const float *a, int lda, const float *b, int ldb, float *c, int ldc, int m, int k, int n, int accumulate);
/* C[m, n] (+)= A[k, m]^T B[k, n]. */
void gemm_tn(const float *a, int lda, const float *b, int ldb, float *c, int ldc, int m, int k, int n, int accumulate);
/* T[cols, rows] = A[rows, cols]^T: with gemm_nn, a faster A B^T than gemm_nt when there is room to pack B^T. */
void transpose_into(const float *a, int lda, float *t, int ldt, int rows, int cols);

#endif
