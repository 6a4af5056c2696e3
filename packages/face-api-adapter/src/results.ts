import { EmojeInputError } from '@emoje/core';
import { describe } from './util';
import { FACE_API_EXPRESSIONS, faceFeatures, faceUtteranceVector, type FaceFrame, type FacePoint, type FrameFeatures } from '@emoje/encoders';

/** Number of landmarks of face-api's landmark networks (the iBUG 300-W layout, `FaceLandmark68Net` and its tiny variant). */
export const FACE_API_LANDMARK_COUNT = 68;
/** Number of expression probabilities of face-api's `FaceExpressionNet`, in {@link FACE_API_EXPRESSIONS} order. */
export const FACE_API_EXPRESSION_COUNT = FACE_API_EXPRESSIONS.length;
export { FACE_API_EXPRESSIONS };

/** Which parts of a face-api result become features: the 7 expression probabilities, the 68 landmarks, or both. */
export type FaceApiParts = 'expressions' | 'landmarks' | 'both';
/** The values {@link FaceApiParts} may take. */
export const FACE_API_PARTS: readonly FaceApiParts[] = ['expressions', 'landmarks', 'both'];

/**
 * One frame's face-api result, structurally: what `faceapi.detectSingleFace(input).withFaceLandmarks().withFaceExpressions()`
 * resolves to, any subset of it, or what {@link runFaceApiNets} returns. `null` / `undefined` = no face detected.
 */
export interface FaceApiResult {
  /** The detection; only its `score` (in [0, 1]) is read. Absent = score 1 (e.g. crops from your own detector). */
  detection?: { readonly score: number } | null;
  /** face-api's `FaceLandmarks68` (its `positions` are read) or a plain array of 68 points. */
  landmarks?: { readonly positions: ReadonlyArray<FacePoint> } | ReadonlyArray<FacePoint> | null;
  /** face-api's `FaceExpressions` (a `{ neutral, happy, ... }` record) or 7 probabilities in {@link FACE_API_EXPRESSIONS} order. */
  expressions?: Readonly<Record<string, number>> | ArrayLike<number> | null;
}

/** Options of {@link faceApiFrames}, {@link faceApiFeatures} and {@link faceApiUtteranceVector}. */
export interface FaceApiFrameOptions {
  /** Parts to keep. Defaults to `'expressions'` (7 values per frame, independent of who the face belongs to). */
  parts?: FaceApiParts;
  /** Frames whose detection score is below this count as "no face" (masked). Defaults to 0 (keep every detected face). */
  minScore?: number;
}

/** Frames in the format of `@emoje/encoders`' `faceFeatures`, with the detection score of each (0 where masked). */
export interface FaceApiFrames {
  /** One entry per input frame: `null` where no face was detected (or its score was below `minScore`). */
  frames: Array<FaceFrame | null>;
  /** Detection score per frame, 0 for `null` frames. */
  scores: Float32Array;
}

function resolveParts(options: FaceApiFrameOptions): { parts: FaceApiParts; minScore: number } {
  if (options === null || typeof options !== 'object') throw new EmojeInputError('options', 'an options object', describe(options));
  const parts = options.parts ?? 'expressions';
  if (!FACE_API_PARTS.includes(parts)) throw new EmojeInputError('options.parts', FACE_API_PARTS.map((p) => `'${p}'`).join(' | '), JSON.stringify(parts));
  const minScore = options.minScore ?? 0;
  if (typeof minScore !== 'number' || !(minScore >= 0 && minScore <= 1)) throw new EmojeInputError('options.minScore', 'a number in [0, 1]', String(minScore));
  return { parts, minScore };
}

function readExpressions(field: string, value: unknown): number[] {
  const out: number[] = [];
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !ArrayBuffer.isView(value)) {
    const record = value as Record<string, unknown>;
    for (const name of FACE_API_EXPRESSIONS) out.push(record[name] as number);
    out.forEach((v, i) => {
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new EmojeInputError(`${field}.${FACE_API_EXPRESSIONS[i]}`, 'a probability in [0, 1]', String(v));
    });
    return out;
  }
  if (!(Array.isArray(value) || ArrayBuffer.isView(value)) || (value as ArrayLike<number>).length !== FACE_API_EXPRESSION_COUNT) {
    throw new EmojeInputError(field, `face-api expressions: a { ${FACE_API_EXPRESSIONS.join(', ')} } record or ${FACE_API_EXPRESSION_COUNT} probabilities`, describe(value));
  }
  for (let i = 0; i < FACE_API_EXPRESSION_COUNT; i++) {
    const v = (value as ArrayLike<number>)[i];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new EmojeInputError(`${field}[${i}]`, 'a probability in [0, 1]', String(v));
    out.push(v);
  }
  return out;
}

