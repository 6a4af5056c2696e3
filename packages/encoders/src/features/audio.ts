import { EmojeInputError, assertInteger } from '@emoje/core';
import { assertSampleRate, assertSamples, maskedMeanStd } from './common';
import { PitchAnalyzer, frameEnergyDb, type PitchOptions } from './pitch';
import { PROSODY_VECTOR_KEYS, prosodyStatistics, type ProsodyStatistics, type ProsodyStatisticsOptions } from './prosody';
import { Resampler, type ResampleOptions } from './resample';
import { SpectralAnalyzer, pickSpectralOptions, type SpectralOptions } from './spectrogram';
import { SlidingBuffer } from './sliding-buffer';

/** Options of {@link extractAudioFeatures} and {@link AudioFeatureExtractor}. */
export interface AudioFeatureOptions
  extends SpectralOptions,
    PitchOptions,
    Omit<ProsodyStatisticsOptions, 'duration' | 'silenceDb'> {
  /** Analysis sample rate; input at another rate is resampled first: 16000. */
  targetSampleRate?: number;
  /** Options of the resampler (see `resample`). */
  resampler?: ResampleOptions;
}

/** Features of one utterance. */
export interface AudioFeatures {
  /** Analysis sample rate (`targetSampleRate`). */
  sampleRate: number;
  /** Frames per second (100 at the default 10 ms hop). */
  frameRate: number;
  /** Natural-log mel energies, one `Float32Array(numMelBands)` per frame. */
  logMel: Float32Array[];
  /** MFCCs (c0 first), one `Float32Array(numMfcc)` per frame. */
  mfcc: Float32Array[];
  /** Pitch per frame in Hz, 0 where unvoiced. */
  pitch: Float32Array;
  /** 1 where the frame is voiced. */
  voiced: Uint8Array;
  /** Frame RMS energy, dB re full scale. */
  energyDb: Float32Array;
  /** YIN periodicity per frame (`1 - min d'`, in [0, 1]; 0 for silent frames), see `FramePitch.periodicity`. */
  periodicity: Float32Array;
  /** Utterance prosody statistics. */
  prosody: ProsodyStatistics;
  /** Fixed-width utterance vector, see {@link audioUtteranceVectorLayout}. */
  utteranceVector: Float32Array;
}

/** New frames returned by {@link AudioFeatureExtractor.push}. */
export interface AudioFrames {
  logMel: Float32Array[];
  mfcc: Float32Array[];
  pitch: Float32Array;
  voiced: Uint8Array;
  energyDb: Float32Array;
  periodicity: Float32Array;
}

/** One named slice of the utterance vector. */
export interface VectorSegment {
  name: 'mfccMean' | 'mfccStd' | 'logMelMean' | 'prosody';
  offset: number;
  width: number;
}

/**
 * Layout of the audio utterance vector: `[mfccMean (numMfcc), mfccStd (numMfcc), logMelMean (numMelBands),
 * prosody (11: PROSODY_VECTOR_KEYS order)]`; 77 values with the defaults (13 MFCC, 40 mel bands).
 * Means and population standard deviations are over all frames (zeros for an utterance shorter than one frame).
 */
export function audioUtteranceVectorLayout(options: Pick<SpectralOptions, 'numMfcc' | 'numMelBands'> = {}): { width: number; segments: VectorSegment[] } {
  const numMelBands = options.numMelBands ?? 40;
  const numMfcc = options.numMfcc ?? 13;
  assertInteger('options.numMelBands', numMelBands, 1, 512);
  assertInteger('options.numMfcc', numMfcc, 1, numMelBands);
  const segments: VectorSegment[] = [];
  let offset = 0;
  for (const [name, width] of [
    ['mfccMean', numMfcc],
    ['mfccStd', numMfcc],
    ['logMelMean', numMelBands],
    ['prosody', PROSODY_VECTOR_KEYS.length],
  ] as const) {
    segments.push({ name, offset, width });
    offset += width;
  }
  return { width: offset, segments };
}

