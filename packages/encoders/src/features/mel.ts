import { EmojeInputError, assertInteger } from '@emoje/core';

/** HTK mel scale: `2595 log10(1 + f / 700)`. */
export function hzToMel(hz: number): number {
  return 2595 * Math.log10(1 + hz / 700);
}

/** Inverse of {@link hzToMel}: `700 (10^(mel / 2595) - 1)`. */
export function melToHz(mel: number): number {
  return 700 * (Math.pow(10, mel / 2595) - 1);
}

/** A triangular mel filterbank stored sparsely: band `m` weights bins `start[m] .. start[m] + weights[m].length - 1`. */
export interface MelFilterbank {
  numBands: number;
  /** FFT bins it reads: `fftSize / 2 + 1`. */
  numBins: number;
  /** Centre frequency of each band in Hz. */
  centers: Float64Array;
  start: Int32Array;
  weights: Float64Array[];
}

/**
 * Triangular filters with peak 1 (HTK/Kaldi style, no area normalisation) whose edges are
 * `numBands + 2` points equally spaced on the HTK mel scale from `minFrequency` to `maxFrequency`.
 * Band `m` rises linearly in Hz from edge `m` to edge `m + 1` and falls to edge `m + 2`; FFT bin `k`
 * sits at `k * sampleRate / fftSize` Hz.
 */
export function melFilterbank(options: { sampleRate: number; fftSize: number; numBands?: number; minFrequency?: number; maxFrequency?: number }): MelFilterbank {
  const { sampleRate, fftSize } = options;
  const numBands = options.numBands ?? 40;
  const minFrequency = options.minFrequency ?? 0;
  const maxFrequency = options.maxFrequency ?? Math.min(8000, sampleRate / 2);
  assertInteger('numMelBands', numBands, 1, 1024);
  if (!(minFrequency >= 0 && minFrequency < maxFrequency && maxFrequency <= sampleRate / 2)) {
    throw new EmojeInputError('minFrequency/maxFrequency', `0 <= minFrequency < maxFrequency <= sampleRate / 2 (${sampleRate / 2})`, `${minFrequency} / ${maxFrequency}`);
  }
  const numBins = fftSize / 2 + 1;
  const lowMel = hzToMel(minFrequency);
  const highMel = hzToMel(maxFrequency);
  const edges = new Float64Array(numBands + 2);
  for (let i = 0; i < numBands + 2; i++) edges[i] = melToHz(lowMel + ((highMel - lowMel) * i) / (numBands + 1));
  const centers = edges.slice(1, numBands + 1);
  const start = new Int32Array(numBands);
  const weights: Float64Array[] = [];
  const binHz = sampleRate / fftSize;
  for (let m = 0; m < numBands; m++) {
    const lo = edges[m];
    const mid = edges[m + 1];
    const hi = edges[m + 2];
    const row: number[] = [];
    let first = -1;
    for (let k = 0; k < numBins; k++) {
      const f = k * binHz;
      let w = 0;
      if (f > lo && f <= mid) w = (f - lo) / (mid - lo);
      else if (f > mid && f < hi) w = (hi - f) / (hi - mid);
      if (w > 0) {
        if (first < 0) first = k;
        // keep zeros between the first and last non-zero bin so indices stay contiguous
        while (row.length < k - first) row.push(0);
        row.push(w);
      }
    }
    start[m] = Math.max(first, 0);
    weights.push(Float64Array.from(row));
  }
  return { numBands, numBins, centers, start, weights };
}

/** Applies a filterbank to a power spectrum: band energies `sum_k w[m][k] P[k]`. */
export function applyMelFilterbank(bank: MelFilterbank, power: ArrayLike<number>, out: Float64Array = new Float64Array(bank.numBands)): Float64Array {
  for (let m = 0; m < bank.numBands; m++) {
    const w = bank.weights[m];
    const s = bank.start[m];
    let sum = 0;
    for (let j = 0; j < w.length; j++) sum += w[j] * power[s + j];
    out[m] = sum;
  }
  return out;
}
