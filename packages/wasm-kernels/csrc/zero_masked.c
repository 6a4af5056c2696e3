/*
 * `y = mask > 0 ? x : 0` with `mask` over the leading dimensions of `x` (each mask entry covers `inner` consecutive
 * values): zeroMasked of @emoje/core in one pass. Masked values become exact zeros whatever they held (NaN, Infinity).
 * Its gradient is the same map applied to dy.
 */
#include "common.h"

void EXPORT(emoje_zero_masked)(const float *x, const float *mask, float *y, int outer, int inner) {
  int inner4 = inner & ~3;
  for (int o = 0; o < outer; o++) {
    const float *src = x + o * inner;
    float *dst = y + o * inner;
    if (mask[o] > 0) {
      for (int j = 0; j < inner4; j += 4) f4_store(dst + j, f4_load(src + j));
      for (int j = inner4; j < inner; j++) dst[j] = src[j];
    } else {
      for (int j = 0; j < inner4; j += 4) f4_store(dst + j, f4_splat(0));
      for (int j = inner4; j < inner; j++) dst[j] = 0;
    }
  }
}