function readLandmarks(field: string, value: unknown): FacePoint[] {
  let points: unknown = value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'positions' in value) {
    points = (value as { positions: unknown }).positions;
    field = `${field}.positions`;
  }
  if (!Array.isArray(points) || points.length !== FACE_API_LANDMARK_COUNT) {
    throw new EmojeInputError(field, `${FACE_API_LANDMARK_COUNT} landmarks {x, y} (face-api's FaceLandmarks68 or an array)`, describe(points));
  }
  return points.map((p: unknown, i) => {
    const q = p as FacePoint;
    if (q === null || typeof q !== 'object' || typeof q.x !== 'number' || typeof q.y !== 'number' || !Number.isFinite(q.x) || !Number.isFinite(q.y)) {
      throw new EmojeInputError(`${field}[${i}]`, 'a point {x, y} with finite coordinates', describe(p));
    }
    return { x: q.x, y: q.y };
  });
}

/**
 * Turns face-api results, one per video frame, into the frame format of `@emoje/encoders`' `faceFeatures`
 * (`{ landmarks?, expressions? }` with expressions as 7 numbers in {@link FACE_API_EXPRESSIONS} order).
 * The output is plain JSON-serialisable data: it is also the `frames` of the face JSON that `emoje predict --manifest` reads.
 *
 * A `null` / `undefined` result, or one whose detection score is below `options.minScore`, becomes `null` (no face).
 * @throws EmojeInputError naming the field (e.g. `results[3].expressions.happy`) when a result with a face lacks a
 * requested part or holds a malformed one.
 */
export function faceApiFrames(results: ReadonlyArray<FaceApiResult | null | undefined>, options: FaceApiFrameOptions = {}): FaceApiFrames {
  if (!Array.isArray(results)) throw new EmojeInputError('results', 'an array with one face-api result (or null) per frame', describe(results));
  const { parts, minScore } = resolveParts(options);
  const frames: Array<FaceFrame | null> = [];
  const scores = new Float32Array(results.length);
  results.forEach((result, t) => {
    const at = `results[${t}]`;
    if (result == null) {
      frames.push(null);
      return;
    }
    if (typeof result !== 'object' || Array.isArray(result)) throw new EmojeInputError(at, 'a face-api result { detection?, landmarks?, expressions? } or null', describe(result));
    let score = 1;
    if (result.detection != null) {
      score = result.detection.score;
      if (typeof score !== 'number' || !(score >= 0 && score <= 1)) throw new EmojeInputError(`${at}.detection.score`, 'a score in [0, 1]', String(score));
    }
    if (score < minScore) {
      frames.push(null);
      return;
    }
    const frame: FaceFrame = {};
    if (parts !== 'expressions') frame.landmarks = readLandmarks(`${at}.landmarks`, result.landmarks);
    if (parts !== 'landmarks') frame.expressions = readExpressions(`${at}.expressions`, result.expressions);
    frames.push(frame);
    scores[t] = score;
  });
  return { frames, scores };
}

/** Width of a {@link faceApiFeatures} frame row: 7 (expressions), 136 (landmarks) or 143 (both). */
export function faceApiFrameWidth(parts: FaceApiParts = 'expressions'): number {
  if (!FACE_API_PARTS.includes(parts)) throw new EmojeInputError('parts', FACE_API_PARTS.map((p) => `'${p}'`).join(' | '), JSON.stringify(parts));
  return (parts === 'expressions' ? 0 : 2 * FACE_API_LANDMARK_COUNT) + (parts === 'landmarks' ? 0 : FACE_API_EXPRESSION_COUNT);
}

/**
 * face-api results as a frame sequence for a `SequenceEncoder` (`[S, d]` with a frame mask): `faceFeatures` of
 * {@link faceApiFrames}. Row layout `[landmarks (136), expressions (7)]`, each part present as `options.parts` says:
 * landmarks centred between the eyes and divided by the inter-ocular distance; expression probabilities as they are.
 * Frames without a face have mask 0 and a zero row; the width is {@link faceApiFrameWidth} whatever the frames hold.
 */
