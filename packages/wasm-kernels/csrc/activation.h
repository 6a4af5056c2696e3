/*
 * The activations the fused kernels apply, as @emoje/core computes them: 0 linear, 1 GELU (tanh form, computed as
 * x * sigmoid(2u) with u = k (x + c x^3)), 2 ReLU, 3 tanh (2 sigmoid(2x) - 1), and their slopes.
 */
#ifndef EMOJE_KERNELS_ACTIVATION_H
#define EMOJE_KERNELS_ACTIVATION_H

#include "common.h"

#define ACT_LINEAR 0
#define ACT_GELU 1
#define ACT_RELU 2
#define ACT_TANH 3

#define GELU_K 0.7978845608028654f
#define GELU_C 0.044715f

INLINE f4 gelu_gate(f4 z) {
  f4 z3 = wasm_f32x4_mul(wasm_f32x4_mul(z, z), z);
  f4 u = wasm_f32x4_add(z, wasm_f32x4_mul(z3, f4_splat(GELU_C)));
  return f4_sigmoid(wasm_f32x4_mul(u, f4_splat(2 * GELU_K)));
}

INLINE f4 activate4(f4 z, int act) {
  switch (act) {
    case ACT_GELU: return wasm_f32x4_mul(z, gelu_gate(z));
    case ACT_RELU: return wasm_f32x4_max(z, f4_splat(0));
    case ACT_TANH:
      return wasm_f32x4_sub(wasm_f32x4_mul(f4_sigmoid(wasm_f32x4_mul(z, f4_splat(2))), f4_splat(2)), f4_splat(1));
    default: return z;
  }
}

/* d act / d z at z. */
INLINE f4 slope4(f4 z, int act) {
  switch (act) {
    case ACT_GELU: {
      f4 s = gelu_gate(z);
      f4 poly = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(z, z), f4_splat(6 * GELU_C * GELU_K)), f4_splat(2 * GELU_K));
      f4 tail = wasm_f32x4_mul(wasm_f32x4_mul(z, wasm_f32x4_mul(s, wasm_f32x4_sub(f4_splat(1), s))), poly);
      return wasm_f32x4_add(s, tail);
    }
    case ACT_RELU: return wasm_v128_and(wasm_f32x4_gt(z, f4_splat(0)), f4_splat(1));
    case ACT_TANH: {
      f4 t = activate4(z, ACT_TANH);
      return wasm_f32x4_sub(f4_splat(1), wasm_f32x4_mul(t, t));
    }
    default: return f4_splat(1);
  }
}

#endif
