import { EmojeInputError, assertNumberInRange } from '@emoje/core';
import { assertSampleRate, assertSamples } from './common';
import { ComplexFft, RealFft, nextPowerOfTwo } from './fft';
import { frameCount } from './window';

/** Options of the per-frame energy and pitch tracks. */
export interface PitchOptions {
  /** Frame length in ms (same framing as the spectral features): 25. */
  windowMs?: number;
  /** Hop in ms: 10. */
  hopMs?: number;
  /** Lowest pitch searched, Hz: 60. */
  minPitch?: number;
  /** Highest pitch searched, Hz: 400. */
  maxPitch?: number;
  /** A frame is voiced when YIN's cumulative-mean-normalised difference dips below this: 0.25. */
  voicingThreshold?: number;
  /** Frames with energy below this (dB re full scale, RMS) are unvoiced without a pitch search: -50. */
  silenceDb?: number;
}

/** {@link PitchOptions} resolved to samples. */
export interface ResolvedPitchOptions {
  sampleRate: number;
  frameLength: number;
  hop: number;
  minPitch: number;
  maxPitch: number;
  voicingThreshold: number;
  silenceDb: number;
  /** Shortest period searched, samples: `floor(sampleRate / maxPitch)`. */
  minLag: number;
  /** Longest period searched, samples: `ceil(sampleRate / minPitch)`. */
  maxLag: number;
}

/** Floor of the frame mean square before the log: 1e-10, so digital silence is -100 dB. */
export const ENERGY_FLOOR_DB = -100;

/** Validates pitch options for `sampleRate` and fills in the defaults. */
export function resolvePitchOptions(sampleRate: number, options: PitchOptions = {}, field = 'options'): ResolvedPitchOptions {
  assertSampleRate('sampleRate', sampleRate);
  if (options === null || typeof options !== 'object') throw new EmojeInputError(field, 'an options object', String(options));
  const windowMs = options.windowMs ?? 25;
  const hopMs = options.hopMs ?? 10;
  assertNumberInRange(`${field}.windowMs`, windowMs, 1, 1000);
  assertNumberInRange(`${field}.hopMs`, hopMs, 0.1, 1000);
  const minPitch = options.minPitch ?? 60;
  const maxPitch = options.maxPitch ?? 400;
  assertNumberInRange(`${field}.maxPitch`, maxPitch, 20, sampleRate / 4);
  assertNumberInRange(`${field}.minPitch`, minPitch, 20, maxPitch / 1.5);
  const voicingThreshold = options.voicingThreshold ?? 0.25;
  assertNumberInRange(`${field}.voicingThreshold`, voicingThreshold, 0, 1);
  const silenceDb = options.silenceDb ?? -50;
  assertNumberInRange(`${field}.silenceDb`, silenceDb, ENERGY_FLOOR_DB, 0);
  const frameLength = Math.round((windowMs * sampleRate) / 1000);
  const hop = Math.max(1, Math.round((hopMs * sampleRate) / 1000));
  return {
    sampleRate,
    frameLength,
    hop,
    minPitch,
    maxPitch,
    voicingThreshold,
    silenceDb,
    minLag: Math.max(2, Math.floor(sampleRate / maxPitch)),
    maxLag: Math.ceil(sampleRate / minPitch),
  };
}

/** RMS energy of `samples[offset .. offset + length)` in dB re full scale: `10 log10(max(mean square, 1e-10))`. */
export function frameEnergyDb(samples: ArrayLike<number>, offset: number, length: number): number {
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const x = samples[offset + i];
    sum += x * x;
  }
  const ms = sum / length;
  return 10 * Math.log10(ms > 1e-10 ? ms : 1e-10);
}

/** Pitch of one frame. */
export interface FramePitch {
  /** Pitch in Hz, 0 when unvoiced. */
  pitch: number;
  /** 1 when voiced. */
  voiced: 0 | 1;
  /** `1 - min d'(tau)` over the searched lags (YIN's aperiodicity complement), 0 for silent frames. */
  periodicity: number;
}

/**
 * YIN pitch estimation (de Cheveigné & Kawahara, 2002) of one frame. The difference function integrates
 * over `frameLength` samples from the frame start and compares them with the same span shifted by every
 * lag up to `maxLag`, so it reads `frameLength + maxLag` samples (`segmentLength`). The first lag in
 * `[minLag, maxLag]` whose cumulative-mean-normalised difference d' falls below `voicingThreshold`
 * (then followed down to its local minimum) gives the period, refined by parabolic interpolation;
 * no such lag, or a frame below `silenceDb`, means unvoiced.
 *
 * The lag products `r(tau) = sum_j x[j] x[j + tau]` come from one FFT cross-correlation (frame and
 * segment packed as the real and imaginary parts of one complex FFT of the next power of two >=
 * `segmentLength`, then one real inverse FFT), which is several times faster than the direct O(frameLength x maxLag) sum.
 */
export class PitchAnalyzer {
  readonly options: ResolvedPitchOptions;
  /** Samples read per frame: `frameLength + maxLag`. */
  readonly segmentLength: number;
  private readonly prefix: Float64Array;
  private readonly cmnd: Float64Array;
  private readonly fft: ComplexFft;
  private readonly inverseFft: RealFft;
  private readonly products: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly pr: Float64Array;
  private readonly pi: Float64Array;

  constructor(sampleRate: number, options: PitchOptions = {}) {
    this.options = resolvePitchOptions(sampleRate, options);
    this.segmentLength = this.options.frameLength + this.options.maxLag;
    this.prefix = new Float64Array(this.segmentLength + 1);
    this.cmnd = new Float64Array(this.options.maxLag + 2);
    const size = nextPowerOfTwo(this.segmentLength);
    this.fft = new ComplexFft(size);
    this.inverseFft = new RealFft(size);
    this.products = new Float64Array(size);
    this.re = new Float64Array(size);
    this.im = new Float64Array(size);
    this.pr = new Float64Array(size / 2 + 1);
    this.pi = new Float64Array(size / 2 + 1);
  }