export function faceApiFeatures(results: ReadonlyArray<FaceApiResult | null | undefined>, options: FaceApiFrameOptions = {}): FrameFeatures & { scores: Float32Array } {
  const { parts } = resolveParts(options);
  const { frames, scores } = faceApiFrames(results, options);
  const result = faceFeatures(frames, {
    landmarkCount: parts === 'expressions' ? 0 : FACE_API_LANDMARK_COUNT,
    expressionCount: parts === 'landmarks' ? 0 : FACE_API_EXPRESSION_COUNT,
  });
  // faceFeatures also masks frames whose eyes coincide: their score no longer counts.
  for (let t = 0; t < scores.length; t++) if (!result.frameMask[t]) scores[t] = 0;
  return { ...result, scores };
}

/** A named slice of the {@link faceApiUtteranceVector}. */
export interface FaceApiVectorSegment {
  name: 'mean' | 'std' | 'presentFraction' | 'expressionMax' | 'meanScore';
  offset: number;
  width: number;
}

/**
 * Layout of {@link faceApiUtteranceVector} for `parts`, with F = {@link faceApiFrameWidth}:
 * `mean (F), std (F), presentFraction (1)` (exactly `faceUtteranceVector` of `@emoje/encoders`), then
 * `expressionMax (7)` unless parts is `'landmarks'`, then `meanScore (1)`.
 * Widths: 23 (`'expressions'`), 274 (`'landmarks'`), 295 (`'both'`).
 */
export function faceApiUtteranceVectorLayout(parts: FaceApiParts = 'expressions'): { width: number; segments: FaceApiVectorSegment[] } {
  const f = faceApiFrameWidth(parts);
  const segments: FaceApiVectorSegment[] = [];
  let offset = 0;
  const add = (name: FaceApiVectorSegment['name'], width: number) => {
    segments.push({ name, offset, width });
    offset += width;
  };
  add('mean', f);
  add('std', f);
  add('presentFraction', 1);
  if (parts !== 'landmarks') add('expressionMax', FACE_API_EXPRESSION_COUNT);
  add('meanScore', 1);
  return { width: offset, segments };
}

/** Width of {@link faceApiUtteranceVector}: 23, 274 or 295 (see {@link faceApiUtteranceVectorLayout}). */
export function faceApiUtteranceVectorWidth(parts: FaceApiParts = 'expressions'): number {
  return faceApiUtteranceVectorLayout(parts).width;
}

/** {@link faceApiUtteranceVectorWidth} of the default parts, `'expressions'`: 23. */
export const FACE_API_UTTERANCE_VECTOR_WIDTH = 23;

/**
 * One fixed-width face vector per utterance from its frames' face-api results (layout in
 * {@link faceApiUtteranceVectorLayout}): mean and population std of the {@link faceApiFeatures} rows over the frames with
 * a face, the fraction of such frames, the maximum of each expression probability over them, and their mean detection score.
 *
 * @returns the vector, or `null` when no frame has a face: the face modality is then missing for this utterance (give
 * the model `null` for it, never zeros).
 */
export function faceApiUtteranceVector(results: ReadonlyArray<FaceApiResult | null | undefined>, options: FaceApiFrameOptions = {}): Float32Array | null {
  const { parts } = resolveParts(options);
  const features = faceApiFeatures(results, options);
  const { frameMask, scores } = features;
  const present = frameMask.reduce((n, m) => n + m, 0);
  if (present === 0) return null;
  const layout = faceApiUtteranceVectorLayout(parts);
  const out = new Float32Array(layout.width);
  const base = faceUtteranceVector(features);
  out.set(base, 0);
  let offset = base.length;
  if (parts !== 'landmarks') {
    const at = features.featureDim - FACE_API_EXPRESSION_COUNT;
    for (let e = 0; e < FACE_API_EXPRESSION_COUNT; e++) {
      let max = -Infinity;
      features.features.forEach((row, t) => {
        if (frameMask[t] && row[at + e] > max) max = row[at + e];
      });
      out[offset + e] = max;
    }
    offset += FACE_API_EXPRESSION_COUNT;
  }
  let sum = 0;
  for (let t = 0; t < scores.length; t++) if (frameMask[t]) sum += scores[t];
  out[offset] = sum / present;
  return out;
}
