import { EmojeInputError, assertInteger, assertNumberInRange, assertOneOf } from '@emoje/core';
import { assertSampleRate, assertSamples } from './common';
import { dctMatrix } from './dct';
import { RealFft, isPowerOfTwo, nextPowerOfTwo } from './fft';
import { applyMelFilterbank, melFilterbank, type MelFilterbank } from './mel';
import { WINDOW_KINDS, analysisWindow, frameCount, type WindowKind } from './window';

/** Options of the short-time spectral features (log-mel, MFCC). */
export interface SpectralOptions {
  /** Frame (window) length in ms: 25 (400 samples at 16 kHz). */
  windowMs?: number;
  /** Hop between frame starts in ms: 10 (160 samples at 16 kHz). */
  hopMs?: number;
  /** Analysis window: `'hann'` (periodic). */
  window?: WindowKind;
  /** FFT size, a power of two >= the frame length: the next power of two (512 at 16 kHz). */
  fftSize?: number;
  /** Pre-emphasis coefficient p in [0, 1), applied within each frame (`y[n] = x[n] - p x[n-1]`, `y[0] = (1 - p) x[0]`, as Kaldi): 0.97. */
  preEmphasis?: number;
  /** Mel bands: 40. */
  numMelBands?: number;
  /** Lowest filterbank edge in Hz: 0. */
  minFrequency?: number;
  /** Highest filterbank edge in Hz: min(8000, sampleRate / 2). */
  maxFrequency?: number;
  /** MFCC coefficients kept (c0 included): 13. */
  numMfcc?: number;
  /** Floor of the mel energies before the natural log: 1e-10, so silence gives ln(1e-10) = -23.03. */
  logFloor?: number;
}

/** {@link SpectralOptions} with every default filled in and converted to samples. */
export interface ResolvedSpectralOptions {
  sampleRate: number;
  frameLength: number;
  hop: number;
  window: WindowKind;
  fftSize: number;
  preEmphasis: number;
  numMelBands: number;
  minFrequency: number;
  maxFrequency: number;
  numMfcc: number;
  logFloor: number;
}

const SPECTRAL_KEYS = ['windowMs', 'hopMs', 'window', 'fftSize', 'preEmphasis', 'numMelBands', 'minFrequency', 'maxFrequency', 'numMfcc', 'logFloor'];

/** Validates spectral options for `sampleRate` and fills in the defaults. */
export function resolveSpectralOptions(sampleRate: number, options: SpectralOptions = {}, field = 'options'): ResolvedSpectralOptions {
  assertSampleRate('sampleRate', sampleRate);
  if (options === null || typeof options !== 'object') throw new EmojeInputError(field, 'an options object', String(options));
  const windowMs = options.windowMs ?? 25;
  const hopMs = options.hopMs ?? 10;
  assertNumberInRange(`${field}.windowMs`, windowMs, 1, 1000);
  assertNumberInRange(`${field}.hopMs`, hopMs, 0.1, 1000);
  const frameLength = Math.round((windowMs * sampleRate) / 1000);
  const hop = Math.max(1, Math.round((hopMs * sampleRate) / 1000));
  const window = options.window ?? 'hann';
  assertOneOf(`${field}.window`, window, WINDOW_KINDS);
  const fftSize = options.fftSize ?? nextPowerOfTwo(frameLength);
  if (!isPowerOfTwo(fftSize) || fftSize < frameLength || fftSize > 65536) {
    throw new EmojeInputError(`${field}.fftSize`, `a power of two in [frame length ${frameLength}, 65536]`, String(fftSize));
  }
  const preEmphasis = options.preEmphasis ?? 0.97;
  assertNumberInRange(`${field}.preEmphasis`, preEmphasis, 0, 0.999999);
  const numMelBands = options.numMelBands ?? 40;
  assertInteger(`${field}.numMelBands`, numMelBands, 1, 512);
  const minFrequency = options.minFrequency ?? 0;
  const maxFrequency = options.maxFrequency ?? Math.min(8000, sampleRate / 2);
  assertNumberInRange(`${field}.maxFrequency`, maxFrequency, 1, sampleRate / 2);
  assertNumberInRange(`${field}.minFrequency`, minFrequency, 0, maxFrequency - 1);
  const numMfcc = options.numMfcc ?? 13;
  assertInteger(`${field}.numMfcc`, numMfcc, 1, numMelBands);
  const logFloor = options.logFloor ?? 1e-10;
  assertNumberInRange(`${field}.logFloor`, logFloor, Number.MIN_VALUE, 1);
  return { sampleRate, frameLength, hop, window, fftSize, preEmphasis, numMelBands, minFrequency, maxFrequency, numMfcc, logFloor };
}

