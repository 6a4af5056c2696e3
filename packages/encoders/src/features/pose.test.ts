import { EmojeInputError } from '@emoje/core';
import { describe, expect, it } from 'vitest';
import { POSE_FEATURE_DIM, POSE_FEATURE_LAYOUT, POSE_JOINTS, POSE_LAYOUT_INDICES, POSE_UTTERANCE_VECTOR_WIDTH, poseFeatures, poseUtteranceVector, type Keypoint } from './pose';
import { SeededRandom } from '@emoje/core';

/** Uniform [0, 1) numbers from a seeded generator. */
function rng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

/** A plausible upper body (pixels) with some jitter, as the shared joints. */
function body(random: () => number, t: number): Record<string, Keypoint> {
  const j = () => 4 * (random() - 0.5);
  const sway = 10 * Math.sin(t / 3);
  const pts: Record<string, [number, number]> = {
    nose: [320 + sway, 120],
    leftEye: [335 + sway, 105],
    rightEye: [305 + sway, 105],
    leftEar: [350 + sway, 115],
    rightEar: [290 + sway, 115],
    leftShoulder: [400, 220],
    rightShoulder: [240, 222],
    leftElbow: [430, 330 - 5 * t],
    rightElbow: [210, 330],
    leftWrist: [420, 430 - 8 * t],
    rightWrist: [230, 440],
    leftHip: [380, 450],
    rightHip: [260, 452],
  };
  return Object.fromEntries(Object.entries(pts).map(([k, [x, y]]) => [k, { x: x + j(), y: y + j(), score: 0.6 + 0.4 * random() }]));
}

function toLayout(joints: Record<string, Keypoint>, layout: 'coco17' | 'mediapipe33', random: () => number): Keypoint[] {
  const { size, joints: idx } = POSE_LAYOUT_INDICES[layout];
  const frame: Keypoint[] = Array.from({ length: size }, () => ({ x: 1000 * random(), y: 1000 * random(), score: random() }));
  for (const name of POSE_JOINTS) frame[idx[name]] = { ...joints[name] };
  return frame;
}

function sequence(seed: number, n: number, layout: 'coco17' | 'mediapipe33' = 'coco17'): Keypoint[][] {
  const random = rng(seed);
  return Array.from({ length: n }, (_, t) => toLayout(body(random, t), layout, random));
}

const maxDiff = (a: Float32Array[], b: Float32Array[]) => Math.max(...a.map((row, t) => Math.max(...row.map((v, i) => Math.abs(v - b[t][i])))));

