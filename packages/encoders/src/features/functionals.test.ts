import { EmojeInputError } from '@emoje/core';
import { describe, expect, it } from 'vitest';
import { extractAudioFeatures } from './audio';
import { AUDIO_FUNCTIONALS_WIDTH, AUDIO_FUNCTIONAL_KEYS, audioFrameFeatures, audioFunctionals, audioFunctionalsWidth, deltas, speechVector } from './functionals';

const RATE = 16000;

/** A harmonic tone at `f0` Hz (8 harmonics), `seconds` long, with an optional pause in the middle. */
function tone(f0: (t: number) => number, seconds: number, pause = false): Float32Array {
  let phase = 0;
  return Float32Array.from({ length: Math.round(RATE * seconds) }, (_, i) => {
    const t = i / RATE;
    phase += (2 * Math.PI * f0(t)) / RATE;
    if (pause && t > seconds * 0.4 && t < seconds * 0.6) return 0;
    let v = 0;
    for (let h = 1; h <= 8; h++) v += Math.sin(h * phase) / h;
    return 0.2 * v;
  });
}

const key = (k: (typeof AUDIO_FUNCTIONAL_KEYS)[number]) => 77 + 13 + 40 + AUDIO_FUNCTIONAL_KEYS.indexOf(k);

describe('audioFunctionals', () => {
  it('has the documented width, starts with the 77-d utterance vector, and is finite', () => {
    const f = extractAudioFeatures(tone(() => 150, 1), RATE);
    const v = audioFunctionals(f);
    expect(v.length).toBe(AUDIO_FUNCTIONALS_WIDTH);
    expect(audioFunctionalsWidth()).toBe(163);
    expect(Array.from(v.slice(0, 77))).toEqual(Array.from(f.utteranceVector));
    expect(v.every(Number.isFinite)).toBe(true);
  });

  it('reads pitch in semitones, and a steady tone has almost no jitter while a gliding one rises', () => {
    const steady = audioFunctionals(extractAudioFeatures(tone(() => 220, 1), RATE));
    // 220 Hz is 36 semitones above 27.5 Hz
    expect(steady[key('pitchSemitoneMean')]).toBeCloseTo(36, 0);
    expect(steady[key('pitchSemitoneStd')]).toBeLessThan(0.3);
    expect(steady[key('jitterProxy')]).toBeLessThan(0.01);
    expect(steady[key('hnrProxyMean')]).toBeGreaterThan(10);
    const glide = audioFunctionals(extractAudioFeatures(tone((t) => 150 * 2 ** t, 1), RATE));
    // one octave per second: +12 semitones per second
    expect(glide[key('pitchRisingSlope')]).toBeGreaterThan(6);
    expect(glide[key('pitchSemitoneRange2080')]).toBeGreaterThan(5);
  });

  it('counts voiced segments: a pause splits the tone in two', () => {
    const one = audioFunctionals(extractAudioFeatures(tone(() => 180, 1), RATE));
    const two = audioFunctionals(extractAudioFeatures(tone(() => 180, 1, true), RATE));
    expect(two[key('voicedSegmentsPerSecond')]).toBeGreaterThan(one[key('voicedSegmentsPerSecond')]);
    expect(two[key('unvoicedSegmentMeanSeconds')]).toBeGreaterThan(0.1);
  });

  it('gives zeros, not NaN, for an utterance shorter than a frame, and names a wrong argument', () => {
    const v = audioFunctionals(extractAudioFeatures(new Float32Array(100), RATE));
    expect(v.length).toBe(163);
    expect(v.every(Number.isFinite)).toBe(true);
    expect(() => audioFunctionals({} as never)).toThrow(EmojeInputError);
  });

  it('speechVector picks the vector a model of that audio width expects, and names a width it cannot give', () => {
    const f = extractAudioFeatures(tone(() => 150, 0.5), RATE);
    expect(speechVector(f, 77)).toBe(f.utteranceVector);
    expect(Array.from(speechVector(f, 163))).toEqual(Array.from(audioFunctionals(f)));
    expect(() => speechVector(f, 100)).toThrow(/width: expected 77 \(utteranceVector\) or 163/);
  });
});

describe('deltas and audioFrameFeatures', () => {
  it('deltas of a linear ramp are its slope away from the edges', () => {
    const rows = Array.from({ length: 10 }, (_, t) => Float32Array.from([2 * t, -t]));
    const d = deltas(rows);
    expect(d[5][0]).toBeCloseTo(2, 6);
    expect(d[5][1]).toBeCloseTo(-1, 6);
  });

  it('gives 3 x 13 + 4 values per frame, pooled means of `pool` frames, and rejects a bad pool', () => {
    const f = extractAudioFeatures(tone(() => 200, 0.5), RATE);
    const frames = audioFrameFeatures(f);
    expect(frames.length).toBe(f.mfcc.length);
    expect(frames[0].length).toBe(43);
    expect(Array.from(frames[3].slice(0, 13))).toEqual(Array.from(f.mfcc[3]));
    const pooled = audioFrameFeatures(f, 4);
    expect(pooled.length).toBe(Math.ceil(frames.length / 4));
    expect(pooled[1][0]).toBeCloseTo((frames[4][0] + frames[5][0] + frames[6][0] + frames[7][0]) / 4, 4);
    expect(() => audioFrameFeatures(f, 0)).toThrow(EmojeInputError);
  });
});
