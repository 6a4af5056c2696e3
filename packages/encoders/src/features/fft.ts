import { EmojeInputError } from '@emoje/core';

/** True when `n` is a power of two (1, 2, 4, ...). */
export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

/** The smallest power of two that is at least `n`. */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * In-place iterative radix-2 complex FFT of a fixed size, with precomputed twiddles and
 * bit-reversal permutation. Float64 throughout.
 */
export class ComplexFft {
  readonly size: number;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly reversed: Uint32Array;

  constructor(size: number) {
    if (!isPowerOfTwo(size)) throw new EmojeInputError('size', 'a power of two', String(size));
    this.size = size;
    const half = size >> 1;
    this.cos = new Float64Array(half);
    this.sin = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.sin[k] = -Math.sin((2 * Math.PI * k) / size);
    }
    this.reversed = new Uint32Array(size);
    const bits = Math.round(Math.log2(size));
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.reversed[i] = r;
    }
  }

  /** Forward transform `X[k] = sum_n x[n] e^{-2 pi i k n / N}`, in place. */
  transform(re: Float64Array, im: Float64Array): void {
    const n = this.size;
    const rev = this.reversed;
    for (let i = 0; i < n; i++) {
      const j = rev[i];
      if (j > i) {
        const tr = re[i];
        re[i] = re[j];
        re[j] = tr;
        const ti = im[i];
        im[i] = im[j];
        im[j] = ti;
      }
    }
    const cos = this.cos;
    const sin = this.sin;
    for (let len = 2; len <= n; len <<= 1) {
      const half = len >> 1;
      const step = n / len;
      for (let start = 0; start < n; start += len) {
        for (let k = 0, t = 0; k < half; k++, t += step) {
          const wr = cos[t];
          const wi = sin[t];
          const a = start + k;
          const b = a + half;
          const xr = re[b] * wr - im[b] * wi;
          const xi = re[b] * wi + im[b] * wr;
          re[b] = re[a] - xr;
          im[b] = im[a] - xi;
          re[a] += xr;
          im[a] += xi;
        }
      }
    }
  }
}

/**
 * Radix-2 FFT of a real signal of power-of-two length N >= 2, through one complex FFT of length N/2
 * (even samples as real part, odd as imaginary) and the usual split step. Gives the N/2 + 1
 * non-negative-frequency bins.
 */
export class RealFft {
  readonly size: number;
  private readonly half: ComplexFft;
  private readonly zr: Float64Array;
  private readonly zi: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(size: number) {
    if (!isPowerOfTwo(size) || size < 2) throw new EmojeInputError('fftSize', 'a power of two >= 2', String(size));
    this.size = size;
    const m = size >> 1;
    this.half = new ComplexFft(m);
    this.zr = new Float64Array(m);
    this.zi = new Float64Array(m);
    this.cos = new Float64Array(m + 1);
    this.sin = new Float64Array(m + 1);
    for (let k = 0; k <= m; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.sin[k] = Math.sin((2 * Math.PI * k) / size);
    }
  }

  /**
   * Transforms `input` (its first `size` values; missing ones count as zero) into `outRe`/`outIm`,
   * each of length at least `size / 2 + 1`.
   */
  forward(input: ArrayLike<number>, outRe: Float64Array, outIm: Float64Array): void {
    const m = this.size >> 1;
    const zr = this.zr;
    const zi = this.zi;
    const n = Math.min(input.length, this.size);
    for (let k = 0; k < m; k++) {
      const e = 2 * k;
      zr[k] = e < n ? input[e] : 0;
      zi[k] = e + 1 < n ? input[e + 1] : 0;
    }
    this.half.transform(zr, zi);
    const cos = this.cos;
    const sin = this.sin;
    for (let k = 0; k <= m; k++) {
      const a = k === m ? 0 : k;
      const b = k === 0 ? 0 : m - k;
      const zrA = zr[a];
      const ziA = zi[a];
      const zrB = zr[b];
      const ziB = zi[b];
      // even part (Z[k] + conj Z[m-k]) / 2, odd part (Z[k] - conj Z[m-k]) / 2i
      const er = 0.5 * (zrA + zrB);
      const ei = 0.5 * (ziA - ziB);
      const or = 0.5 * (ziA + ziB);
      const oi = -0.5 * (zrA - zrB);
      const c = cos[k];
      const s = sin[k];
      // X[k] = E + e^{-2 pi i k / N} O
      outRe[k] = er + c * or + s * oi;
      outIm[k] = ei + c * oi - s * or;
    }
  }

