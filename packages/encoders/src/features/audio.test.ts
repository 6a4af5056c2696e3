import { EmojeInputError } from '@emoje/core';
import { describe, expect, it } from 'vitest';
import { AUDIO_UTTERANCE_VECTOR_WIDTH, AudioFeatureExtractor, audioUtteranceVectorLayout, audioUtteranceVectorWidth, extractAudioFeatures, type AudioFeatures } from './audio';
import { pitchTrack } from './pitch';
import { PROSODY_VECTOR_KEYS } from './prosody';
import { resample } from './resample';
import { logMelSpectrogram, mfcc } from './spectrogram';
import { SeededRandom } from '@emoje/core';

/** Uniform [0, 1) numbers from a seeded generator. */
function rng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

/** Speech-like test signal: voiced harmonic bursts, a noise burst, a pause. */
function speechLike(rate: number, seconds: number, seed: number): Float32Array {
  const random = rng(seed);
  return Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => {
    const t = i / rate;
    const phase = (t * 4) % 1;
    const env = phase < 0.6 ? Math.sin((Math.PI * phase) / 0.6) ** 2 : 0;
    const f0 = 120 + 40 * Math.sin(2 * Math.PI * 0.7 * t);
    let v = 0;
    for (let h = 1; h <= 8; h++) v += Math.sin(2 * Math.PI * f0 * h * t) / h;
    return 0.25 * env * v + 0.01 * (random() - 0.5);
  });
}

function streamed(x: Float32Array, rate: number, seed: number): AudioFeatures {
  const random = rng(seed);
  const extractor = new AudioFeatureExtractor(rate);
  let i = 0;
  let frames = 0;
  while (i < x.length) {
    const size = Math.floor(random() * random() * 3000);
    frames += extractor.push(x.subarray(i, i + size)).logMel.length;
    i += size;
    expect(extractor.frameCount).toBe(frames);
  }
  return extractor.flush();
}

describe('extractAudioFeatures / AudioFeatureExtractor', () => {
  it('streaming with random chunk sizes gives exactly the one-shot result (16 kHz and 44.1 kHz input)', () => {
    for (const rate of [16000, 44100]) {
      const x = speechLike(rate, 1.3, rate);
      const once = extractAudioFeatures(x, rate);
      for (const seed of [1, 2]) expect(streamed(x, rate, seed)).toEqual(once);
      expect(once.logMel.length).toBe(1 + Math.floor((Math.ceil((x.length * 16000) / rate) - 400) / 160));
    }
  });

  it('reuses the extractor after flush', () => {
    const x = speechLike(16000, 0.5, 3);
    const extractor = new AudioFeatureExtractor(16000);
    extractor.push(x);
    const first = extractor.flush();
    extractor.push(x.subarray(0, 1000));
    extractor.push(x.subarray(1000));
    expect(extractor.flush()).toEqual(first);
  });

  it('equals the standalone functions on the resampled signal', () => {
    const x = speechLike(44100, 0.6, 4);
    const f = extractAudioFeatures(x, 44100);
    const y = resample(x, 44100, 16000);
    expect(f.sampleRate).toBe(16000);
    expect(f.frameRate).toBe(100);
    expect(f.logMel).toEqual(logMelSpectrogram(y, 16000));
    expect(f.mfcc).toEqual(mfcc(y, 16000));
    const track = pitchTrack(y, 16000);
    expect(f.pitch).toEqual(track.pitch);
    expect(f.voiced).toEqual(track.voiced);
    expect(f.energyDb).toEqual(track.energyDb);
    expect(f.prosody.duration).toBeCloseTo(0.6, 10);
  });

  it('builds the documented utterance vector: MFCC mean + std, log-mel mean, prosody', () => {
    expect(AUDIO_UTTERANCE_VECTOR_WIDTH).toBe(77);
    expect(audioUtteranceVectorWidth()).toBe(77);
    expect(audioUtteranceVectorWidth({ numMfcc: 20, numMelBands: 64 })).toBe(2 * 20 + 64 + 11);
    const layout = audioUtteranceVectorLayout();
    expect(layout.segments.map((s) => [s.name, s.offset, s.width])).toEqual([['mfccMean', 0, 13], ['mfccStd', 13, 13], ['logMelMean', 26, 40], ['prosody', 66, 11]]);
    const f = extractAudioFeatures(speechLike(16000, 0.8, 5), 16000);
    const v = f.utteranceVector;
    expect(v.length).toBe(77);
    const mean = (rows: Float32Array[], k: number) => rows.reduce((s, r) => s + r[k], 0) / rows.length;
    const std = (rows: Float32Array[], k: number) => Math.sqrt(rows.reduce((s, r) => s + (r[k] - mean(rows, k)) ** 2, 0) / rows.length);
    for (const k of [0, 5, 12]) {
      expect(v[k]).toBeCloseTo(mean(f.mfcc, k), 4);
      expect(v[13 + k]).toBeCloseTo(std(f.mfcc, k), 4);
    }
    for (const k of [0, 20, 39]) expect(v[26 + k]).toBeCloseTo(mean(f.logMel, k), 4);
    PROSODY_VECTOR_KEYS.forEach((key, i) => expect(v[66 + i]).toBeCloseTo(f.prosody[key], 3));
    expect(f.prosody.voicedFraction).toBeGreaterThan(0.3);
    expect(f.prosody.pitchMean).toBeGreaterThan(70);
    expect(f.prosody.pitchMean).toBeLessThan(170);
    expect(v.every(Number.isFinite)).toBe(true);
  });

  it('handles input shorter than a frame and custom options', () => {
    const f = extractAudioFeatures(new Float32Array(100), 16000);
    expect(f.logMel).toEqual([]);
    expect(f.utteranceVector.length).toBe(77);
    expect(f.prosody.duration).toBeCloseTo(100 / 16000, 12);
    const g = extractAudioFeatures(speechLike(16000, 0.3, 6), 16000, { numMelBands: 64, numMfcc: 20, window: 'hamming', hopMs: 20 });
    expect(g.logMel[0].length).toBe(64);
    expect(g.mfcc[0].length).toBe(20);
    expect(g.frameRate).toBe(50);
    expect(g.utteranceVector.length).toBe(audioUtteranceVectorWidth({ numMelBands: 64, numMfcc: 20 }));
  });

  it('rejects bad input with EmojeInputError naming the field', () => {
    expect(() => extractAudioFeatures([0, 1] as unknown as Float32Array, 16000)).toThrow(/^chunk: expected a Float32Array/);
    expect(() => new AudioFeatureExtractor(16000).push(Float32Array.of(0, NaN))).toThrow(EmojeInputError);
    expect(() => new AudioFeatureExtractor(16000.5)).toThrow(/^sampleRate/);
    expect(() => new AudioFeatureExtractor(16000, { targetSampleRate: 10 })).toThrow(/options\.targetSampleRate/);
    expect(() => new AudioFeatureExtractor(16000, { numMelBands: 0 })).toThrow(/options\.numMelBands/);
    expect(() => new AudioFeatureExtractor(16000, { smoothingFrames: 0 })).toThrow(/options\.smoothingFrames/);
  });
});
