import { EmojeInputError } from '@emoje/core';
import { faceFeatures, faceUtteranceVector } from '@emoje/encoders';
import { describe, expect, it } from 'vitest';
import {
  FACE_API_EXPRESSIONS,
  FACE_API_UTTERANCE_VECTOR_WIDTH,
  faceApiFeatures,
  faceApiFrameWidth,
  faceApiFrames,
  faceApiUtteranceVector,
  faceApiUtteranceVectorLayout,
  faceApiUtteranceVectorWidth,
  type FaceApiResult,
} from './results';

/** A stand-in for face-api's classes: FaceLandmarks68 exposes `positions` through a getter, FaceExpressions is a record. */
class FakeLandmarks {
  constructor(private readonly points: { x: number; y: number }[]) {}
  get positions() {
    return this.points;
  }
}
class FakeDetection {
  constructor(private readonly _score: number) {}
  get score() {
    return this._score;
  }
}

function landmarks68(dx = 0, dy = 0, s = 1): { x: number; y: number }[] {
  return Array.from({ length: 68 }, (_, i) => {
    let x = 100 + 30 * Math.cos(i);
    let y = 100 + 20 * Math.sin(i * 1.3);
    if (i >= 36 && i < 42) [x, y] = [70 + (i - 36), 90];
    if (i >= 42 && i < 48) [x, y] = [130 + (i - 42), 90];
    return { x: s * x + dx, y: s * y + dy };
  });
}

function expressions(probabilities: number[]): Record<string, number> {
  return Object.fromEntries(FACE_API_EXPRESSIONS.map((name, i) => [name, probabilities[i]]));
}

const P = [
  [0.7, 0.1, 0.05, 0.05, 0.04, 0.03, 0.03],
  [0.1, 0.8, 0.02, 0.02, 0.02, 0.02, 0.02],
  [0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1],
];

function result(i: number, score = 0.9, dx = 0): FaceApiResult {
  return { detection: new FakeDetection(score), landmarks: new FakeLandmarks(landmarks68(dx, 0, 1 + i)), expressions: expressions(P[i]) };
}

describe('faceApiFrames', () => {
  it('converts face-api results to encoder frames, masking frames without a face or below minScore', () => {
    const { frames, scores } = faceApiFrames([result(0), null, result(1, 0.3), undefined, result(2, 0.95)], { parts: 'both', minScore: 0.5 });
    expect(frames.map((f) => f === null)).toEqual([false, true, true, true, false]);
    expect(Array.from(scores)).toEqual([0.9, 0, 0, 0, 0.95].map(Math.fround));
    expect(frames[0]!.expressions).toEqual(P[0]);
    expect(frames[4]!.landmarks).toHaveLength(68);
    expect(frames[4]!.landmarks![3]).toEqual(landmarks68(0, 0, 3)[3]);
    // plain JSON in and out: arrays of points and arrays of probabilities are accepted too, detection optional
    const json = JSON.parse(JSON.stringify(faceApiFrames([{ landmarks: landmarks68(), expressions: P[1] }], { parts: 'both' })));
    expect(json.frames[0].expressions).toEqual(P[1]);
    expect(json.scores).toEqual({ 0: 1 });
    const expressionOnly = faceApiFrames([result(0)]);
    expect(expressionOnly.frames[0]!.landmarks).toBeUndefined();
  });
});

describe('faceApiFeatures', () => {
  it('has the documented width for each part choice, whatever the frames hold', () => {
    expect([faceApiFrameWidth('expressions'), faceApiFrameWidth('landmarks'), faceApiFrameWidth('both')]).toEqual([7, 136, 143]);
    for (const parts of ['expressions', 'landmarks', 'both'] as const) {
      expect(faceApiFeatures([result(0), null], { parts }).featureDim).toBe(faceApiFrameWidth(parts));
      expect(faceApiFeatures([null, null], { parts }).featureDim).toBe(faceApiFrameWidth(parts));
      expect(faceApiFeatures([], { parts }).featureDim).toBe(faceApiFrameWidth(parts));
    }
  });

  it("equals @emoje/encoders' faceFeatures on the same frames (landmarks normalised, expressions last)", () => {
    const results = [result(0, 0.9, 5), null, result(2, 0.8, -7)];
    const mine = faceApiFeatures(results, { parts: 'both' });
    const direct = faceFeatures([
      { landmarks: landmarks68(5, 0, 1), expressions: P[0] },
      null,
      { landmarks: landmarks68(-7, 0, 3), expressions: P[2] },
    ]);
    expect(mine.featureDim).toBe(direct.featureDim);
    expect(Array.from(mine.frameMask)).toEqual([1, 0, 1]);
    mine.features.forEach((row, t) => expect(Array.from(row)).toEqual(Array.from(direct.features[t])));
    // the landmark part is invariant to translation: the same template shifted by 40 px
    const shifted = faceApiFeatures([result(1, 1, 0), result(1, 1, 40)], { parts: 'landmarks' });
    for (let i = 0; i < 136; i++) expect(Math.abs(shifted.features[0][i] - shifted.features[1][i])).toBeLessThan(1e-5);
    expect(Array.from(mine.scores)).toEqual([0.9, 0, 0.8].map(Math.fround));
  });
});

