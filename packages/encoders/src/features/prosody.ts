import { EmojeInputError, assertInteger, assertNumberInRange } from '@emoje/core';
import { describe } from './common';
import type { PitchTrack } from './pitch';

/** Per-utterance prosody statistics. Pitch in Hz, energy in dB re full scale, rates per second. */
export interface ProsodyStatistics {
  /** Seconds of audio. */
  duration: number;
  /** Frames analysed. */
  frames: number;
  /** Fraction of frames that are voiced. */
  voicedFraction: number;
  /** Mean pitch over voiced frames (0 when none). */
  pitchMean: number;
  /** Population standard deviation of the pitch over voiced frames. */
  pitchStd: number;
  pitchMin: number;
  pitchMax: number;
  /** `pitchMax - pitchMin`. */
  pitchRange: number;
  /** Mean frame energy over all frames. */
  energyMean: number;
  energyStd: number;
  energyMax: number;
  /** Syllable-like energy peaks (see {@link prosodyStatistics}). */
  syllableCount: number;
  /** Speaking-rate proxy: `syllableCount / duration` (0 for an empty utterance). */
  speakingRate: number;
}

/** The prosody statistics that go into an utterance vector, in this order. */
export const PROSODY_VECTOR_KEYS = [
  'pitchMean',
  'pitchStd',
  'pitchMin',
  'pitchMax',
  'pitchRange',
  'energyMean',
  'energyStd',
  'energyMax',
  'voicedFraction',
  'speakingRate',
  'duration',
] as const satisfies ReadonlyArray<keyof ProsodyStatistics>;

/** Options of the syllable-peak detector behind the speaking rate. */
export interface ProsodyStatisticsOptions {
  /** Seconds of audio: `frames / frameRate` when omitted. */
  duration?: number;
  /** Centred moving-average length of the energy envelope, frames: 5 (50 ms at a 10 ms hop). */
  smoothingFrames?: number;
  /** Least time between two syllable peaks, ms: 100. */
  minPeakDistanceMs?: number;
  /** Least dip of the envelope, dB, between two peaks (and from the previous peak): 3. */
  peakProminenceDb?: number;
  /** Peaks must lie within this many dB of the loudest envelope value: 25. */
  dynamicRangeDb?: number;
  /** Peaks must lie above this energy, dB: -50 (the default silence level). */
  silenceDb?: number;
}

/**
 * Utterance statistics of a pitch/energy track (from `pitchTrack` or the audio extractor).
 *
 * Speaking rate: the frame energies (dB) are smoothed by a centred moving average; a local maximum of
 * that envelope counts as a syllable nucleus when it is above `silenceDb`, within `dynamicRangeDb` of
 * the loudest point, at least `minPeakDistanceMs` after the previous nucleus, and separated from it by a
 * dip of at least `peakProminenceDb` on both sides. A nearer or shallower maximum that is higher than the
 * previous nucleus replaces it.
 */
