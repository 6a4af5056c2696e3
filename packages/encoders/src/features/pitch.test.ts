import { describe, expect, it } from 'vitest';
import { PitchAnalyzer, pitchTrack } from './pitch';
import { prosodyStatistics } from './prosody';
import { SeededRandom } from '@emoje/core';

const SR = 16000;

/** Uniform [0, 1) numbers from a seeded generator. */
function rng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

/** A harmonic tone: f0 with harmonics 1, 1/2, 1/3, ... */
const harmonic = (f0: number, seconds: number, harmonics = 6, amp = 0.3) =>
  Float32Array.from({ length: Math.round(seconds * SR) }, (_, i) => {
    let s = 0;
    for (let h = 1; h <= harmonics; h++) s += Math.sin((2 * Math.PI * f0 * h * i) / SR) / h;
    return amp * s;
  });

describe('pitch (YIN)', () => {
  it('estimates 200 Hz (and 90 / 320 Hz) harmonic signals within 3%', () => {
    for (const f0 of [200, 90, 320]) {
      const track = pitchTrack(harmonic(f0, 0.5), SR);
      expect(track.voiced.every((v) => v === 1)).toBe(true);
      for (const p of track.pitch) expect(Math.abs(p - f0) / f0).toBeLessThan(0.03);
    }
  });

  it('finds the pitch of a tone with a missing fundamental', () => {
    const x = Float32Array.from({ length: SR / 2 }, (_, i) => 0.3 * (Math.sin((2 * Math.PI * 300 * i) / SR) + Math.sin((2 * Math.PI * 450 * i) / SR)));
    const track = pitchTrack(x, SR);
    for (const p of track.pitch) expect(Math.abs(p - 150) / 150).toBeLessThan(0.03);
  });

  it('calls white noise mostly unvoiced and silence unvoiced', () => {
    const random = rng(9);
    const noise = Float32Array.from({ length: SR }, () => 0.5 * (random() - 0.5));
    const track = pitchTrack(noise, SR);
    const voiced = track.voiced.reduce((a, b) => a + b, 0);
    expect(voiced / track.voiced.length).toBeLessThan(0.05);
    const silent = pitchTrack(new Float32Array(4000), SR);
    expect(silent.voiced.every((v) => v === 0)).toBe(true);
    expect(silent.energyDb.every((e) => e === -100)).toBe(true);
  });

  it('gives the frame energy in dB re full scale', () => {
    const x = Float32Array.from({ length: 4000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 1000 * i) / SR));
    const track = pitchTrack(x, SR);
    // RMS of a 0.5 sine = 0.5 / sqrt 2 -> 20 log10 = -9.03 dB
    for (const e of track.energyDb) expect(Math.abs(e - 20 * Math.log10(0.5 / Math.SQRT2))).toBeLessThan(0.05);
  });

  it('validates its options', () => {
    expect(() => new PitchAnalyzer(SR, { minPitch: 300, maxPitch: 200 })).toThrow(/options\.minPitch/);
    expect(() => new PitchAnalyzer(SR, { voicingThreshold: 2 })).toThrow(/options\.voicingThreshold/);
  });
});

describe('prosodyStatistics', () => {
  it('summarises pitch, energy, voicing and a syllable rate on a synthetic utterance', () => {
    // 2 s: 8 "syllables" of 150 ms (pitch gliding 150 -> 250 Hz) every 250 ms, silence between
    const n = 2 * SR;
    const x = new Float32Array(n);
    for (let s = 0; s < 8; s++) {
      const start = Math.round((0.05 + 0.25 * s) * SR);
      const len = Math.round(0.15 * SR);
      const f0 = 150 + (100 * s) / 7;
      for (let i = 0; i < len; i++) {
        const env = Math.sin((Math.PI * i) / len) ** 2;
        let v = 0;
        for (let h = 1; h <= 5; h++) v += Math.sin((2 * Math.PI * f0 * h * i) / SR) / h;
        x[start + i] = 0.3 * env * v;
      }
    }
    const track = pitchTrack(x, SR);
    const stats = prosodyStatistics(track, { duration: 2 });
    expect(stats.syllableCount).toBe(8);
    expect(stats.speakingRate).toBeCloseTo(4, 5);
    expect(stats.duration).toBe(2);
    expect(stats.frames).toBe(track.pitch.length);
    expect(stats.voicedFraction).toBeGreaterThan(0.2);
    expect(stats.voicedFraction).toBeLessThan(0.6);
    expect(stats.pitchMin).toBeGreaterThan(145);
    expect(stats.pitchMax).toBeLessThan(255);
    expect(stats.pitchRange).toBeCloseTo(stats.pitchMax - stats.pitchMin, 10);
    expect(Math.abs(stats.pitchMean - 200)).toBeLessThan(15);
    expect(stats.pitchStd).toBeGreaterThan(20);
    expect(stats.energyStd).toBeGreaterThan(10);
  });

  it('gives zeros for an empty track and rejects a malformed one', () => {
    const empty = prosodyStatistics({ pitch: new Float32Array(0), voiced: new Uint8Array(0), energyDb: new Float32Array(0), frameRate: 100 });
    expect(empty).toMatchObject({ duration: 0, frames: 0, voicedFraction: 0, pitchMean: 0, speakingRate: 0, energyMean: 0 });
    expect(() => prosodyStatistics({ pitch: new Float32Array(2), voiced: new Uint8Array(3), energyDb: new Float32Array(3), frameRate: 100 })).toThrow(/track\.pitch/);
  });
});