/** Width of the audio utterance vector: `2 * numMfcc + numMelBands + 11` (77 with the defaults). */
export function audioUtteranceVectorWidth(options: Pick<SpectralOptions, 'numMfcc' | 'numMelBands'> = {}): number {
  return audioUtteranceVectorLayout(options).width;
}

/** Width of the audio utterance vector with the default options: 77. */
export const AUDIO_UTTERANCE_VECTOR_WIDTH = 77;

/**
 * Streaming audio feature extraction. Feed any number of chunks of any size with `push` (each returns
 * the frames it completed), then `flush` to end the utterance and get everything, including the
 * utterance statistics; the extractor is then ready for the next utterance. The result equals
 * {@link extractAudioFeatures} on the concatenated chunks exactly (same arithmetic on the same samples).
 *
 * Pipeline: resample to `targetSampleRate` (windowed sinc, see `Resampler`) -> 25 ms frames every 10 ms
 * that fit entirely in the signal -> per frame: RMS energy (dB), YIN pitch (which looks `maxLag` samples
 * ahead, zeros past the end), log-mel and MFCC (see `SpectralAnalyzer`) -> prosody statistics and the
 * utterance vector at `flush`. Memory: the frames produced plus about one frame of samples.
 */
export class AudioFeatureExtractor {
  readonly inputSampleRate: number;
  readonly sampleRate: number;
  private readonly options: AudioFeatureOptions;
  private readonly resampler: Resampler | null;
  private readonly spectral: SpectralAnalyzer;
  private readonly pitchAnalyzer: PitchAnalyzer;
  private readonly frameLength: number;
  private readonly hop: number;
  private readonly lookahead: number;
  private readonly window = new SlidingBuffer(4096);
  private inputCount = 0;
  private logMel: Float32Array[] = [];
  private mfcc: Float32Array[] = [];
  private pitch: number[] = [];
  private voiced: number[] = [];
  private energy: number[] = [];
  private periodicity: number[] = [];

  constructor(sampleRate: number, options: AudioFeatureOptions = {}) {
    assertSampleRate('sampleRate', sampleRate);
    if (options === null || typeof options !== 'object') throw new EmojeInputError('options', 'an options object', String(options));
    const target = options.targetSampleRate ?? 16000;
    assertSampleRate('options.targetSampleRate', target);
    this.inputSampleRate = sampleRate;
    this.sampleRate = target;
    this.options = options;
    this.resampler = sampleRate === target ? null : new Resampler(sampleRate, target, options.resampler ?? {});
    this.spectral = new SpectralAnalyzer(target, pickSpectralOptions(options as Record<string, unknown>));
    this.pitchAnalyzer = new PitchAnalyzer(target, options);
    this.frameLength = this.spectral.options.frameLength;
    this.hop = this.spectral.options.hop;
    this.lookahead = this.pitchAnalyzer.segmentLength;
    // validate the statistics options now rather than at flush
    prosodyStatistics({ pitch: new Float32Array(0), voiced: new Uint8Array(0), energyDb: new Float32Array(0), frameRate: target / this.hop }, this.statisticsOptions(0));
  }

  /** Frames completed so far in the current utterance. */
  get frameCount(): number {
    return this.logMel.length;
  }

  private statisticsOptions(duration: number): ProsodyStatisticsOptions {
    const o = this.options;
    return {
      duration,
      smoothingFrames: o.smoothingFrames,
      minPeakDistanceMs: o.minPeakDistanceMs,
      peakProminenceDb: o.peakProminenceDb,
      dynamicRangeDb: o.dynamicRangeDb,
      silenceDb: this.pitchAnalyzer.options.silenceDb,
    };
  }

