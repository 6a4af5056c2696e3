import { EmojeInputError } from '@emoje/core';
import type { AudioFeatures } from './audio';
import { melToHz, hzToMel } from './mel';

/**
 * Names of the values {@link audioFunctionals} appends to the 77-d utterance vector, in order (eGeMAPS-like
 * parameters, Eyben et al. 2016, computed from the frames `extractAudioFeatures` already has; the voice-quality ones
 * are frame-level proxies, not the cycle-to-cycle measures of Praat or openSMILE).
 */
export const AUDIO_FUNCTIONAL_KEYS = [
  'spectralSlopeMean', 'spectralSlopeStd',
  'alphaRatioMean', 'alphaRatioStd',
  'hammarbergMean', 'hammarbergStd',
  'spectralCentroidMean', 'spectralCentroidStd',
  'spectralFluxMean', 'spectralFluxStd',
  'pitchSemitoneMean', 'pitchSemitoneStd', 'pitchSemitoneP20', 'pitchSemitoneP50', 'pitchSemitoneP80', 'pitchSemitoneRange2080',
  'pitchRisingSlope', 'pitchFallingSlope',
  'jitterProxy', 'shimmerProxyDb',
  'hnrProxyMean', 'hnrProxyStd',
  'formant1ProxyMean', 'formant1ProxyStd', 'formant2ProxyMean', 'formant2ProxyStd',
  'energyP20', 'energyP50', 'energyP80', 'energyRange2080',
  'voicedSegmentsPerSecond', 'voicedSegmentMeanSeconds', 'unvoicedSegmentMeanSeconds',
] as const;

/**
 * Width of {@link audioFunctionals}' vector for `numMfcc` MFCCs and `numMelBands` mel bands:
 * `77-d layout (2 numMfcc + numMelBands + 11) + numMfcc (delta-MFCC std) + numMelBands (log-mel std) + 33`;
 * 163 with the defaults.
 */
export function audioFunctionalsWidth(numMfcc = 13, numMelBands = 40): number {
  return 2 * numMfcc + numMelBands + 11 + numMfcc + numMelBands + AUDIO_FUNCTIONAL_KEYS.length;
}

/** Width of {@link audioFunctionals} with the default 13 MFCCs and 40 mel bands: 163. */
export const AUDIO_FUNCTIONALS_WIDTH = 163;

function meanStd(values: ArrayLike<number>): [number, number] {
  const n = values.length;
  if (n === 0) return [0, 0];
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  const mean = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (values[i] - mean) ** 2;
  return [mean, Math.sqrt(v / n)];
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const x = p * (sorted.length - 1);
  const lo = Math.floor(x);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (x - lo);
}

/** Delta coefficients by the usual regression over +-2 frames (edges repeated), as HTK/Kaldi. */
export function deltas(rows: readonly Float32Array[], width = 2): Float32Array[] {
  const n = rows.length;
  const d = rows[0]?.length ?? 0;
  let denom = 0;
  for (let k = 1; k <= width; k++) denom += 2 * k * k;
  return rows.map((_, t) => {
    const out = new Float32Array(d);
    for (let k = 1; k <= width; k++) {
      const a = rows[Math.min(n - 1, t + k)];
      const b = rows[Math.max(0, t - k)];
      for (let j = 0; j < d; j++) out[j] += (k * (a[j] - b[j])) / denom;
    }
    return out;
  });
}

/** Mel band centre frequencies (Hz) of the default filterbank (HTK mel, 0 Hz to min(8 kHz, sampleRate / 2)). */
function bandCentres(numBands: number, sampleRate: number): number[] {
  const hi = hzToMel(Math.min(8000, sampleRate / 2));
  return Array.from({ length: numBands }, (_, m) => melToHz((hi * (m + 1)) / (numBands + 1)));
}

/**
 * A richer fixed-width utterance vector for speech emotion: the 77-d `utteranceVector`, then the standard deviation of
 * the delta-MFCCs and of each log-mel band, then the eGeMAPS-like parameters of {@link AUDIO_FUNCTIONAL_KEYS}:
 * spectral slope (least-squares slope of the log-mel energies against band index), alpha ratio (log energy below
 * 1 kHz minus 1-5 kHz), Hammarberg index (strongest band below 2 kHz minus strongest 2-5 kHz), mel-weighted spectral
 * centroid (Hz) and flux, pitch in semitones re 27.5 Hz over voiced frames (mean, std, 20/50/80th percentiles and
 * their range, mean rising and falling slope in semitones per second), a jitter proxy (mean relative change of the
 * period between consecutive voiced frames), a shimmer proxy (mean absolute change of frame energy, dB, between
 * consecutive voiced frames), a harmonics-to-noise proxy `10 log10(p / (1 - p))` from YIN's periodicity p, formant
 * proxies (the energy-weighted mean frequency of the bands in 250-1000 Hz and 1-2.8 kHz over voiced frames), energy
 * percentiles, and the rate and mean lengths of voiced and unvoiced segments. The band positions assume the default
 * filterbank edges (0 Hz to min(8 kHz, sampleRate / 2)). An utterance without frames gives zeros; no value is NaN.
 *
 * @example
 * ```ts
 * const v = audioFunctionals(extractAudioFeatures(samples, 16000));
 * v.length; // 163
 * ```
 * @throws EmojeInputError naming `features` when it is not the output of `extractAudioFeatures`.
 */
