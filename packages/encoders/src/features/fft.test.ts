import { EmojeInputError } from '@emoje/core';
import { describe, expect, it } from 'vitest';
import { ComplexFft, RealFft, nextPowerOfTwo, powerSpectrum, rfft } from './fft';
import { SeededRandom } from '@emoje/core';

/** Uniform [0, 1) numbers from a seeded generator. */
function rng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

function naiveDft(x: ArrayLike<number>, n: number): { re: number[]; im: number[] } {
  const re: number[] = [];
  const im: number[] = [];
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let t = 0; t < x.length; t++) {
      sr += x[t] * Math.cos((2 * Math.PI * k * t) / n);
      si -= x[t] * Math.sin((2 * Math.PI * k * t) / n);
    }
    re.push(sr);
    im.push(si);
  }
  return { re, im };
}

describe('FFT', () => {
  it('real FFT equals a naive O(n^2) DFT for every size from 2 to 1024', () => {
    const random = rng(1);
    for (let n = 2; n <= 1024; n *= 2) {
      const x = Float64Array.from({ length: n }, () => 2 * random() - 1);
      const { re, im } = rfft(x);
      const ref = naiveDft(x, n);
      expect(re.length).toBe(n / 2 + 1);
      for (let k = 0; k <= n / 2; k++) {
        expect(Math.abs(re[k] - ref.re[k])).toBeLessThan(1e-4);
        expect(Math.abs(im[k] - ref.im[k])).toBeLessThan(1e-4);
      }
    }
  });

  it('complex FFT equals the naive DFT, and zero-padding 400 -> 512 matches the padded DFT', () => {
    const random = rng(2);
    const n = 256;
    const re = Float64Array.from({ length: n }, () => random() - 0.5);
    const im = Float64Array.from({ length: n }, () => random() - 0.5);
    const refRe: number[] = [];
    const refIm: number[] = [];
    for (let k = 0; k < n; k++) {
      let sr = 0;
      let si = 0;
      for (let t = 0; t < n; t++) {
        const c = Math.cos((2 * Math.PI * k * t) / n);
        const s = -Math.sin((2 * Math.PI * k * t) / n);
        sr += re[t] * c - im[t] * s;
        si += re[t] * s + im[t] * c;
      }
      refRe.push(sr);
      refIm.push(si);
    }
    new ComplexFft(n).transform(re, im);
    for (let k = 0; k < n; k++) {
      expect(Math.abs(re[k] - refRe[k])).toBeLessThan(1e-4);
      expect(Math.abs(im[k] - refIm[k])).toBeLessThan(1e-4);
    }
    const frame = Float32Array.from({ length: 400 }, () => random() - 0.5);
    expect(nextPowerOfTwo(400)).toBe(512);
    const padded = rfft(frame, 512);
    const ref = naiveDft(frame, 512);
    for (let k = 0; k <= 256; k++) expect(Math.abs(padded.re[k] - ref.re[k]) + Math.abs(padded.im[k] - ref.im[k])).toBeLessThan(1e-4);
  });

  it('satisfies Parseval: sum x^2 = (1/N) sum_k |X_k|^2 over the full spectrum', () => {
    const random = rng(3);
    const n = 512;
    const x = Float64Array.from({ length: n }, () => 2 * random() - 1);
    const p = powerSpectrum(x);
    let full = p[0] + p[n / 2];
    for (let k = 1; k < n / 2; k++) full += 2 * p[k];
    const energy = x.reduce((s, v) => s + v * v, 0);
    expect(Math.abs(full / n - energy) / energy).toBeLessThan(1e-10);
  });

  it('inverse real FFT recovers the signal', () => {
    const random = rng(4);
    const fft = new RealFft(128);
    const x = Float64Array.from({ length: 128 }, () => random() - 0.5);
    const re = new Float64Array(65);
    const im = new Float64Array(65);
    fft.forward(x, re, im);
    const back = new Float64Array(128);
    fft.inverse(re, im, back);
    for (let i = 0; i < 128; i++) expect(Math.abs(back[i] - x[i])).toBeLessThan(1e-12);
  });

  it('rejects sizes that are not powers of two', () => {
    expect(() => new RealFft(400)).toThrow(EmojeInputError);
    expect(() => rfft(new Float32Array(600), 512)).toThrow(/signal/);
  });
});
