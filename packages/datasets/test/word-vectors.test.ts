import { describe, expect, it } from 'vitest';
import { decodeWordVectors, embeddingMatrix, encodeWordVectors, float16ToFloat32, float32ToFloat16 } from '../src/index';
import { loadWordVectors } from '../src/node';
import { fieldOf } from './helpers';

describe('float16', () => {
  it('matches known bit patterns and rounds to nearest even', () => {
    const cases: [number, number][] = [[0, 0x0000], [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [2 ** -24, 0x0001], [0.1, 0x2e66], [1e6, 0x7c00]];
    for (const [value, bits] of cases) expect(float32ToFloat16(value)).toBe(bits);
    expect(float16ToFloat32(0x3c00)).toBe(1);
    expect(float16ToFloat32(0x2e66)).toBeCloseTo(0.0999755859375, 12);
    expect(float32ToFloat16(1 + 2 ** -11)).toBe(0x3c00); // halfway: to even
    expect(float32ToFloat16(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });
});

describe('word-vector files', () => {
  it('round-trip words and values within float16 precision', () => {
    const wv = { words: ['a', 'café', "n't"], dim: 2, vectors: Float32Array.from([0.5, -0.25, 1.2345, 3, -7.5, 0.001]) };
    const back = decodeWordVectors(encodeWordVectors(wv));
    expect(back.words).toEqual(wv.words);
    back.vectors.forEach((v, i) => expect(Math.abs(v - wv.vectors[i])).toBeLessThanOrEqual(Math.abs(wv.vectors[i]) * 5e-4));
  });

  it('reject other or truncated bytes with a clear error', () => {
    const bytes = encodeWordVectors({ words: ['a'], dim: 2, vectors: new Float32Array(2) });
    expect(fieldOf(() => decodeWordVectors(new Uint8Array(20), 'x.ewv'))).toBe('x.ewv');
    expect(() => decodeWordVectors(bytes.subarray(0, bytes.length - 1))).toThrow(/bytes/);
  });

  it('the bundled GloVe file holds 5,906 MELD words of 100 values', async () => {
    const wv = await loadWordVectors();
    expect(wv.words.length).toBe(5906);
    expect(wv.dim).toBe(100);
    const the = wv.words.indexOf('the');
    // GloVe 6B 100d "the" starts -0.038194, -0.24487, 0.72812
    expect(Array.from(wv.vectors.subarray(the * 100, the * 100 + 3)).map((v) => Number(v.toFixed(3)))).toEqual([-0.038, -0.245, 0.728]);
  });
});

describe('embeddingMatrix', () => {
  it('copies pretrained rows, zeros the padding and gives seeded random vectors to the rest', () => {
    const wv = { words: ['x', 'y'], dim: 2, vectors: Float32Array.from([1, 2, -1, -2]) };
    const a = embeddingMatrix(['<pad>', '<unk>', 'y', 'z'], wv, { seed: 3 });
    expect(Array.from(a.matrix.subarray(0, 2))).toEqual([0, 0]);
    expect(Array.from(a.matrix.subarray(4, 6))).toEqual([-1, -2]);
    expect(a.covered).toBe(1);
    expect(a.random).toEqual(['<unk>', 'z']);
    expect(Array.from(a.matrix.subarray(6, 8)).some((v) => v !== 0)).toBe(true);
    expect(embeddingMatrix(['<pad>', '<unk>', 'y', 'z'], wv, { seed: 3 }).matrix).toEqual(a.matrix);
  });
});
