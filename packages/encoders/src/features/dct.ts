import { assertInteger } from '@emoje/core';

/**
 * The first `numCoefficients` rows of the orthonormal DCT-II matrix of size `size`:
 * `C[k][n] = s_k cos(pi k (2n + 1) / (2 size))`, `s_0 = sqrt(1 / size)`, `s_k = sqrt(2 / size)`
 * (scipy's `dct(type=2, norm='ortho')`), row-major `[numCoefficients, size]`.
 */
export function dctMatrix(numCoefficients: number, size: number): Float64Array {
  assertInteger('size', size, 1);
  assertInteger('numMfcc', numCoefficients, 1, size);
  const m = new Float64Array(numCoefficients * size);
  for (let k = 0; k < numCoefficients; k++) {
    const s = k === 0 ? Math.sqrt(1 / size) : Math.sqrt(2 / size);
    for (let n = 0; n < size; n++) m[k * size + n] = s * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * size));
  }
  return m;
}

/** Orthonormal DCT-II of `input`, first `numCoefficients` coefficients (see {@link dctMatrix}). */
export function dct(input: ArrayLike<number>, numCoefficients = input.length): Float64Array {
  const size = input.length;
  const m = dctMatrix(numCoefficients, size);
  const out = new Float64Array(numCoefficients);
  for (let k = 0; k < numCoefficients; k++) {
    let sum = 0;
    for (let n = 0; n < size; n++) sum += m[k * size + n] * input[n];
    out[k] = sum;
  }
  return out;
}
