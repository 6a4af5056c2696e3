/*
 * Dropout with exactly tf.dropout's mask: tfjs draws its uniform numbers from seedrandom's Alea generator (seeded on
 * the host; its state arrives here as four doubles), rounds each to float32, and keeps `floor(u + keep) / keep` as
 * the multiplier, all in float32. The same arithmetic here, in the same order, gives the same bits.
 */
#include "common.h"

void EXPORT(emoje_dropout)(const float *x, float *y, float *multiplier, int n, double s0, double s1, double s2,
                           double c, float keep) {
  for (int i = 0; i < n; i++) {
    double t = 2091639.0 * s0 + c * 2.3283064365386963e-10; /* 2^-32 */
    s0 = s1;
    s1 = s2;
    c = (double)(int)t;
    s2 = t - c;
    float m = __builtin_floorf((float)s2 + keep) / keep;
    if (multiplier) multiplier[i] = m;
    y[i] = x[i] * m;
  }
}
