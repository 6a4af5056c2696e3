import { EmojeInputError, assertInteger } from '@emoje/core';
import { describe, frameSequenceUtteranceVector, type FrameFeatures } from './common';

/** A 2-D facial landmark (`z`, if any, is ignored). */
export interface FacePoint {
  x: number;
  y: number;
}

/**
 * One face frame: landmarks, expression scores (a `{ name: score }` record, e.g. face-api.js's
 * `expressions`, or an array), or both. `null`/`undefined` = no face detected.
 */
export interface FaceFrame {
  landmarks?: ReadonlyArray<FacePoint>;
  expressions?: Readonly<Record<string, number>> | ReadonlyArray<number> | Float32Array;
}

/** face-api.js's expression names, in its order. */
export const FACE_API_EXPRESSIONS = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'] as const;

/** Eye landmark indices of the layouts recognised by landmark count: 68 (iBUG 300-W: dlib, face-api.js) and 468/478 (MediaPipe Face Mesh, eye corners). */
export const FACE_EYE_INDICES: Readonly<Record<number, { left: readonly number[]; right: readonly number[] }>> = {
  68: { left: [42, 43, 44, 45, 46, 47], right: [36, 37, 38, 39, 40, 41] },
  468: { left: [362, 263], right: [33, 133] },
  478: { left: [362, 263], right: [33, 133] },
};

/** Options of {@link faceFeatures}. */
export interface FaceFeatureOptions {
  /** Landmark indices of each eye, for landmark counts other than 68, 468 and 478. */
  eyes?: { left: readonly number[]; right: readonly number[] };
  /** Expression names read from record-valued `expressions`, in feature order: the keys of the first frame with expressions. */
  expressionKeys?: readonly string[];
  /** Landmarks per frame: that of the first frame with landmarks. Needed only to fix `featureDim` when no frame has a face. */
  landmarkCount?: number;
  /** Expression scores per frame, for the same purpose. */
  expressionCount?: number;
}

/**
 * Face features per frame, from facial landmarks and/or expression scores.
 *
 * Row layout: `[landmarks (2L), expressions (E)]`.
 * - Landmarks: `(x - cx) / d, (y - cy) / d` per landmark, centred on the midpoint of the two eye centres
 *   and scaled by the inter-ocular distance `d` (eye centre = mean of that eye's landmarks, see
 *   {@link FACE_EYE_INDICES} or `options.eyes`); invariant to translation and uniform scale.
 * - Expressions: the scores passed through, in `expressionKeys` order.
 *
 * A null / undefined frame, or one whose eyes coincide, has mask 0 and a zero row. Every frame with a face
 * must carry the parts of the first one, with the same sizes (parts the first frame lacks are ignored).
 */
