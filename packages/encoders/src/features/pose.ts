import { EmojeInputError, assertInteger, assertNumberInRange, assertOneOf } from '@emoje/core';
import { describe, frameSequenceUtteranceVector, frameSequenceUtteranceVectorWidth, type FrameFeatures } from './common';

/** A detected keypoint. `score` (or MediaPipe's `visibility`) is the detector's confidence, 1 when both are absent. */
export interface Keypoint {
  x: number;
  y: number;
  score?: number;
  visibility?: number;
}

/** One frame of keypoints: the layout's array of joints (null = joint not detected), or `{ keypoints }` as pose-detection returns it. */
export type PoseFrame = ReadonlyArray<Keypoint | null | undefined> | { keypoints: ReadonlyArray<Keypoint | null | undefined> };

/** Keypoint layouts accepted by {@link poseFeatures}. */
export const POSE_LAYOUTS = ['coco17', 'mediapipe33'] as const;
export type PoseLayout = (typeof POSE_LAYOUTS)[number];

/** The upper-body joints shared by both layouts, in feature order. */
export const POSE_JOINTS = [
  'nose',
  'leftEye',
  'rightEye',
  'leftEar',
  'rightEar',
  'leftShoulder',
  'rightShoulder',
  'leftElbow',
  'rightElbow',
  'leftWrist',
  'rightWrist',
  'leftHip',
  'rightHip',
] as const;
export type PoseJoint = (typeof POSE_JOINTS)[number];

/** Index of each shared joint in each layout (COCO-17 keypoints; MediaPipe Pose / BlazePose 33 landmarks). */
export const POSE_LAYOUT_INDICES: Record<PoseLayout, { size: number; joints: Readonly<Record<PoseJoint, number>> }> = {
  coco17: {
    size: 17,
    joints: { nose: 0, leftEye: 1, rightEye: 2, leftEar: 3, rightEar: 4, leftShoulder: 5, rightShoulder: 6, leftElbow: 7, rightElbow: 8, leftWrist: 9, rightWrist: 10, leftHip: 11, rightHip: 12 },
  },
  mediapipe33: {
    size: 33,
    joints: { nose: 0, leftEye: 2, rightEye: 5, leftEar: 7, rightEar: 8, leftShoulder: 11, rightShoulder: 12, leftElbow: 13, rightElbow: 14, leftWrist: 15, rightWrist: 16, leftHip: 23, rightHip: 24 },
  },
};

/** The joint angles in feature order, each divided by pi. */
export const POSE_ANGLES = [
  'leftElbow',
  'rightElbow',
  'leftShoulder',
  'rightShoulder',
  'shoulderTilt',
  'headRoll',
  'neckTilt',
  'torsoLean',
] as const;

const J = POSE_JOINTS.length;
const A = POSE_ANGLES.length;

/** Per-frame pose feature width: 13 joints x 2 coordinates + 13 visibility flags + 8 angles + 13 x 2 velocities = 73. */
export const POSE_FEATURE_DIM = 2 * J + J + A + 2 * J;

/** Width of {@link poseUtteranceVector}: mean (73) + std (73) + fraction of real frames (1) = 147. */
export const POSE_UTTERANCE_VECTOR_WIDTH = frameSequenceUtteranceVectorWidth(POSE_FEATURE_DIM);

/** Offsets of the parts of a pose feature row. */
export const POSE_FEATURE_LAYOUT = {
  coordinates: { offset: 0, width: 2 * J },
  visibility: { offset: 2 * J, width: J },
  angles: { offset: 3 * J, width: A },
  velocities: { offset: 3 * J + A, width: 2 * J },
} as const;

/** Options of {@link poseFeatures}. */
export interface PoseFeatureOptions {
  /** Keypoint layout of the frames. */
  layout: PoseLayout;
  /** Joints with a lower score count as not detected: 0.3. */
  minScore?: number;
  /** Least number of detected shared joints (both shoulders are always required) for a frame to count: 4. */
  minJoints?: number;
}

const IDX = Object.fromEntries(POSE_JOINTS.map((j, i) => [j, i])) as Record<PoseJoint, number>;

/** Interior angle at `b` between `a` and `c`, divided by pi (in [0, 1]). */
function interior(x: Float64Array, y: Float64Array, a: number, b: number, c: number): number {
  const ux = x[a] - x[b];
  const uy = y[a] - y[b];
  const vx = x[c] - x[b];
  const vy = y[c] - y[b];
  return Math.atan2(Math.abs(ux * vy - uy * vx), ux * vx + uy * vy) / Math.PI;
}