  /** Fills `products[tau]` (tau = 0 .. maxLag) with `sum_{j < W} x[j] x[j + tau]`. */
  private lagProducts(samples: ArrayLike<number>, offset: number): void {
    const W = this.options.frameLength;
    const seg = this.segmentLength;
    const N = this.fft.size;
    const re = this.re;
    const im = this.im;
    for (let i = 0; i < N; i++) {
      const x = i < seg ? samples[offset + i] : 0;
      re[i] = i < W ? x : 0;
      im[i] = x;
    }
    this.fft.transform(re, im);
    // split Z = A + iB into the spectra of the frame (A) and the segment (B); P = conj(A) B is
    // Hermitian (the correlation is real), so half the bins and a real inverse FFT suffice
    const pr = this.pr;
    const pi = this.pi;
    const half = N >> 1;
    for (let k = 0; k <= half; k++) {
      const j = k === 0 ? 0 : N - k;
      const ar = 0.5 * (re[k] + re[j]);
      const ai = 0.5 * (im[k] - im[j]);
      const br = 0.5 * (im[k] + im[j]);
      const bi = -0.5 * (re[k] - re[j]);
      pr[k] = ar * br + ai * bi;
      pi[k] = ar * bi - ai * br;
    }
    this.inverseFft.inverse(pr, pi, this.products);
  }

  /**
   * Pitch of the frame starting at `offset`; reads `samples[offset .. offset + segmentLength)`, which
   * the caller must provide (zero-padded past the end of the signal). `energyDb` is the frame's
   * {@link frameEnergyDb}.
   */
  analyze(samples: ArrayLike<number>, offset: number, energyDb: number): FramePitch {
    const { frameLength: W, minLag, maxLag, voicingThreshold, silenceDb, sampleRate } = this.options;
    if (energyDb < silenceDb) return { pitch: 0, voiced: 0, periodicity: 0 };
    const prefix = this.prefix;
    const n = this.segmentLength;
    prefix[0] = 0;
    for (let i = 0; i < n; i++) {
      const x = samples[offset + i];
      prefix[i + 1] = prefix[i] + x * x;
    }
    const e0 = prefix[W];
    this.lagProducts(samples, offset);
    const products = this.products;
    const cmnd = this.cmnd;
    cmnd[0] = 1;
    let running = 0;
    for (let tau = 1; tau <= maxLag; tau++) {
      const r = products[tau];
      let d = e0 + (prefix[tau + W] - prefix[tau]) - 2 * r;
      if (d < 0) d = 0;
      running += d;
      cmnd[tau] = running > 0 ? (d * tau) / running : 1;
    }
    let best = -1;
    for (let tau = minLag; tau <= maxLag; tau++) {
      if (cmnd[tau] < voicingThreshold) {
        while (tau + 1 <= maxLag && cmnd[tau + 1] < cmnd[tau]) tau++;
        best = tau;
        break;
      }
    }
    let minimum = Infinity;
    for (let tau = minLag; tau <= maxLag; tau++) if (cmnd[tau] < minimum) minimum = cmnd[tau];
    const periodicity = Math.max(0, 1 - minimum);
    if (best < 0) return { pitch: 0, voiced: 0, periodicity };
    let shift = 0;
    if (best > 1 && best < maxLag) {
      const a = cmnd[best - 1];
      const c = cmnd[best + 1];
      const denom = a - 2 * cmnd[best] + c;
      if (denom > 0) shift = Math.max(-1, Math.min(1, (0.5 * (a - c)) / denom));
    }
    return { pitch: sampleRate / (best + shift), voiced: 1, periodicity };
  }
}

/** Per-frame pitch and energy of a signal. */
export interface PitchTrack {
  /** Pitch in Hz per frame, 0 where unvoiced. */
  pitch: Float32Array;
  /** 1 where voiced. */
  voiced: Uint8Array;
  /** YIN periodicity per frame (see {@link FramePitch}). */
  periodicity: Float32Array;
  /** Frame RMS energy in dB re full scale. */
  energyDb: Float32Array;
  /** Frames per second (`sampleRate / hop`). */
  frameRate: number;
}

/**
 * Energy and YIN pitch of every full frame of `samples` at `sampleRate` (the same frames as
 * `logMelSpectrogram` with the same `windowMs`/`hopMs`); the signal is zero-padded for the lags of the last frames.
 */
export function pitchTrack(samples: Float32Array | Float64Array, sampleRate: number, options: PitchOptions = {}): PitchTrack {
  assertSamples('samples', samples);
  const analyzer = new PitchAnalyzer(sampleRate, options);
  const { frameLength, hop, maxLag } = analyzer.options;
  const n = frameCount(samples.length, frameLength, hop);
  const padded = new Float32Array(samples.length + maxLag);
  padded.set(samples);
  const track: PitchTrack = {
    pitch: new Float32Array(n),
    voiced: new Uint8Array(n),
    periodicity: new Float32Array(n),
    energyDb: new Float32Array(n),
    frameRate: sampleRate / hop,
  };
  for (let t = 0; t < n; t++) {
    const e = frameEnergyDb(padded, t * hop, frameLength);
    const p = analyzer.analyze(padded, t * hop, e);
    track.energyDb[t] = e;
    track.pitch[t] = p.pitch;
    track.voiced[t] = p.voiced;
    track.periodicity[t] = p.periodicity;
  }
  return track;
}
