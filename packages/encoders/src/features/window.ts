import { EmojeInputError, assertInteger, assertOneOf } from '@emoje/core';

/** Analysis window shapes. */
export const WINDOW_KINDS = ['hann', 'hamming'] as const;
export type WindowKind = (typeof WINDOW_KINDS)[number];

/**
 * A periodic analysis window of `length` samples (the DFT-even form used by librosa and
 * `scipy.signal.get_window`): Hann `0.5 - 0.5 cos(2 pi n / L)`, Hamming `0.54 - 0.46 cos(2 pi n / L)`.
 */
export function analysisWindow(kind: WindowKind, length: number): Float64Array {
  assertOneOf('window', kind, WINDOW_KINDS);
  assertInteger('length', length, 1);
  const a = kind === 'hann' ? 0.5 : 0.54;
  const w = new Float64Array(length);
  for (let n = 0; n < length; n++) w[n] = a - (1 - a) * Math.cos((2 * Math.PI * n) / length);
  return w;
}

/**
 * Number of frames of `frameLength` samples every `hop` samples that fit entirely in `length`
 * samples (no padding, Kaldi's `snip-edges`): `1 + floor((length - frameLength) / hop)`, or 0.
 */
export function frameCount(length: number, frameLength: number, hop: number): number {
  return length < frameLength ? 0 : 1 + Math.floor((length - frameLength) / hop);
}

/** Splits `samples` into the {@link frameCount} full frames (copies). */
export function frameSignal(samples: ArrayLike<number>, frameLength: number, hop: number): Float32Array[] {
  assertInteger('frameLength', frameLength, 1);
  assertInteger('hop', hop, 1);
  if (!samples || typeof samples.length !== 'number') throw new EmojeInputError('samples', 'an array of samples', String(samples));
  const n = frameCount(samples.length, frameLength, hop);
  const frames: Float32Array[] = [];
  for (let t = 0; t < n; t++) {
    const f = new Float32Array(frameLength);
    for (let i = 0; i < frameLength; i++) f[i] = samples[t * hop + i];
    frames.push(f);
  }
  return frames;
}