export function prosodyStatistics(track: Pick<PitchTrack, 'pitch' | 'voiced' | 'energyDb' | 'frameRate'>, options: ProsodyStatisticsOptions = {}): ProsodyStatistics {
  if (track === null || typeof track !== 'object') throw new EmojeInputError('track', 'a pitch track { pitch, voiced, energyDb, frameRate }', describe(track));
  const { pitch, voiced, energyDb, frameRate } = track;
  if (!(energyDb instanceof Float32Array)) throw new EmojeInputError('track.energyDb', 'a Float32Array', describe(energyDb));
  const n = energyDb.length;
  if (!(pitch instanceof Float32Array) || pitch.length !== n) throw new EmojeInputError('track.pitch', `a Float32Array of length ${n}`, describe(pitch));
  if (!(voiced instanceof Uint8Array) || voiced.length !== n) throw new EmojeInputError('track.voiced', `a Uint8Array of length ${n}`, describe(voiced));
  assertNumberInRange('track.frameRate', frameRate, 1e-3, 1e6);
  const duration = options.duration ?? n / frameRate;
  assertNumberInRange('options.duration', duration, 0, Number.MAX_VALUE);
  const smoothingFrames = options.smoothingFrames ?? 5;
  assertInteger('options.smoothingFrames', smoothingFrames, 1, 1000);
  const minPeakDistanceMs = options.minPeakDistanceMs ?? 100;
  assertNumberInRange('options.minPeakDistanceMs', minPeakDistanceMs, 0, 10000);
  const prominence = options.peakProminenceDb ?? 3;
  assertNumberInRange('options.peakProminenceDb', prominence, 0, 100);
  const dynamicRange = options.dynamicRangeDb ?? 25;
  assertNumberInRange('options.dynamicRangeDb', dynamicRange, 0, 200);
  const silenceDb = options.silenceDb ?? -50;
  assertNumberInRange('options.silenceDb', silenceDb, -200, 0);

  let voicedCount = 0;
  let pSum = 0;
  let pMin = Infinity;
  let pMax = -Infinity;
  let eSum = 0;
  let eMax = -Infinity;
  for (let t = 0; t < n; t++) {
    eSum += energyDb[t];
    if (energyDb[t] > eMax) eMax = energyDb[t];
    if (voiced[t]) {
      voicedCount++;
      pSum += pitch[t];
      if (pitch[t] < pMin) pMin = pitch[t];
      if (pitch[t] > pMax) pMax = pitch[t];
    }
  }
  const pitchMean = voicedCount ? pSum / voicedCount : 0;
  const energyMean = n ? eSum / n : 0;
  let pVar = 0;
  let eVar = 0;
  for (let t = 0; t < n; t++) {
    eVar += (energyDb[t] - energyMean) ** 2;
    if (voiced[t]) pVar += (pitch[t] - pitchMean) ** 2;
  }
  const syllableCount = countSyllablePeaks(energyDb, smoothingFrames, Math.max(1, Math.round((minPeakDistanceMs / 1000) * frameRate)), prominence, dynamicRange, silenceDb);
  return {
    duration,
    frames: n,
    voicedFraction: n ? voicedCount / n : 0,
    pitchMean,
    pitchStd: voicedCount ? Math.sqrt(pVar / voicedCount) : 0,
    pitchMin: voicedCount ? pMin : 0,
    pitchMax: voicedCount ? pMax : 0,
    pitchRange: voicedCount ? pMax - pMin : 0,
    energyMean,
    energyStd: n ? Math.sqrt(eVar / n) : 0,
    energyMax: n ? eMax : 0,
    syllableCount,
    speakingRate: duration > 0 ? syllableCount / duration : 0,
  };
}

function countSyllablePeaks(energyDb: Float32Array, smoothing: number, minGap: number, prominence: number, dynamicRange: number, silenceDb: number): number {
  const n = energyDb.length;
  if (n < 3) return 0;
  const env = new Float64Array(n);
  const half = Math.floor(smoothing / 2);
  for (let t = 0; t < n; t++) {
    const a = Math.max(0, t - half);
    const b = Math.min(n - 1, t + (smoothing - 1 - half));
    let s = 0;
    for (let i = a; i <= b; i++) s += energyDb[i];
    env[t] = s / (b - a + 1);
  }
  let top = -Infinity;
  for (let t = 0; t < n; t++) if (env[t] > top) top = env[t];
  const threshold = Math.max(silenceDb, top - dynamicRange);
  let peaks = 0;
  let lastIndex = -Infinity;
  let lastValue = -Infinity;
  let dipSince = Infinity;
  for (let t = 0; t < n; t++) {
    const v = env[t];
    if (v < dipSince) dipSince = v;
    const isMax = (t === 0 || v > env[t - 1]) && (t === n - 1 || v >= env[t + 1]);
    if (!isMax || v < threshold) continue;
    const separated = t - lastIndex >= minGap && lastValue - dipSince >= prominence && v - dipSince >= prominence;
    if (peaks === 0 || separated) {
      peaks++;
      lastIndex = t;
      lastValue = v;
      dipSince = v;
    } else if (v > lastValue) {
      lastIndex = t;
      lastValue = v;
      dipSince = v;
    }
  }
  return peaks;
}