  /** Analyses every frame whose samples, pitch look-ahead included, are buffered and that fits in the first `signalLength` samples. */
  private analyzeFrames(signalLength: number): AudioFrames {
    const first = this.frameCount;
    const end = this.window.start + this.window.length;
    for (;;) {
      const start = this.frameCount * this.hop;
      if (start + this.lookahead > end || start + this.frameLength > signalLength) break;
      const offset = start - this.window.start;
      const energyDb = frameEnergyDb(this.window.data, offset, this.frameLength);
      const p = this.pitchAnalyzer.analyze(this.window.data, offset, energyDb);
      const logMel = new Float32Array(this.spectral.options.numMelBands);
      const mfcc = new Float32Array(this.spectral.options.numMfcc);
      this.spectral.analyze(this.window.data, offset, logMel, mfcc);
      this.logMel.push(logMel);
      this.mfcc.push(mfcc);
      this.pitch.push(p.pitch);
      this.voiced.push(p.voiced);
      this.energy.push(Math.fround(energyDb));
      this.periodicity.push(p.periodicity);
    }
    return {
      logMel: this.logMel.slice(first),
      mfcc: this.mfcc.slice(first),
      pitch: Float32Array.from(this.pitch.slice(first)),
      voiced: Uint8Array.from(this.voiced.slice(first)),
      energyDb: Float32Array.from(this.energy.slice(first)),
      periodicity: Float32Array.from(this.periodicity.slice(first)),
    };
  }

  /** Adds samples at the input sample rate; returns the frames this chunk completed. */
  push(chunk: Float32Array | Float64Array): AudioFrames {
    assertSamples('chunk', chunk);
    this.inputCount += chunk.length;
    const samples = this.resampler ? this.resampler.push(chunk) : chunk;
    this.window.append(samples, samples.length, this.frameCount * this.hop);
    return this.analyzeFrames(Number.MAX_SAFE_INTEGER);
  }

  /** Ends the utterance: analyses the last frames and returns all features; then resets. */
  flush(): AudioFeatures {
    if (this.resampler) {
      const tail = this.resampler.flush();
      this.window.append(tail, tail.length, this.frameCount * this.hop);
    }
    const signalLength = this.window.start + this.window.length;
    this.window.append([], this.lookahead, this.frameCount * this.hop);
    this.analyzeFrames(signalLength);
    const frameRate = this.sampleRate / this.hop;
    const pitch = Float32Array.from(this.pitch);
    const voiced = Uint8Array.from(this.voiced);
    const energyDb = Float32Array.from(this.energy);
    const periodicity = Float32Array.from(this.periodicity);
    const prosody = prosodyStatistics({ pitch, voiced, energyDb, frameRate }, this.statisticsOptions(this.inputCount / this.inputSampleRate));
    const { numMfcc, numMelBands } = this.spectral.options;
    const layout = audioUtteranceVectorLayout({ numMfcc, numMelBands });
    const vector = new Float32Array(layout.width);
    const m = maskedMeanStd(this.mfcc, numMfcc);
    const l = maskedMeanStd(this.logMel, numMelBands);
    vector.set(m.mean, layout.segments[0].offset);
    vector.set(m.std, layout.segments[1].offset);
    vector.set(l.mean, layout.segments[2].offset);
    PROSODY_VECTOR_KEYS.forEach((key, i) => {
      vector[layout.segments[3].offset + i] = prosody[key];
    });
    const result: AudioFeatures = {
      sampleRate: this.sampleRate,
      frameRate,
      logMel: this.logMel,
      mfcc: this.mfcc,
      pitch,
      voiced,
      energyDb,
      periodicity,
      prosody,
      utteranceVector: vector,
    };
    this.reset();
    return result;
  }

  /** Drops the current utterance. */
  reset(): void {
    this.resampler?.reset();
    this.window.reset(4096);
    this.inputCount = 0;
    this.logMel = [];
    this.mfcc = [];
    this.pitch = [];
    this.voiced = [];
    this.energy = [];
    this.periodicity = [];
  }
}

/**
 * Log-mel, MFCC, pitch, energy, prosody statistics and the utterance vector of one utterance of mono
 * `samples` at `sampleRate` (resampled to `targetSampleRate`, 16 kHz by default). See
 * {@link AudioFeatureExtractor} for the pipeline; the options and defaults are those of
 * `logMelSpectrogram`/`mfcc` (`SpectralOptions`), `pitchTrack` (`PitchOptions`) and `prosodyStatistics`.
 */
export function extractAudioFeatures(samples: Float32Array | Float64Array, sampleRate: number, options: AudioFeatureOptions = {}): AudioFeatures {
  const extractor = new AudioFeatureExtractor(sampleRate, options);
  extractor.push(samples);
  return extractor.flush();
}
