import { EmojeInputError } from '@emoje/core';
import { describe, expect, it } from 'vitest';
import { powerSpectrum } from './fft';
import { Resampler, resample } from './resample';
import { SeededRandom } from '@emoje/core';

/** Uniform [0, 1) numbers from a seeded generator. */
function rng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

const tone = (hz: number, rate: number, n: number, amp = 0.5) => Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / rate));

function peakAmplitude(x: Float32Array, from: number, to: number): number {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

describe('resample', () => {
  it('keeps a 1 kHz sine at 1 kHz and its amplitude, 44.1 kHz -> 16 kHz', () => {
    const y = resample(tone(1000, 44100, 44100), 44100, 16000);
    expect(y.length).toBe(16000);
    const p = powerSpectrum(y.subarray(4000, 4000 + 4096), 4096);
    const peak = p.indexOf(Math.max(...p));
    expect(Math.abs((peak * 16000) / 4096 - 1000)).toBeLessThanOrEqual(16000 / 4096);
    expect(Math.abs(peakAmplitude(y, 1000, 15000) - 0.5)).toBeLessThan(0.005);
  });

  it('removes content above the new Nyquist frequency instead of aliasing it', () => {
    const y = resample(tone(10000, 44100, 22050), 44100, 16000);
    expect(peakAmplitude(y, 500, 7500)).toBeLessThan(1e-3);
  });

  it('up-samples 8 kHz -> 16 kHz keeping the tone', () => {
    const y = resample(tone(440, 8000, 8000), 8000, 16000);
    expect(y.length).toBe(16000);
    const ref = tone(440, 16000, 16000);
    for (let i = 500; i < 15500; i++) expect(Math.abs(y[i] - ref[i])).toBeLessThan(2e-3);
  });

  it('gives exactly the one-shot output whatever the chunking', () => {
    const random = rng(7);
    const x = Float32Array.from({ length: 9000 }, () => random() - 0.5);
    for (const [from, to] of [[44100, 16000], [22050, 16000], [16000, 48000], [48000, 16000]]) {
      const whole = resample(x, from, to);
      expect(whole.length).toBe(Math.ceil((x.length * to) / from));
      const r = new Resampler(from, to);
      const parts: number[] = [];
      let i = 0;
      while (i < x.length) {
        const size = Math.floor(random() * 700);
        parts.push(...r.push(x.subarray(i, i + size)));
        i += size;
      }
      parts.push(...r.flush());
      expect(Float32Array.from(parts)).toEqual(whole);
      // the resampler is reusable after flush
      expect(Float32Array.from([...r.push(x), ...r.flush()])).toEqual(whole);
    }
  });

  it('returns a copy at equal rates and rejects bad rates and samples', () => {
    const x = Float32Array.of(0.1, 0.2);
    const y = resample(x, 16000, 16000);
    expect(y).toEqual(x);
    expect(y).not.toBe(x);
    expect(() => resample(x, 0, 16000)).toThrow(/fromRate/);
    expect(() => resample(x, 16000, 15999.5)).toThrow(/toRate/);
    expect(() => resample(Float32Array.of(Infinity), 44100)).toThrow(EmojeInputError);
  });
});