describe('poseFeatures', () => {
  it('is invariant to translation and uniform scale of the keypoints', () => {
    const frames = sequence(1, 12);
    const base = poseFeatures(frames, { layout: 'coco17' });
    expect(base.featureDim).toBe(POSE_FEATURE_DIM);
    expect(POSE_FEATURE_DIM).toBe(73);
    for (const [s, dx, dy] of [[2.5, 100, -40], [0.01, -3, 7], [1, 1e4, 1e4]]) {
      const moved = frames.map((f) => f.map((p) => ({ ...p, x: s * p.x + dx, y: s * p.y + dy })));
      expect(maxDiff(poseFeatures(moved, { layout: 'coco17' }).features, base.features)).toBeLessThan(1e-5);
    }
  });

  it('gives the same features for the same body in COCO-17 and MediaPipe-33 layouts', () => {
    const random = rng(2);
    const bodies = Array.from({ length: 6 }, (_, t) => body(random, t));
    const coco = poseFeatures(bodies.map((b) => toLayout(b, 'coco17', random)), { layout: 'coco17' });
    const mp = poseFeatures(bodies.map((b) => toLayout(b, 'mediapipe33', random)), { layout: 'mediapipe33' });
    expect(maxDiff(coco.features, mp.features)).toBe(0);
    expect(mp.frameMask).toEqual(coco.frameMask);
  });

  it('centres on the mid-shoulder point, scales by the shoulder width and computes the angles', () => {
    const frame: Keypoint[] = Array.from({ length: 17 }, () => ({ x: 0, y: 0, score: 0 }));
    const set = (name: string, x: number, y: number) => (frame[POSE_LAYOUT_INDICES.coco17.joints[name as 'nose']] = { x, y, score: 1 });
    set('leftShoulder', 200, 100);
    set('rightShoulder', 100, 100);
    set('leftElbow', 200, 200); // straight down from the shoulder: 90 degrees at the shoulder
    set('leftWrist', 300, 200); // 90 degrees at the elbow
    set('nose', 150, 50);
    const row = poseFeatures([frame], { layout: 'coco17' }).features[0];
    const c = (j: string) => [row[2 * POSE_JOINTS.indexOf(j as 'nose')], row[2 * POSE_JOINTS.indexOf(j as 'nose') + 1]];
    expect(c('leftShoulder')).toEqual([0.5, 0]);
    expect(c('rightShoulder')).toEqual([-0.5, 0]);
    expect(c('nose')).toEqual([0, -0.5]);
    expect(c('leftElbow')).toEqual([0.5, 1]);
    const a = POSE_FEATURE_LAYOUT.angles.offset;
    expect(row[a]).toBeCloseTo(0.5, 6); // left elbow
    expect(row[a + 2]).toBeCloseTo(0.5, 6); // left shoulder
    expect(row[a + 4]).toBeCloseTo(0, 6); // shoulder line level
    expect(row[a + 6]).toBeCloseTo(0, 6); // head straight above
    expect(row[a + 1]).toBe(0); // right elbow missing
  });

  it('zeros low-confidence and missing joints with visibility 0 and masks failed frames', () => {
    const frames: Array<Keypoint[] | null | { keypoints: Keypoint[] }> = sequence(3, 6);
    const wrist = POSE_LAYOUT_INDICES.coco17.joints.leftWrist;
    (frames[1] as Keypoint[])[wrist].score = 0.1; // below minScore
    (frames[2] as (Keypoint | null)[])[wrist] = null; // not detected
    frames[3] = null; // missed frame
    (frames[4] as Keypoint[])[POSE_LAYOUT_INDICES.coco17.joints.rightShoulder].score = 0; // no shoulder: fails
    frames[5] = { keypoints: frames[5] as Keypoint[] };
    const r = poseFeatures(frames, { layout: 'coco17' });
    expect(Array.from(r.frameMask)).toEqual([1, 1, 1, 0, 0, 1]);
    const w = POSE_JOINTS.indexOf('leftWrist');
    const { visibility, velocities } = POSE_FEATURE_LAYOUT;
    for (const t of [1, 2]) {
      expect(r.features[t][visibility.offset + w]).toBe(0);
      expect([r.features[t][2 * w], r.features[t][2 * w + 1]]).toEqual([0, 0]);
      expect(r.features[t][velocities.offset + 2 * w]).toBe(0);
    }
    expect(r.features[0][visibility.offset + w]).toBe(1);
    expect(r.features[3].every((v) => v === 0)).toBe(true);
    expect(r.features[4].every((v) => v === 0)).toBe(true);
    expect(poseFeatures(frames, { layout: 'coco17', minScore: 0.05 }).features[1][visibility.offset + w]).toBe(1);
  });

  it('has zero velocities on the first frame and after a gap, frame differences otherwise', () => {
    const frames: Array<Keypoint[] | null> = sequence(4, 5);
    frames[2] = null;
    const r = poseFeatures(frames, { layout: 'coco17' });
    const { offset, width } = POSE_FEATURE_LAYOUT.velocities;
    const vel = (t: number) => Array.from(r.features[t].subarray(offset, offset + width));
    expect(vel(0).every((v) => v === 0)).toBe(true);
    expect(vel(3).every((v) => v === 0)).toBe(true);
    const diff = Array.from({ length: width }, (_, i) => r.features[1][i] - r.features[0][i]);
    vel(1).forEach((v, i) => expect(v).toBeCloseTo(diff[i], 6));
    expect(vel(4).some((v) => v !== 0)).toBe(true);
  });

  it('poseUtteranceVector gives masked mean + std + real-frame fraction, fixed width', () => {
    const frames: Array<Keypoint[] | null> = sequence(5, 8);
    frames[0] = null;
    const r = poseFeatures(frames, { layout: 'coco17' });
    const v = poseUtteranceVector(r);
    expect(v.length).toBe(POSE_UTTERANCE_VECTOR_WIDTH);
    expect(POSE_UTTERANCE_VECTOR_WIDTH).toBe(147);
    const real = r.features.filter((_, t) => r.frameMask[t]);
    expect(v[0]).toBeCloseTo(real.reduce((s, f) => s + f[0], 0) / real.length, 6);
    expect(v[146]).toBeCloseTo(7 / 8, 6);
    const none = poseUtteranceVector(poseFeatures([null, null], { layout: 'coco17' }));
    expect(none.every((x) => x === 0)).toBe(true);
    expect(poseUtteranceVector(poseFeatures([], { layout: 'mediapipe33' })).length).toBe(147);
  });

  it('rejects bad input with EmojeInputError naming the field', () => {
    const good = sequence(6, 1);
    const cases: Array<[() => unknown, RegExp]> = [
      [() => poseFeatures('x' as never, { layout: 'coco17' }), /^frames: /],
      [() => poseFeatures(good, { layout: 'openpose' as 'coco17' }), /^options\.layout: /],
      [() => poseFeatures(good, undefined as never), /^options: /],
      [() => poseFeatures(good, { layout: 'coco17', minScore: 2 }), /^options\.minScore: /],
      [() => poseFeatures(good, { layout: 'mediapipe33' }), /^frames\[0\]: expected 33 keypoints/],
      [() => poseFeatures([good[0].map((p, i) => (i === 5 ? { ...p, x: NaN } : p))], { layout: 'coco17' }), /^frames\[0\]\[5\]\.x: /],
      [() => poseFeatures([good[0].map((p, i) => (i === 6 ? { y: 1 } : p)) as Keypoint[]], { layout: 'coco17' }), /^frames\[0\]\[6\]\.x: /],
      [() => poseFeatures([42 as never], { layout: 'coco17' }), /^frames\[0\]: /],
      [() => poseUtteranceVector({ features: [], frameMask: new Uint8Array(0), featureDim: 3 }), /^result\.featureDim: /],
    ];
    for (const [fn, pattern] of cases) {
      expect(fn).toThrow(EmojeInputError);
      expect(fn).toThrow(pattern);
    }
  });

  it('issue 19 item 5: a keypoint field of the wrong type is described by type and size, never quoted', () => {
    const frame = Array.from({ length: 17 }, () => ({ x: 1, y: 2, score: 0.9 })) as unknown as Keypoint[];
    (frame[3] as unknown as { x: unknown }).x = 'root:x:0:0';
    expect(() => poseFeatures([frame], { layout: 'coco17' })).toThrow(/frames\[0\]\[3\]\.x: expected a finite number, received a string of 10 characters/);
  });
});