/** Picks the spectral options out of a larger options object. */
export function pickSpectralOptions(options: Record<string, unknown>): SpectralOptions {
  const out: Record<string, unknown> = {};
  for (const k of SPECTRAL_KEYS) if (options[k] !== undefined) out[k] = options[k];
  return out as SpectralOptions;
}

/**
 * Per-frame spectral analysis with every table precomputed (window, FFT twiddles, mel filterbank,
 * DCT matrix): frame -> pre-emphasis -> window -> zero-pad to `fftSize` -> power spectrum `|X|^2` ->
 * mel filterbank -> `ln(max(E, logFloor))` -> orthonormal DCT-II.
 */
export class SpectralAnalyzer {
  readonly options: ResolvedSpectralOptions;
  readonly filterbank: MelFilterbank;
  private readonly windowValues: Float64Array;
  private readonly fft: RealFft;
  private readonly dct: Float64Array;
  private readonly frame: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly power: Float64Array;
  private readonly mel: Float64Array;

  constructor(sampleRate: number, options: SpectralOptions = {}) {
    const o = resolveSpectralOptions(sampleRate, options);
    this.options = o;
    this.windowValues = analysisWindow(o.window, o.frameLength);
    this.fft = new RealFft(o.fftSize);
    this.filterbank = melFilterbank({ sampleRate, fftSize: o.fftSize, numBands: o.numMelBands, minFrequency: o.minFrequency, maxFrequency: o.maxFrequency });
    this.dct = dctMatrix(o.numMfcc, o.numMelBands);
    this.frame = new Float64Array(o.fftSize);
    const bins = o.fftSize / 2 + 1;
    this.re = new Float64Array(bins);
    this.im = new Float64Array(bins);
    this.power = new Float64Array(bins);
    this.mel = new Float64Array(o.numMelBands);
  }

  /** Analyses the frame `samples[offset .. offset + frameLength)` into `logMel` and `mfcc` (either may be omitted). */
  analyze(samples: ArrayLike<number>, offset: number, logMel?: Float32Array, mfcc?: Float32Array): void {
    const { frameLength, preEmphasis, numMelBands, numMfcc, logFloor } = this.options;
    const frame = this.frame;
    const w = this.windowValues;
    let prev = samples[offset];
    for (let i = 0; i < frameLength; i++) {
      const x = samples[offset + i];
      frame[i] = (x - preEmphasis * prev) * w[i];
      prev = x;
    }
    // frame[frameLength..] stays zero (zero padding)
    this.fft.forward(frame, this.re, this.im);
    const re = this.re;
    const im = this.im;
    const power = this.power;
    for (let k = 0; k < power.length; k++) power[k] = re[k] * re[k] + im[k] * im[k];
    const mel = applyMelFilterbank(this.filterbank, power, this.mel);
    for (let m = 0; m < numMelBands; m++) {
      mel[m] = Math.log(mel[m] > logFloor ? mel[m] : logFloor);
      if (logMel) logMel[m] = mel[m];
    }
    if (mfcc) {
      const d = this.dct;
      for (let k = 0; k < numMfcc; k++) {
        let sum = 0;
        const row = k * numMelBands;
        for (let m = 0; m < numMelBands; m++) sum += d[row + m] * mel[m];
        mfcc[k] = sum;
      }
    }
  }
}

function analyzeAll(samples: Float32Array | Float64Array, sampleRate: number, options: SpectralOptions, which: 'logMel' | 'mfcc'): Float32Array[] {
  assertSamples('samples', samples);
  const analyzer = new SpectralAnalyzer(sampleRate, options);
  const { frameLength, hop, numMelBands, numMfcc } = analyzer.options;
  const n = frameCount(samples.length, frameLength, hop);
  const out: Float32Array[] = [];
  for (let t = 0; t < n; t++) {
    const row = new Float32Array(which === 'logMel' ? numMelBands : numMfcc);
    if (which === 'logMel') analyzer.analyze(samples, t * hop, row);
    else analyzer.analyze(samples, t * hop, undefined, row);
    out.push(row);
  }
  return out;
}

/**
 * Log-mel spectrogram of `samples` at `sampleRate` (no resampling): one `Float32Array` of
 * `numMelBands` natural-log mel energies per full frame (see {@link SpectralAnalyzer}).
 */
export function logMelSpectrogram(samples: Float32Array | Float64Array, sampleRate: number, options: SpectralOptions = {}): Float32Array[] {
  return analyzeAll(samples, sampleRate, options, 'logMel');
}

/** MFCCs of `samples` at `sampleRate`: the orthonormal DCT-II of each log-mel frame, first `numMfcc` coefficients. */
export function mfcc(samples: Float32Array | Float64Array, sampleRate: number, options: SpectralOptions = {}): Float32Array[] {
  return analyzeAll(samples, sampleRate, options, 'mfcc');
}