export function faceFeatures(frames: ReadonlyArray<FaceFrame | null | undefined>, options: FaceFeatureOptions = {}): FrameFeatures {
  if (!Array.isArray(frames)) throw new EmojeInputError('frames', 'an array of face frames', describe(frames));
  if (options === null || typeof options !== 'object') throw new EmojeInputError('options', 'an options object', String(options));
  const first = frames.find((f) => f != null);
  if (first !== undefined && (typeof first !== 'object' || (first.landmarks === undefined && first.expressions === undefined))) {
    throw new EmojeInputError(`frames[${frames.indexOf(first)}]`, 'a face frame { landmarks?, expressions? } or null', describe(first));
  }
  let landmarkCount = first?.landmarks ? first.landmarks.length : options.landmarkCount ?? 0;
  if (first?.landmarks && !Array.isArray(first.landmarks)) throw new EmojeInputError(`frames[${frames.indexOf(first)}].landmarks`, 'an array of {x, y}', describe(first.landmarks));
  assertInteger('options.landmarkCount', landmarkCount, 0);
  if (first && !first.landmarks) landmarkCount = 0;
  let keys: readonly string[] | null = null;
  let expressionCount = options.expressionCount ?? options.expressionKeys?.length ?? 0;
  if (first?.expressions !== undefined) {
    const e = first.expressions;
    if (Array.isArray(e) || e instanceof Float32Array) {
      expressionCount = e.length;
    } else if (e !== null && typeof e === 'object') {
      keys = options.expressionKeys ?? Object.keys(e);
      expressionCount = keys.length;
    } else {
      throw new EmojeInputError(`frames[${frames.indexOf(first)}].expressions`, 'a record of scores or an array of scores', describe(e));
    }
  } else if (first) {
    expressionCount = 0;
  }
  assertInteger('options.expressionCount', expressionCount, 0);

  let eyes: { left: readonly number[]; right: readonly number[] } | null = null;
  if (landmarkCount > 0) {
    eyes = options.eyes ?? FACE_EYE_INDICES[landmarkCount] ?? null;
    if (!eyes) {
      throw new EmojeInputError('options.eyes', `eye landmark indices for ${landmarkCount} landmarks (known layouts: 68, 468, 478)`, 'none');
    }
    for (const side of ['left', 'right'] as const) {
      const idx = eyes[side];
      if (!Array.isArray(idx) || idx.length === 0 || !idx.every((i) => Number.isInteger(i) && i >= 0 && i < landmarkCount)) {
        throw new EmojeInputError(`options.eyes.${side}`, `a non-empty array of landmark indices in [0, ${landmarkCount})`, JSON.stringify(idx));
      }
    }
  }

  const featureDim = 2 * landmarkCount + expressionCount;
  const features: Float32Array[] = [];
  const frameMask = new Uint8Array(frames.length);
  for (let t = 0; t < frames.length; t++) {
    const row = new Float32Array(featureDim);
    features.push(row);
    const frame = frames[t];
    if (frame == null) continue;
    if (typeof frame !== 'object') throw new EmojeInputError(`frames[${t}]`, 'a face frame { landmarks?, expressions? } or null', describe(frame));
    let ok = true;
    if (landmarkCount > 0) {
      const lm = frame.landmarks;
      if (!Array.isArray(lm) || lm.length !== landmarkCount) {
        throw new EmojeInputError(`frames[${t}].landmarks`, `an array of ${landmarkCount} landmarks`, describe(lm));
      }
      for (let i = 0; i < landmarkCount; i++) {
        const p = lm[i];
        if (p === null || typeof p !== 'object' || typeof p.x !== 'number' || typeof p.y !== 'number' || !Number.isFinite(p.x) || !Number.isFinite(p.y)) {
          throw new EmojeInputError(`frames[${t}].landmarks[${i}]`, 'a point {x, y} with finite coordinates', describe(p));
        }
      }
      const centre = (idx: readonly number[]) => {
        let sx = 0;
        let sy = 0;
        for (const i of idx) {
          sx += lm[i].x;
          sy += lm[i].y;
        }
        return [sx / idx.length, sy / idx.length];
      };
      const [lx, ly] = centre(eyes!.left);
      const [rx, ry] = centre(eyes!.right);
      const d = Math.hypot(lx - rx, ly - ry);
      if (d > 0 && Number.isFinite(d)) {
        const cx = 0.5 * (lx + rx);
        const cy = 0.5 * (ly + ry);
        for (let i = 0; i < landmarkCount; i++) {
          row[2 * i] = (lm[i].x - cx) / d;
          row[2 * i + 1] = (lm[i].y - cy) / d;
        }
      } else {
        ok = false;
      }
    }
    if (expressionCount > 0) {
      const e = frame.expressions;
      const at = 2 * landmarkCount;
      const field = `frames[${t}].expressions`;
      if (keys) {
        if (e === null || typeof e !== 'object' || Array.isArray(e) || ArrayBuffer.isView(e)) throw new EmojeInputError(field, `a record with ${keys.join(', ')}`, describe(e));
        const rec = e as Readonly<Record<string, number>>;
        keys.forEach((k, i) => {
          const v = rec[k];
          if (typeof v !== 'number' || !Number.isFinite(v)) throw new EmojeInputError(`${field}.${k}`, 'a finite score', describe(v));
          row[at + i] = v;
        });
      } else {
        if (!(Array.isArray(e) || e instanceof Float32Array) || e.length !== expressionCount) {
          throw new EmojeInputError(field, `an array of ${expressionCount} scores`, describe(e));
        }
        for (let i = 0; i < expressionCount; i++) {
          const v = (e as ArrayLike<number>)[i];
          if (typeof v !== 'number' || !Number.isFinite(v)) throw new EmojeInputError(`${field}[${i}]`, 'a finite score', describe(v));
          row[at + i] = v;
        }
      }
    }
    if (ok) frameMask[t] = 1;
    else row.fill(0);
  }
  return { features, frameMask, featureDim };
}

/** Fixed-width utterance vector of a {@link faceFeatures} result: mean and std over real frames, then the fraction of real frames (`2 * featureDim + 1`). */
export function faceUtteranceVector(result: FrameFeatures): Float32Array {
  return frameSequenceUtteranceVector(result);
}
