/*
 * Fused linear map with activation, `y = act(x W + b)`, and its gradient in one pass: the forward pass of one stream
 * (modality) of applyStreamLinear, and the backward pass giving dx, dW and db from dy at once.
 * Activations: see activation.h.
 */
#include "activation.h"

/* Applies act to n values (n a multiple of 4 or not): dst may equal src. */
static void activate_span(const float *src, float *dst, int n, int act) {
  int n4 = n & ~3;
  for (int i = 0; i < n4; i += 4) f4_store(dst + i, activate4(f4_load(src + i), act));
  for (int i = n4; i < n; i++) dst[i] = wasm_f32x4_extract_lane(activate4(f4_splat(src[i]), act), 0);
}

/*
 * y [rows, out] = act(x [rows, in] W [in, out] + b [out]). b may be 0 (no bias). With z non-zero the pre-activation
 * is kept there for the backward pass.
 */
void EXPORT(emoje_linear_forward)(const float *x, const float *w, const float *b, float *y, float *z, int rows,
                                  int in, int out, int act) {
  float *pre = (act != ACT_LINEAR && z) ? z : y;
  gemm_nn(x, in, w, out, pre, out, rows, in, out, 0);
  if (b) {
    int o4 = out & ~3;
    for (int r = 0; r < rows; r++) {
      float *row = pre + r * out;
      for (int j = 0; j < o4; j += 4) f4_store(row + j, wasm_f32x4_add(f4_load(row + j), f4_load(b + j)));
      for (int j = o4; j < out; j++) row[j] += b[j];
    }
  }
  if (act != ACT_LINEAR) activate_span(pre, y, rows * out, act);
}

/*
 * Gradients of emoje_linear_forward: g = dy * act'(z), dx = g W^T, dW = x^T g, db = sum of g over rows. dx, db may be
 * 0 when not needed. scratch holds rows x out floats for g (unused for a linear map), then, when dx is wanted, out x in
 * floats for W^T: dx is the plain product g W^T (gemm_nn's register tiles), faster than dot products of rows
 * (gemm_nt) at every size the models use, the packing costing one pass over W.
 */
void EXPORT(emoje_linear_backward)(const float *dy, const float *x, const float *w, const float *z, float *dx,
                                   float *dw, float *db, float *scratch, int rows, int in, int out, int act) {
  const float *g = dy;
  float *wt = scratch + (act != ACT_LINEAR ? rows * out : 0);
  if (act != ACT_LINEAR) {
    int n = rows * out, n4 = n & ~3;
    for (int i = 0; i < n4; i += 4) f4_store(scratch + i, wasm_f32x4_mul(f4_load(dy + i), slope4(f4_load(z + i), act)));
    for (int i = n4; i < n; i++) scratch[i] = dy[i] * wasm_f32x4_extract_lane(slope4(f4_splat(z[i]), act), 0);
    g = scratch;
  }
  if (dx) {
    transpose_into(w, out, wt, in, in, out);
    gemm_nn(g, out, wt, in, dx, in, rows, out, in, 0);
  }
  gemm_tn(x, in, g, out, dw, out, in, rows, out, 0);
  if (db) {
    int o4 = out & ~3;
    for (int j = 0; j < out; j++) db[j] = 0;
    for (int r = 0; r < rows; r++) {
      const float *row = g + r * out;
      for (int j = 0; j < o4; j += 4) f4_store(db + j, wasm_f32x4_add(f4_load(db + j), f4_load(row + j)));
      for (int j = o4; j < out; j++) db[j] += row[j];
    }
  }
}