describe('faceApiUtteranceVector', () => {
  it('matches a direct computation: mean, std, present fraction, max per expression, mean score', () => {
    const results = [result(0, 0.9), null, result(1, 0.6), result(2, 0.75)];
    const v = faceApiUtteranceVector(results)!;
    expect(v).toBeInstanceOf(Float32Array);
    expect(v.length).toBe(FACE_API_UTTERANCE_VECTOR_WIDTH);
    const layout = faceApiUtteranceVectorLayout('expressions');
    const seg = Object.fromEntries(layout.segments.map((s) => [s.name, s]));
    for (let e = 0; e < 7; e++) {
      const xs = [P[0][e], P[1][e], P[2][e]];
      const mean = (xs[0] + xs[1] + xs[2]) / 3;
      const std = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / 3);
      expect(v[seg.mean.offset + e]).toBeCloseTo(mean, 6);
      expect(v[seg.std.offset + e]).toBeCloseTo(std, 6);
      expect(v[seg.expressionMax.offset + e]).toBeCloseTo(Math.max(...xs), 6);
    }
    expect(v[seg.presentFraction.offset]).toBeCloseTo(3 / 4, 6);
    expect(v[seg.meanScore.offset]).toBeCloseTo((0.9 + 0.6 + 0.75) / 3, 6);
    // its first 2F + 1 entries are exactly faceUtteranceVector of the frame sequence (what the manifest's face files give)
    const prefix = faceUtteranceVector(faceApiFeatures(results));
    expect(Array.from(v.subarray(0, prefix.length))).toEqual(Array.from(prefix));
  });

  it('has the documented widths and segment order', () => {
    expect([faceApiUtteranceVectorWidth('expressions'), faceApiUtteranceVectorWidth('landmarks'), faceApiUtteranceVectorWidth('both')]).toEqual([23, 274, 295]);
    expect(faceApiUtteranceVectorLayout('landmarks').segments.map((s) => s.name)).toEqual(['mean', 'std', 'presentFraction', 'meanScore']);
    const both = faceApiUtteranceVectorLayout('both');
    expect(both.segments.map((s) => [s.name, s.offset, s.width])).toEqual([
      ['mean', 0, 143],
      ['std', 143, 143],
      ['presentFraction', 286, 1],
      ['expressionMax', 287, 7],
      ['meanScore', 294, 1],
    ]);
    for (const parts of ['expressions', 'landmarks', 'both'] as const) {
      expect(faceApiUtteranceVector([result(0), result(1)], { parts })!.length).toBe(faceApiUtteranceVectorWidth(parts));
    }
  });

  it('is null (modality missing) when no frame has a face, and ignores what masked frames would hold', () => {
    expect(faceApiUtteranceVector([])).toBeNull();
    expect(faceApiUtteranceVector([null, undefined, null])).toBeNull();
    expect(faceApiUtteranceVector([result(0, 0.2), result(1, 0.1)], { minScore: 0.5 })).toBeNull();
    // frames below minScore may hold anything, even broken parts: they are masked before being read
    const withJunk = faceApiUtteranceVector([result(0, 0.9), { detection: { score: 0.1 }, expressions: [NaN] }], { minScore: 0.5 })!;
    expect(Array.from(withJunk)).toEqual(Array.from(faceApiUtteranceVector([result(0, 0.9), null])!));
  });
});

describe('errors', () => {
  it('name the field and the expected shape', () => {
    const cases: Array<[() => unknown, RegExp]> = [
      [() => faceApiFrames({} as never), /^results: expected an array/],
      [() => faceApiFrames([result(0)], { parts: 'eyes' as never }), /^options\.parts: /],
      [() => faceApiFrames([result(0)], { minScore: 2 }), /^options\.minScore: /],
      [() => faceApiFrames([null, 'face' as never]), /^results\[1\]: expected a face-api result/],
      [() => faceApiFrames([{ expressions: P[0] }], { parts: 'both' }), /^results\[0\]\.landmarks: expected 68 landmarks/],
      [() => faceApiFrames([{ landmarks: new FakeLandmarks(landmarks68().slice(0, 5)) }], { parts: 'landmarks' }), /^results\[0\]\.landmarks\.positions: expected 68 landmarks/],
      [() => faceApiFrames([{ landmarks: landmarks68().map((p, i) => (i === 7 ? { x: 1, y: Infinity } : p)) }], { parts: 'landmarks' }), /^results\[0\]\.landmarks\[7\]: /],
      [() => faceApiFrames([{ expressions: { ...expressions(P[0]), sad: 1.5 } }]), /^results\[0\]\.expressions\.sad: expected a probability in \[0, 1\]/],
      [() => faceApiFrames([{ expressions: [0.5, 0.5] }]), /^results\[0\]\.expressions: expected face-api expressions.*7 probabilities, received an array of length 2/],
      [() => faceApiFrames([{ expressions: P[0] }, { detection: { score: NaN }, expressions: P[0] }]), /^results\[1\]\.detection\.score: /],
      [() => faceApiFrameWidth('all' as never), /^parts: /],
    ];
    for (const [fn, pattern] of cases) {
      expect(fn).toThrow(EmojeInputError);
      expect(fn).toThrow(pattern);
    }
  });
});