/**
 * Normalised upper-body pose features per frame, for body language in place of the face (the paper's
 * privacy mode). Input: one frame per video frame in the COCO-17 or MediaPipe-33 layout (null or an
 * empty frame = no detection). Coordinates must be in isotropic units (pixels; multiply normalised x by
 * the width / height ratio).
 *
 * For each frame, the 13 shared joints ({@link POSE_JOINTS}) whose score is at least `minScore` are
 * "visible". A frame counts (mask 1) when both shoulders are visible, they do not coincide, and at least
 * `minJoints` joints are visible; otherwise its row is zeros and its mask 0. Row layout
 * ({@link POSE_FEATURE_LAYOUT}, 73 values):
 * - coordinates (26): `(x - cx) / s, (y - cy) / s` per joint, centred on the mid-shoulder point
 *   (the mid-hip is often out of frame in upper-body video, so the hips are features, not the origin) and
 *   scaled by the shoulder width `s`; 0 for joints not visible;
 * - visibility (13): 1 / 0 per joint;
 * - angles (8, {@link POSE_ANGLES}, radians / pi): interior angles at the elbows (shoulder-elbow-wrist) and
 *   shoulders (other shoulder-shoulder-elbow) in [0, 1]; signed image-plane angles of the shoulder line
 *   (right -> left shoulder), the eye line (right -> left eye), the neck (mid-shoulder -> nose, from
 *   vertical) and the torso (mid-hip -> mid-shoulder, from vertical) in (-1, 1]; 0 when a joint is missing;
 * - velocities (26): the frame difference of the normalised coordinates, 0 for a joint not visible in this
 *   or the previous frame, and for the first frame and any frame after a missed one.
 *
 * Translation and uniform scaling of the keypoints leave every feature unchanged.
 */
