import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmojeInputError } from '@emoje/core';
import type { Dialogue, DialogueDataset } from '@emoje/datasets';
import { loadMosi } from '@emoje/datasets/node';
import { prepareTexts, USE_LITE_ID, type SentenceEncoder } from '@emoje/sentence-encoder';
import { loadUseLite } from '@emoje/sentence-encoder/node';
import { useBackend } from '@emoje/test-utils';
import { loadMosiSentences } from './mosi-sentences';
import { embedTextModality } from './sentence-features';

/** A 512-wide fake encoder: row i is (text length, word count, 1, 0, ...), so a vector says which text it came from. */
function fakeEncoder(id = 'fake-512@1'): SentenceEncoder & { disposed: boolean; calls: number } {
  return {
    id,
    dim: 512,
    disposed: false,
    calls: 0,
    async embed(texts) {
      this.calls += 1;
      const prepared = prepareTexts(texts);
      const values = new Float32Array(prepared.length * 512);
      prepared.forEach((t, i) => values.set([t.length, t.split(' ').length, 1], i * 512));
      return tf.tensor2d(values, [prepared.length, 512]);
    },
    dispose() {
      this.disposed = true;
    },
  };
}

let dir: string;
beforeAll(async () => {
  await useBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'emoje-mosi-sent-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const withoutText = (dialogues: Dialogue[]) =>
  dialogues.map((d) => ({ ...d, utterances: d.utterances.map(({ features: { text: _t, ...rest }, text: _x, ...u }) => ({ ...u, features: rest })) }));

describe('loadMosiSentences', () => {
  it('keeps loadMosi()\'s split, labels, speakers, audio and visual, and gives a 512-wide text modality naming the encoder', async () => {
    const encoder = fakeEncoder();
    const before = tf.memory().numTensors;
    const { dataset, stats } = await loadMosiSentences({ encoder, dir });
    expect(tf.memory().numTensors).toBe(before);
    const plain = await loadMosi();
    expect(dataset.modalities).toEqual([{ name: 'text', kind: 'vector', dim: 512, encoder: 'fake-512@1' }, ...plain.modalities.slice(1)]);
    expect(dataset.classes).toEqual(plain.classes);
    for (const split of ['train', 'dev', 'test'] as const) {
      expect(dataset[split].map((d) => d.id)).toEqual(plain[split].map((d) => d.id));
      // Everything but the text is loadMosi()'s, value for value (audio and visual, labels, speakers, ids).
      expect(withoutText(dataset[split])).toEqual(withoutText(plain[split]));
    }
    // Each text vector is the encoder's vector of that utterance's transcript; an empty transcript stays missing.
    const tokens = await loadMosi({ text: 'tokens' });
    let present = 0;
    tokens.test.forEach((d, di) =>
      d.utterances.forEach((u, ui) => {
        const v = dataset.test[di].utterances[ui].features.text as Float32Array | null;
        const t = u.features.text as string | null;
        if (t == null) return expect(v).toBeNull();
        present += 1;
        const [prepared] = prepareTexts([t]);
        expect(v).toHaveLength(512);
        expect([v![0], v![1], v![2]]).toEqual([prepared.length, prepared.split(' ').length, 1]);
      }),
    );
    expect(present).toBeGreaterThan(600);
    expect(stats).toMatchObject({ encoder: 'fake-512@1', hits: 0 });
    expect(stats.misses).toBeGreaterThan(2000);
    // The caller's encoder is not disposed; a second load reads every vector from the cache.
    expect(encoder.disposed).toBe(false);
    const again = fakeEncoder();
    expect((await loadMosiSentences({ encoder: again, dir })).stats).toMatchObject({ misses: 0, hits: stats.hits + stats.misses });
    expect(again.calls).toBe(0);
  });

  it('passes the split options on to loadMosi (another seed, another dev split)', async () => {
    const { dataset } = await loadMosiSentences({ encoder: fakeEncoder(), dir, seed: 7 });
    const plain = await loadMosi({ seed: 7 });
    expect(dataset.dev.map((d) => d.id)).toEqual(plain.dev.map((d) => d.id));
    expect(dataset.test.map((d) => d.id)).toEqual(plain.test.map((d) => d.id));
  });

  it('checks loadMosi\'s options before embedding anything', async () => {
    const encoder = fakeEncoder();
    await expect(loadMosiSentences({ encoder, dir, devFraction: 2 })).rejects.toThrow(EmojeInputError);
    expect(encoder.calls).toBe(0);
  });

  it('with the real USE-lite, a few MOSI transcripts become its 512-d vectors, the same as embedding them directly', { timeout: 120_000 }, async () => {
    const mosi = await loadMosi({ text: 'tokens' });
    const few: DialogueDataset = { ...mosi, train: [], dev: [], test: [{ ...mosi.test[0], utterances: mosi.test[0].utterances.slice(0, 3) }] };
    const encoder = await loadUseLite();
    try {
      const { dataset } = await embedTextModality(few, encoder, { dir: null });
      expect(dataset.modalities[0]).toEqual({ name: 'text', kind: 'vector', dim: 512, encoder: USE_LITE_ID });
      const texts = few.test[0].utterances.map((u) => u.features.text as string);
      const direct = await encoder.embed(texts);
      const expected = (await direct.array()) as number[][];
      direct.dispose();
      dataset.test[0].utterances.forEach((u, i) => {
        const v = Array.from(u.features.text as Float32Array);
        expect(v).toHaveLength(512);
        v.forEach((x, j) => expect(x).toBeCloseTo(expected[i][j], 4));
        // USE-lite's vectors are close to unit length.
        expect(Math.hypot(...v)).toBeGreaterThan(0.5);
      });
      expect(dataset.test[0].utterances.map((u) => u.features.audio)).toEqual(few.test[0].utterances.map((u) => u.features.audio));
    } finally {
      encoder.dispose();
    }
  });
});
