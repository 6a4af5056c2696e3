import { EmojeInputError } from '@emoje/core';
import { describe, expect, it } from 'vitest';
import { logMelSpectrogram, mfcc } from './spectrogram';
import { SeededRandom } from '@emoje/core';

const SR = 16000;

/** Uniform [0, 1) numbers from a seeded generator. */
function rng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

const sine = (hz: number, seconds: number, amp = 0.5) => Float32Array.from({ length: Math.round(seconds * SR) }, (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / SR));

// Independent references, straight from the textbook formulas.
const mel = (f: number) => 2595 * Math.log10(1 + f / 700);
const imel = (m: number) => 700 * (10 ** (m / 2595) - 1);
function triangle(band: number, f: number, bands = 40, lo = 0, hi = 8000): number {
  const pts = Array.from({ length: bands + 2 }, (_, i) => imel(mel(lo) + ((mel(hi) - mel(lo)) * i) / (bands + 1)));
  const [a, b, c] = [pts[band], pts[band + 1], pts[band + 2]];
  if (f > a && f <= b) return (f - a) / (b - a);
  if (f > b && f < c) return (c - f) / (c - b);
  return 0;
}

function referenceMfcc(frame: ArrayLike<number>, numCoefficients = 13, bands = 40): number[] {
  const L = 400;
  const N = 512;
  const x: number[] = [];
  for (let i = 0; i < L; i++) {
    const pre = frame[i] - 0.97 * frame[i > 0 ? i - 1 : 0];
    x.push(pre * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / L)));
  }
  const power: number[] = [];
  for (let k = 0; k <= N / 2; k++) {
    let re = 0;
    let im = 0;
    for (let t = 0; t < L; t++) {
      re += x[t] * Math.cos((2 * Math.PI * k * t) / N);
      im -= x[t] * Math.sin((2 * Math.PI * k * t) / N);
    }
    power.push(re * re + im * im);
  }
  const logMel: number[] = [];
  for (let m = 0; m < bands; m++) {
    let e = 0;
    for (let k = 0; k <= N / 2; k++) e += triangle(m, (k * SR) / N, bands) * power[k];
    logMel.push(Math.log(Math.max(e, 1e-10)));
  }
  const out: number[] = [];
  for (let k = 0; k < numCoefficients; k++) {
    let s = 0;
    for (let n = 0; n < bands; n++) s += logMel[n] * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * bands));
    out.push(s * Math.sqrt((k === 0 ? 1 : 2) / bands));
  }
  return out;
}

describe('log-mel spectrogram and MFCC', () => {
  it('frames 25 ms every 10 ms at 16 kHz (400 / 160 samples, full frames only)', () => {
    expect(logMelSpectrogram(new Float32Array(16000), SR)).toHaveLength(1 + Math.floor((16000 - 400) / 160));
    expect(logMelSpectrogram(new Float32Array(399), SR)).toHaveLength(0);
    expect(mfcc(new Float32Array(400), SR)[0]).toHaveLength(13);
  });

  it('a 1 kHz sine peaks in the mel band whose HTK triangle is highest at 1 kHz', () => {
    let expected = 0;
    for (let m = 1; m < 40; m++) if (triangle(m, 1000) > triangle(expected, 1000)) expected = m;
    const frames = logMelSpectrogram(sine(1000, 0.3), SR);
    for (const f of frames) {
      const peak = f.indexOf(Math.max(...f));
      expect(peak).toBe(expected);
    }
    // a 3 kHz tone peaks elsewhere, in its own band
    let expected3 = 0;
    for (let m = 1; m < 40; m++) if (triangle(m, 3000) > triangle(expected3, 3000)) expected3 = m;
    const f3 = logMelSpectrogram(sine(3000, 0.1), SR)[2];
    expect(f3.indexOf(Math.max(...f3))).toBe(expected3);
  });

  it('white noise spreads its energy over all bands; a sine does not', () => {
    const random = rng(5);
    const noise = Float32Array.from({ length: SR / 2 }, () => random() - 0.5);
    const spread = (frames: Float32Array[]) => {
      const mean = new Float64Array(40);
      for (const f of frames) for (let m = 0; m < 40; m++) mean[m] += f[m] / frames.length;
      const inner = Array.from(mean.slice(1));
      return Math.max(...inner) - Math.min(...inner);
    };
    // without pre-emphasis, white noise's band energies differ only by the band widths (about 8x)
    expect(spread(logMelSpectrogram(noise, SR, { preEmphasis: 0 }))).toBeLessThan(3);
    expect(spread(logMelSpectrogram(sine(1000, 0.5), SR, { preEmphasis: 0 }))).toBeGreaterThan(10);
  });

  it('silence gives the floor value ln(1e-10) in every band', () => {
    const frames = logMelSpectrogram(new Float32Array(2000), SR);
    for (const f of frames) for (const v of f) expect(v).toBe(Math.fround(Math.log(1e-10)));
    expect(logMelSpectrogram(new Float32Array(2000), SR, { logFloor: 1e-5 })[0][3]).toBe(Math.fround(Math.log(1e-5)));
  });

  it('MFCC equals an independent naive-DFT + mel + DCT reference', () => {
    const random = rng(6);
    const signal = Float32Array.from({ length: 1200 }, (_, i) => 0.4 * Math.sin((2 * Math.PI * 220 * i) / SR) + 0.2 * Math.sin((2 * Math.PI * 1730 * i) / SR) + 0.05 * (random() - 0.5));
    const ours = mfcc(signal, SR);
    for (const t of [0, 3]) {
      const ref = referenceMfcc(signal.subarray(t * 160, t * 160 + 400));
      for (let k = 0; k < 13; k++) expect(Math.abs(ours[t][k] - ref[k])).toBeLessThan(1e-3 * Math.max(1, Math.abs(ref[k])));
    }
  });

  it('rejects bad options and samples with EmojeInputError naming the field', () => {
    const x = new Float32Array(1000);
    expect(() => mfcc(x, SR, { numMfcc: 41 })).toThrow(/options\.numMfcc/);
    expect(() => logMelSpectrogram(x, SR, { maxFrequency: 9000 })).toThrow(/options\.maxFrequency/);
    expect(() => logMelSpectrogram(x, SR, { fftSize: 300 })).toThrow(/options\.fftSize/);
    expect(() => logMelSpectrogram(x, SR, { window: 'boxcar' as 'hann' })).toThrow(/options\.window/);
    expect(() => logMelSpectrogram([1, 2] as unknown as Float32Array, SR)).toThrow(EmojeInputError);
    expect(() => logMelSpectrogram(Float32Array.of(0, NaN), SR)).toThrow(/samples: expected finite samples, received NaN at index 1/);
    expect(() => logMelSpectrogram(x, 0)).toThrow(/sampleRate/);
  });
});