export function audioFunctionals(features: AudioFeatures): Float32Array {
  if (!features || !(features.utteranceVector instanceof Float32Array) || !Array.isArray(features.logMel) || !(features.periodicity instanceof Float32Array)) {
    throw new EmojeInputError('features', 'the result of extractAudioFeatures (with periodicity)', typeof features);
  }
  const { logMel, mfcc, pitch, voiced, energyDb, periodicity, frameRate, sampleRate } = features;
  const numMfcc = features.mfcc[0]?.length ?? 13;
  const numBands = logMel[0]?.length ?? 40;
  const T = logMel.length;
  const out: number[] = Array.from(features.utteranceVector);
  // delta-MFCC std, log-mel std
  const dm = T > 0 ? deltas(mfcc) : [];
  for (let j = 0; j < numMfcc; j++) out.push(meanStd(dm.map((r) => r[j]))[1]);
  for (let j = 0; j < numBands; j++) out.push(meanStd(logMel.map((r) => r[j]))[1]);

  const centres = bandCentres(numBands, sampleRate);
  const slope: number[] = [];
  const alpha: number[] = [];
  const hammarberg: number[] = [];
  const centroid: number[] = [];
  const flux: number[] = [];
  const f1: number[] = [];
  const f2: number[] = [];
  const xMean = (numBands - 1) / 2;
  let xVar = 0;
  for (let m = 0; m < numBands; m++) xVar += (m - xMean) ** 2;
  for (let t = 0; t < T; t++) {
    const row = logMel[t];
    let yMean = 0;
    for (let m = 0; m < numBands; m++) yMean += row[m];
    yMean /= numBands;
    let cov = 0;
    let low = 0;
    let mid = 0;
    let max2 = -Infinity;
    let max5 = -Infinity;
    let wSum = 0;
    let fSum = 0;
    let a1 = 0;
    let b1 = 0;
    let a2 = 0;
    let b2 = 0;
    for (let m = 0; m < numBands; m++) {
      cov += (m - xMean) * (row[m] - yMean);
      const e = Math.exp(row[m]);
      const f = centres[m];
      if (f < 1000) low += e;
      else if (f < 5000) mid += e;
      if (f < 2000) max2 = Math.max(max2, row[m]);
      else if (f < 5000) max5 = Math.max(max5, row[m]);
      wSum += e;
      fSum += e * f;
      if (f >= 250 && f < 1000) {
        a1 += e * f;
        b1 += e;
      } else if (f >= 1000 && f < 2800) {
        a2 += e * f;
        b2 += e;
      }
    }
    slope.push(xVar > 0 ? cov / xVar : 0);
    alpha.push(Math.log((low + 1e-10) / (mid + 1e-10)));
    hammarberg.push(Number.isFinite(max2) && Number.isFinite(max5) ? max2 - max5 : 0);
    centroid.push(wSum > 0 ? fSum / wSum : 0);
    if (t > 0) {
      let s = 0;
      for (let m = 0; m < numBands; m++) s += (row[m] - logMel[t - 1][m]) ** 2;
      flux.push(s / numBands);
    }
    if (voiced[t]) {
      if (b1 > 0) f1.push(a1 / b1);
      if (b2 > 0) f2.push(a2 / b2);
    }
  }
  out.push(...meanStd(slope), ...meanStd(alpha), ...meanStd(hammarberg), ...meanStd(centroid), ...meanStd(flux));

  const semitones: number[] = [];
  const rising: number[] = [];
  const falling: number[] = [];
  const jitter: number[] = [];
  const shimmer: number[] = [];
  const hnr: number[] = [];
  for (let t = 0; t < T; t++) {
    if (!voiced[t] || !(pitch[t] > 0)) continue;
    const st = 12 * Math.log2(pitch[t] / 27.5);
    semitones.push(st);
    const p = Math.min(0.999, Math.max(0.001, periodicity[t]));
    hnr.push(10 * Math.log10(p / (1 - p)));
    if (t > 0 && voiced[t - 1] && pitch[t - 1] > 0) {
      const slopeSt = (st - 12 * Math.log2(pitch[t - 1] / 27.5)) * frameRate;
      if (slopeSt > 0) rising.push(slopeSt);
      else if (slopeSt < 0) falling.push(slopeSt);
      const p0 = 1 / pitch[t - 1];
      const p1 = 1 / pitch[t];
      jitter.push(Math.abs(p1 - p0) / ((p0 + p1) / 2));
      shimmer.push(Math.abs(energyDb[t] - energyDb[t - 1]));
    }
  }
  const sortedSt = [...semitones].sort((a, b) => a - b);
  const [stMean, stStd] = meanStd(semitones);
  const p20 = percentile(sortedSt, 0.2);
  const p80 = percentile(sortedSt, 0.8);
  out.push(stMean, stStd, p20, percentile(sortedSt, 0.5), p80, p80 - p20);
  out.push(meanStd(rising)[0], meanStd(falling)[0], meanStd(jitter)[0], meanStd(shimmer)[0]);
  out.push(...meanStd(hnr), ...meanStd(f1), ...meanStd(f2));
  const sortedE = Array.from(energyDb).sort((a, b) => a - b);
  const e20 = percentile(sortedE, 0.2);
  const e80 = percentile(sortedE, 0.8);
  out.push(e20, percentile(sortedE, 0.5), e80, e80 - e20);
  // voiced / unvoiced segments
  const segments: { voiced: boolean; length: number }[] = [];
  for (let t = 0; t < T; t++) {
    const v = voiced[t] === 1;
    const last = segments[segments.length - 1];
    if (last && last.voiced === v) last.length++;
    else segments.push({ voiced: v, length: 1 });
  }
  const seconds = T / frameRate;
  const voicedSegs = segments.filter((s) => s.voiced).map((s) => s.length / frameRate);
  const unvoicedSegs = segments.filter((s) => !s.voiced).map((s) => s.length / frameRate);
  out.push(seconds > 0 ? voicedSegs.length / seconds : 0, meanStd(voicedSegs)[0], meanStd(unvoicedSegs)[0]);
  return Float32Array.from(out, (x) => (Number.isFinite(x) ? x : 0));
}

