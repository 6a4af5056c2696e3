import { EmojeInputError } from '@emoje/core';

/**
 * A feature sequence of one utterance: one row per frame, a mask that is 0 where the frame carries
 * no information (missed detection, too few joints), and the width of every row. Rows of masked
 * frames are all zeros.
 */
export interface FrameFeatures {
  /** One `Float32Array` of length `featureDim` per frame. */
  features: Float32Array[];
  /** 1 = real frame, 0 = missing (its row is all zeros). */
  frameMask: Uint8Array;
  /** Width of every row. */
  featureDim: number;
}

/** Throws unless `value` is a Float32Array or Float64Array of finite samples. */
export function assertSamples(field: string, value: unknown): asserts value is Float32Array | Float64Array {
  if (!(value instanceof Float32Array) && !(value instanceof Float64Array)) {
    throw new EmojeInputError(field, 'a Float32Array of samples', describe(value));
  }
  for (let i = 0; i < value.length; i++) {
    if (!Number.isFinite(value[i])) {
      throw new EmojeInputError(field, 'finite samples', `${value[i]} at index ${i}`);
    }
  }
}

/** Throws unless `value` is a sample rate: a finite number in [1000, 768000]. */
export function assertSampleRate(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1000 || value > 768000 || !Number.isInteger(value)) {
    throw new EmojeInputError(field, 'an integer sample rate in Hz in [1000, 768000]', String(value));
  }
}

/** Short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  // The prototype's constructor, never an own property: a parsed file's {"constructor": {"name": ...}} must not show.
  if (typeof value === 'object') return (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'object';
  if (typeof value === 'string') return `a string of ${value.length} characters`; // never the text: it may come from a user's file
  return `${typeof value} ${String(value)}`;
}

/**
 * Per-dimension mean and population standard deviation over the rows whose mask is 1
 * (all rows when `mask` is omitted); zeros when there is no such row. Float64 accumulation.
 */
export function maskedMeanStd(rows: ReadonlyArray<ArrayLike<number>>, width: number, mask?: Uint8Array): { mean: Float64Array; std: Float64Array; count: number } {
  const mean = new Float64Array(width);
  const sq = new Float64Array(width);
  let count = 0;
  for (let t = 0; t < rows.length; t++) {
    if (mask && !mask[t]) continue;
    const row = rows[t];
    count++;
    for (let i = 0; i < width; i++) mean[i] += row[i];
  }
  const std = new Float64Array(width);
  if (count === 0) return { mean, std, count };
  for (let i = 0; i < width; i++) mean[i] /= count;
  for (let t = 0; t < rows.length; t++) {
    if (mask && !mask[t]) continue;
    const row = rows[t];
    for (let i = 0; i < width; i++) {
      const d = row[i] - mean[i];
      sq[i] += d * d;
    }
  }
  for (let i = 0; i < width; i++) std[i] = Math.sqrt(sq[i] / count);
  return { mean, std, count };
}

/**
 * Width of {@link frameSequenceUtteranceVector} for a sequence of `featureDim`-wide frames:
 * `2 * featureDim + 1`.
 */
export function frameSequenceUtteranceVectorWidth(featureDim: number): number {
  return 2 * featureDim + 1;
}

/**
 * One fixed-width vector per utterance from a frame sequence: `[mean (featureDim), std (featureDim),
 * fraction of real frames (1)]`, mean and population std over the real frames only (zeros when none).
 */
export function frameSequenceUtteranceVector(result: FrameFeatures): Float32Array {
  if (result === null || typeof result !== 'object' || !Array.isArray(result.features) || !(result.frameMask instanceof Uint8Array)) {
    throw new EmojeInputError('result', 'a frame-feature result { features, frameMask, featureDim }', describe(result));
  }
  const { features, frameMask, featureDim } = result;
  if (!Number.isInteger(featureDim) || featureDim < 0) throw new EmojeInputError('result.featureDim', 'a non-negative integer', String(featureDim));
  if (frameMask.length !== features.length) {
    throw new EmojeInputError('result.frameMask', `length ${features.length} (one entry per frame)`, `length ${frameMask.length}`);
  }
  features.forEach((row, t) => {
    if (!(row instanceof Float32Array) || row.length !== featureDim) {
      throw new EmojeInputError(`result.features[${t}]`, `a Float32Array of length ${featureDim}`, describe(row));
    }
  });
  const { mean, std, count } = maskedMeanStd(features, featureDim, frameMask);
  const out = new Float32Array(frameSequenceUtteranceVectorWidth(featureDim));
  out.set(mean, 0);
  out.set(std, featureDim);
  out[2 * featureDim] = features.length ? count / features.length : 0;
  return out;
}
