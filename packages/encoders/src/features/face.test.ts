import { EmojeInputError } from '@emoje/core';
import { describe, expect, it } from 'vitest';
import { FACE_API_EXPRESSIONS, faceFeatures, faceUtteranceVector, type FaceFrame } from './face';

function landmarks68(dx = 0, dy = 0, s = 1): { x: number; y: number }[] {
  return Array.from({ length: 68 }, (_, i) => {
    let x = 100 + 3 * Math.cos(i) * 10;
    let y = 100 + 2 * Math.sin(i * 1.3) * 10;
    if (i >= 36 && i < 42) [x, y] = [70 + (i - 36), 90]; // right eye (image left)
    if (i >= 42 && i < 48) [x, y] = [130 + (i - 42), 90]; // left eye
    return { x: s * x + dx, y: s * y + dy };
  });
}

describe('faceFeatures', () => {
  it('centres landmarks between the eyes and scales by the inter-ocular distance (68 points)', () => {
    const r = faceFeatures([{ landmarks: landmarks68() }, null, { landmarks: landmarks68(50, -20, 3) }]);
    expect(r.featureDim).toBe(136);
    expect(Array.from(r.frameMask)).toEqual([1, 0, 1]);
    // eye centres at x = 72.5 and 132.5, y = 90: midpoint (102.5, 90), distance 60
    expect(r.features[0][2 * 36]).toBeCloseTo((70 - 102.5) / 60, 6);
    expect(r.features[0][2 * 36 + 1]).toBeCloseTo(0, 6);
    for (let i = 0; i < 136; i++) expect(Math.abs(r.features[2][i] - r.features[0][i])).toBeLessThan(1e-5);
    expect(r.features[1].every((v) => v === 0)).toBe(true);
  });

  it('passes expression scores through, alone or after the landmarks', () => {
    const expr = (happy: number) => Object.fromEntries(FACE_API_EXPRESSIONS.map((k) => [k, k === 'happy' ? happy : (1 - happy) / 6]));
    const r = faceFeatures([{ expressions: expr(0.9) }, undefined, { expressions: expr(0.2) }]);
    expect(r.featureDim).toBe(7);
    expect(r.features[0][1]).toBeCloseTo(0.9, 6);
    expect(Array.from(r.frameMask)).toEqual([1, 0, 1]);
    const both = faceFeatures([{ landmarks: landmarks68(), expressions: [0.1, 0.2, 0.7] }]);
    expect(both.featureDim).toBe(139);
    expect(both.features[0][138]).toBeCloseTo(0.7, 6);
    const ordered = faceFeatures([{ expressions: expr(0.5) }], { expressionKeys: ['happy', 'sad'] });
    expect(Array.from(ordered.features[0])).toEqual([0.5, Math.fround(0.5 / 6)]);
  });

  it('handles custom eye indices, all-missing sequences and the utterance vector', () => {
    const pts = [{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 5, y: 8 }];
    const r = faceFeatures([{ landmarks: pts }], { eyes: { left: [1], right: [0] } });
    expect(Array.from(r.features[0])).toEqual([-0.5, 0, 0.5, 0, 0, 0.8].map(Math.fround));
    const empty = faceFeatures([null, null], { landmarkCount: 68 });
    expect(empty.featureDim).toBe(136);
    expect(faceUtteranceVector(empty).length).toBe(273);
    const v = faceUtteranceVector(faceFeatures([{ expressions: [1, 0] }, { expressions: [0, 1] }, null]));
    expect(Array.from(v)).toEqual([0.5, 0.5, 0.5, 0.5, Math.fround(2 / 3)]);
  });

  it('rejects bad input with EmojeInputError naming the field', () => {
    const cases: Array<[() => unknown, RegExp]> = [
      [() => faceFeatures({} as never), /^frames: /],
      [() => faceFeatures([{ landmarks: [{ x: 0, y: 0 }, { x: 1, y: 1 }] }]), /^options\.eyes: /],
      [() => faceFeatures([{ landmarks: landmarks68() }, { landmarks: landmarks68().slice(1) }]), /^frames\[1\]\.landmarks: /],
      [() => faceFeatures([{ landmarks: landmarks68().map((p, i) => (i === 3 ? { x: NaN, y: 0 } : p)) }]), /^frames\[0\]\.landmarks\[3\]: /],
      [() => faceFeatures([{ expressions: { happy: 1 } }, { expressions: { sad: 1 } }]), /^frames\[1\]\.expressions\.happy: /],
      [() => faceFeatures([{ expressions: [1, 2] }, { expressions: [1] }]), /^frames\[1\]\.expressions: /],
      [() => faceFeatures([{ nose: 1 } as FaceFrame]), /^frames\[0\]: /],
      [() => faceFeatures([{ landmarks: [{ x: 0, y: 0 }] }], { eyes: { left: [3], right: [0] } }), /^options\.eyes\.left: /],
    ];
    for (const [fn, pattern] of cases) {
      expect(fn).toThrow(EmojeInputError);
      expect(fn).toThrow(pattern);
    }
  });
});