export function poseFeatures(frames: ReadonlyArray<PoseFrame | null | undefined>, options: PoseFeatureOptions): FrameFeatures {
  if (!Array.isArray(frames)) throw new EmojeInputError('frames', 'an array of keypoint frames', describe(frames));
  if (options === null || typeof options !== 'object') throw new EmojeInputError('options', "an options object with a layout ('coco17' or 'mediapipe33')", String(options));
  assertOneOf('options.layout', options.layout, POSE_LAYOUTS);
  const minScore = options.minScore ?? 0.3;
  assertNumberInRange('options.minScore', minScore, 0, 1);
  const minJoints = options.minJoints ?? 4;
  assertInteger('options.minJoints', minJoints, 2, J);
  const { size, joints } = POSE_LAYOUT_INDICES[options.layout];
  const sourceIndex = POSE_JOINTS.map((j) => joints[j]);

  const n = frames.length;
  const features: Float32Array[] = [];
  const frameMask = new Uint8Array(n);
  const x = new Float64Array(J);
  const y = new Float64Array(J);
  const vis = new Uint8Array(J);
  const prevX = new Float64Array(J);
  const prevY = new Float64Array(J);
  const prevVis = new Uint8Array(J);
  let prevValid = false;
  const { coordinates, visibility, angles, velocities } = POSE_FEATURE_LAYOUT;

  for (let t = 0; t < n; t++) {
    const row = new Float32Array(POSE_FEATURE_DIM);
    features.push(row);
    const frame = frames[t];
    let points: ReadonlyArray<Keypoint | null | undefined> | null = null;
    if (frame != null) {
      if (Array.isArray(frame)) points = frame;
      else if (typeof frame === 'object' && Array.isArray((frame as { keypoints?: unknown }).keypoints)) points = (frame as { keypoints: Keypoint[] }).keypoints;
      else throw new EmojeInputError(`frames[${t}]`, `an array of ${size} keypoints, { keypoints }, or null`, describe(frame));
    }
    if (points && points.length === 0) points = null;
    if (points && points.length !== size) {
      throw new EmojeInputError(`frames[${t}]`, `${size} keypoints (layout '${options.layout}')`, `${points.length} keypoints`);
    }
    let visibleCount = 0;
    vis.fill(0);
    if (points) {
      for (let j = 0; j < J; j++) {
        const p = points[sourceIndex[j]];
        if (p == null) continue;
        const field = `frames[${t}][${sourceIndex[j]}]`;
        if (typeof p !== 'object') throw new EmojeInputError(field, 'a keypoint {x, y, score}', describe(p));
        if (typeof p.x !== 'number' || !Number.isFinite(p.x)) throw new EmojeInputError(`${field}.x`, 'a finite number', describe(p.x));
        if (typeof p.y !== 'number' || !Number.isFinite(p.y)) throw new EmojeInputError(`${field}.y`, 'a finite number', describe(p.y));
        const score = p.score ?? p.visibility ?? 1;
        if (typeof score !== 'number' || Number.isNaN(score)) throw new EmojeInputError(`${field}.score`, 'a number', describe(score));
        x[j] = p.x;
        y[j] = p.y;
        if (score >= minScore) {
          vis[j] = 1;
          visibleCount++;
        }
      }
    }
    const ls = IDX.leftShoulder;
    const rs = IDX.rightShoulder;
    const width = points && vis[ls] && vis[rs] ? Math.hypot(x[ls] - x[rs], y[ls] - y[rs]) : 0;
    if (!(width > 0) || !Number.isFinite(width) || visibleCount < minJoints) {
      prevValid = false;
      continue;
    }
    frameMask[t] = 1;
    const cx = 0.5 * (x[ls] + x[rs]);
    const cy = 0.5 * (y[ls] + y[rs]);
    for (let j = 0; j < J; j++) {
      if (vis[j]) {
        x[j] = (x[j] - cx) / width;
        y[j] = (y[j] - cy) / width;
      } else {
        x[j] = 0;
        y[j] = 0;
      }
      row[coordinates.offset + 2 * j] = x[j];
      row[coordinates.offset + 2 * j + 1] = y[j];
      row[visibility.offset + j] = vis[j];
      if (prevValid && vis[j] && prevVis[j]) {
        row[velocities.offset + 2 * j] = x[j] - prevX[j];
        row[velocities.offset + 2 * j + 1] = y[j] - prevY[j];
      }
    }
    // angles, from the normalised coordinates (the origin is the mid-shoulder point)
    const has = (...js: PoseJoint[]) => js.every((j) => vis[IDX[j]] === 1);
    const a = angles.offset;
    if (has('leftShoulder', 'leftElbow', 'leftWrist')) row[a] = interior(x, y, IDX.leftShoulder, IDX.leftElbow, IDX.leftWrist);
    if (has('rightShoulder', 'rightElbow', 'rightWrist')) row[a + 1] = interior(x, y, IDX.rightShoulder, IDX.rightElbow, IDX.rightWrist);
    if (has('leftElbow')) row[a + 2] = interior(x, y, IDX.rightShoulder, IDX.leftShoulder, IDX.leftElbow);
    if (has('rightElbow')) row[a + 3] = interior(x, y, IDX.leftShoulder, IDX.rightShoulder, IDX.rightElbow);
    row[a + 4] = Math.atan2(y[ls] - y[rs], x[ls] - x[rs]) / Math.PI;
    if (has('leftEye', 'rightEye')) row[a + 5] = Math.atan2(y[IDX.leftEye] - y[IDX.rightEye], x[IDX.leftEye] - x[IDX.rightEye]) / Math.PI;
    if (has('nose')) row[a + 6] = Math.atan2(x[IDX.nose], -y[IDX.nose]) / Math.PI;
    if (has('leftHip', 'rightHip')) {
      const hx = 0.5 * (x[IDX.leftHip] + x[IDX.rightHip]);
      const hy = 0.5 * (y[IDX.leftHip] + y[IDX.rightHip]);
      row[a + 7] = Math.atan2(-hx, hy) / Math.PI;
    }
    prevX.set(x);
    prevY.set(y);
    prevVis.set(vis);
    prevValid = true;
  }
  return { features, frameMask, featureDim: POSE_FEATURE_DIM };
}

/**
 * Fixed-width utterance vector of a {@link poseFeatures} result: per-feature mean and population std over
 * the real frames, then the fraction of real frames ({@link POSE_UTTERANCE_VECTOR_WIDTH} = 147 values).
 */
export function poseUtteranceVector(result: FrameFeatures): Float32Array {
  if (result?.featureDim !== POSE_FEATURE_DIM) {
    throw new EmojeInputError('result.featureDim', `${POSE_FEATURE_DIM} (a poseFeatures result)`, String(result?.featureDim));
  }
  return frameSequenceUtteranceVector(result);
}