/**
 * Frame-level speech features for the frame-sequence encoder: per frame `[mfcc (numMfcc), delta-MFCC, delta-delta-MFCC,
 * pitch in semitones re 27.5 Hz (0 when unvoiced), voiced (0/1), energy dB / 10, periodicity]`, 3 numMfcc + 4 values
 * (43 with 13 MFCCs); then, when `pool > 1`, non-overlapping means of `pool` frames (a partial last group is
 * averaged over what it has), which shortens the sequence for the encoder.
 * @returns one `Float32Array` per (pooled) frame.
 * @throws EmojeInputError naming `pool` unless it is an integer >= 1.
 */
export function audioFrameFeatures(features: AudioFeatures, pool = 1): Float32Array[] {
  if (!Number.isInteger(pool) || pool < 1) throw new EmojeInputError('pool', 'an integer >= 1', String(pool));
  const { mfcc, pitch, voiced, energyDb, periodicity } = features;
  const T = mfcc.length;
  if (T === 0) return [];
  const d1 = deltas(mfcc);
  const d2 = deltas(d1);
  const k = mfcc[0].length;
  const width = 3 * k + 4;
  const frames = mfcc.map((m, t) => {
    const row = new Float32Array(width);
    row.set(m, 0);
    row.set(d1[t], k);
    row.set(d2[t], 2 * k);
    row[3 * k] = voiced[t] && pitch[t] > 0 ? 12 * Math.log2(pitch[t] / 27.5) : 0;
    row[3 * k + 1] = voiced[t];
    row[3 * k + 2] = energyDb[t] / 10;
    row[3 * k + 3] = periodicity[t];
    return row;
  });
  if (pool === 1) return frames;
  const pooled: Float32Array[] = [];
  for (let s = 0; s < T; s += pool) {
    const row = new Float32Array(width);
    const n = Math.min(pool, T - s);
    for (let t = s; t < s + n; t++) for (let j = 0; j < width; j++) row[j] += frames[t][j] / n;
    pooled.push(row);
  }
  return pooled;
}

/**
 * The utterance vector a model's audio modality of width `width` expects: the 77-d `utteranceVector` (models trained
 * on it, e.g. from JSON Lines `wav` paths before `audioFunctionals` existed) or the 163-d {@link audioFunctionals}
 * (the speech-emotion model `loadPretrained('emodb')`).
 * @throws EmojeInputError naming `width` when it is neither (with the default 13 MFCCs and 40 mel bands).
 */
export function speechVector(features: AudioFeatures, width: number): Float32Array {
  if (width === features.utteranceVector.length) return features.utteranceVector;
  const numMfcc = features.mfcc[0]?.length ?? 13;
  const numBands = features.logMel[0]?.length ?? 40;
  if (width === audioFunctionalsWidth(numMfcc, numBands)) return audioFunctionals(features);
  throw new EmojeInputError('width', `${features.utteranceVector.length} (utteranceVector) or ${audioFunctionalsWidth(numMfcc, numBands)} (audioFunctionals)`, String(width));
}