  /**
   * Inverse of {@link forward}: from the `size / 2 + 1` bins of a real signal's spectrum (Hermitian
   * symmetry assumed) back to the `size` samples, `x[n] = (1 / N) sum_k X[k] e^{2 pi i k n / N}`.
   */
  inverse(inRe: ArrayLike<number>, inIm: ArrayLike<number>, out: Float64Array): void {
    const m = this.size >> 1;
    const zr = this.zr;
    const zi = this.zi;
    const cos = this.cos;
    const sin = this.sin;
    for (let k = 0; k < m; k++) {
      const xr = inRe[k];
      const xi = inIm[k];
      const yr = inRe[m - k];
      const yi = -inIm[m - k];
      const er = 0.5 * (xr + yr);
      const ei = 0.5 * (xi + yi);
      const dr = 0.5 * (xr - yr);
      const di = 0.5 * (xi - yi);
      // odd part O = D e^{+2 pi i k / N}; Z = E + i O, conjugated for the inverse through a forward FFT
      const c = cos[k];
      const s = sin[k];
      const or = dr * c - di * s;
      const oi = dr * s + di * c;
      zr[k] = er - oi;
      zi[k] = -(ei + or);
    }
    this.half.transform(zr, zi);
    const inv = 1 / m;
    for (let n = 0; n < m; n++) {
      out[2 * n] = zr[n] * inv;
      out[2 * n + 1] = -zi[n] * inv;
    }
  }

  /** Power spectrum `|X[k]|^2` (not normalised) of `input` into `out` (length >= size / 2 + 1). */
  power(input: ArrayLike<number>, out: Float64Array, scratchRe?: Float64Array, scratchIm?: Float64Array): void {
    const bins = (this.size >> 1) + 1;
    const re = scratchRe ?? new Float64Array(bins);
    const im = scratchIm ?? new Float64Array(bins);
    this.forward(input, re, im);
    for (let k = 0; k < bins; k++) out[k] = re[k] * re[k] + im[k] * im[k];
  }
}

/**
 * FFT of a real signal: the `n / 2 + 1` non-negative-frequency bins, with `n` = `fftSize` or the next
 * power of two of the signal length (zero-padded).
 */
export function rfft(signal: ArrayLike<number>, fftSize = nextPowerOfTwo(Math.max(2, signal.length))): { re: Float64Array; im: Float64Array } {
  if (!isPowerOfTwo(fftSize) || fftSize < 2) throw new EmojeInputError('fftSize', 'a power of two >= 2', String(fftSize));
  if (signal.length > fftSize) throw new EmojeInputError('signal', `at most fftSize (${fftSize}) samples`, `${signal.length} samples`);
  const fft = new RealFft(fftSize);
  const bins = fftSize / 2 + 1;
  const re = new Float64Array(bins);
  const im = new Float64Array(bins);
  fft.forward(signal, re, im);
  return { re, im };
}

/** Power spectrum `|X[k]|^2` of a real signal, `fftSize / 2 + 1` bins (see {@link rfft}). */
export function powerSpectrum(signal: ArrayLike<number>, fftSize = nextPowerOfTwo(Math.max(2, signal.length))): Float64Array {
  const { re, im } = rfft(signal, fftSize);
  const out = new Float64Array(re.length);
  for (let k = 0; k < re.length; k++) out[k] = re[k] * re[k] + im[k] * im[k];
  return out;
}
