import { EmojeInputError, SeededRandom } from '@emoje/core';

/** Word vectors: `vectors` holds `words.length` rows of `dim` float32 values, row-major. */
export interface WordVectors {
  words: string[];
  dim: number;
  vectors: Float32Array;
}

/** The four bytes every word-vector file starts with. */
export const WORD_VECTORS_MAGIC = 'EWV1';
const HEADER_BYTES = 16;

/**
 * Encodes word vectors compactly: the magic `EWV1`, then little-endian uint32 `count`, `dim` and the byte length
 * of the words; the words as UTF-8 joined by `\n` (padded with spaces to an even length); then the vectors as
 * little-endian IEEE float16, row-major. GloVe values lose nothing that matters (relative error below 5e-4).
 */
export function encodeWordVectors(wv: WordVectors): Uint8Array {
  checkWordVectors(wv);
  const words = new TextEncoder().encode(wv.words.join('\n'));
  const wordBytes = words.length + (words.length % 2);
  const out = new Uint8Array(HEADER_BYTES + wordBytes + wv.vectors.length * 2);
  out.set(new TextEncoder().encode(WORD_VECTORS_MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, wv.words.length, true);
  view.setUint32(8, wv.dim, true);
  view.setUint32(12, wordBytes, true);
  out.set(words, HEADER_BYTES);
  if (wordBytes > words.length) out[HEADER_BYTES + words.length] = 0x20;
  const base = HEADER_BYTES + wordBytes;
  for (let i = 0; i < wv.vectors.length; i++) view.setUint16(base + 2 * i, float32ToFloat16(wv.vectors[i]), true);
  return out;
}

/**
 * Decodes a file written by {@link encodeWordVectors}.
 * @param field - The name used in errors (e.g. the file path).
 * @throws {@link EmojeInputError} when the bytes are not such a file or are cut short.
 */
export function decodeWordVectors(bytes: ArrayBuffer | ArrayBufferView, field = 'wordVectors'): WordVectors {
  const view8 = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = new TextDecoder().decode(view8.subarray(0, 4));
  if (view8.byteLength < HEADER_BYTES || magic !== WORD_VECTORS_MAGIC) {
    throw new EmojeInputError(field, `a word-vector file starting with '${WORD_VECTORS_MAGIC}'`, `${view8.byteLength} bytes starting with ${JSON.stringify(magic)}`);
  }
  const view = new DataView(view8.buffer, view8.byteOffset, view8.byteLength);
  const count = view.getUint32(4, true);
  const dim = view.getUint32(8, true);
  const wordBytes = view.getUint32(12, true);
  const expected = HEADER_BYTES + wordBytes + count * dim * 2;
  if (view8.byteLength !== expected) {
    throw new EmojeInputError(field, `${expected} bytes for ${count} words of ${dim} values`, `${view8.byteLength} bytes`);
  }
  const words = new TextDecoder().decode(view8.subarray(HEADER_BYTES, HEADER_BYTES + wordBytes)).trimEnd().split('\n');
  if (words.length !== count) throw new EmojeInputError(field, `${count} words`, `${words.length} words`);
  const vectors = new Float32Array(count * dim);
  const base = HEADER_BYTES + wordBytes;
  for (let i = 0; i < vectors.length; i++) vectors[i] = float16ToFloat32(view.getUint16(base + 2 * i, true));
  return { words, dim, vectors };
}

/** Options of {@link embeddingMatrix}. */
export interface EmbeddingMatrixOptions {
  /** Seed of the random vectors given to tokens without a pretrained vector. Defaults to 1. */
  seed?: number;
  /** Tokens that get zeros instead (e.g. `'<pad>'`). Defaults to `['<pad>']`. */
  zeroTokens?: readonly string[];
}

/** What {@link embeddingMatrix} returns: the table and how much of the vocabulary had a pretrained vector. */
export interface EmbeddingMatrix {
  /** `[tokens.length, dim]`, row-major. */
  matrix: Float32Array;
  dim: number;
  /** Tokens that had a pretrained vector. */
  covered: number;
  /** Tokens that got a random vector. */
  random: string[];
}

/**
 * The embedding table of a vocabulary (row `i` for `tokens[i]`): the pretrained vector where there is one;
 * zeros for `zeroTokens`; otherwise a seeded random normal vector with the pretrained vectors' per-dimension
 * standard deviation, so that frequent words without a vector (`i`, `a`, `'s` in GloVe-6B's MELD subset) stay
 * distinguishable when the table is frozen.
 */
export function embeddingMatrix(tokens: readonly string[], wv: WordVectors, options: EmbeddingMatrixOptions = {}): EmbeddingMatrix {
  checkWordVectors(wv);
  const zero = new Set(options.zeroTokens ?? ['<pad>']);
  const index = new Map(wv.words.map((w, i) => [w, i]));
  const { dim } = wv;
  const std = new Float32Array(dim);
  const mean = new Float32Array(dim);
  const n = wv.words.length;
  for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) mean[k] += wv.vectors[i * dim + k] / n;
  for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) std[k] += (wv.vectors[i * dim + k] - mean[k]) ** 2 / n;
  for (let k = 0; k < dim; k++) std[k] = Math.sqrt(std[k]);
  const rng = new SeededRandom(options.seed ?? 1);
  const matrix = new Float32Array(tokens.length * dim);
  const random: string[] = [];
  let covered = 0;
  tokens.forEach((token, t) => {
    if (zero.has(token)) return;
    const row = index.get(token);
    if (row !== undefined) {
      matrix.set(wv.vectors.subarray(row * dim, (row + 1) * dim), t * dim);
      covered++;
      return;
    }
    random.push(token);
    for (let k = 0; k < dim; k++) matrix[t * dim + k] = rng.normal() * std[k];
  });
  return { matrix, dim, covered, random };
}

function checkWordVectors(wv: WordVectors): void {
  if (!wv || !Array.isArray(wv.words) || !Number.isInteger(wv.dim) || wv.dim < 1 || !(wv.vectors instanceof Float32Array)) {
    throw new EmojeInputError('wordVectors', '{ words: string[], dim: positive integer, vectors: Float32Array }', typeof wv);
  }
  if (wv.vectors.length !== wv.words.length * wv.dim) {
    throw new EmojeInputError('wordVectors.vectors', `words.length * dim = ${wv.words.length * wv.dim} values`, `${wv.vectors.length} values`);
  }
  wv.words.forEach((w, i) => {
    if (typeof w !== 'string' || w.length === 0 || /[\n]/.test(w)) {
      throw new EmojeInputError(`wordVectors.words[${i}]`, 'a non-empty word without line breaks', JSON.stringify(w));
    }
  });
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary32 to binary16 bits, rounding to nearest even; overflow gives infinity. */
export function float32ToFloat16(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** IEEE 754 binary16 bits to a number. */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
