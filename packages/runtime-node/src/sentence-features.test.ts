import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmojeInputError } from '@emoje/core';
import type { DialogueDataset } from '@emoje/datasets';
import { createModel } from '@emoje/model';
import { prepareTexts, type SentenceEncoder } from '@emoje/sentence-encoder';
import { useBackend } from '@emoje/test-utils';
import { datasetForModel, embedDialogueTexts, embedTextModality, loadSentenceEncoder } from './sentence-features';

function fakeEncoder(id = 'fake@1', dim = 3): SentenceEncoder {
  return {
    id,
    dim,
    async embed(texts) {
      const prepared = prepareTexts(texts);
      return tf.tensor2d(prepared.flatMap((t) => [t.length, t.split(' ').length, 1]), [prepared.length, dim]);
    },
    dispose() {},
  };
}

const dataset = (): DialogueDataset => ({
  name: 'tiny',
  classes: ['a', 'b'],
  modalities: [{ name: 'text', kind: 'text' }],
  train: [{ id: 'd1', utterances: [{ id: 'u1', speaker: 'A', text: 'hello there', label: 0, features: { text: 'hello there' } }, { id: 'u2', speaker: 'B', label: 1, features: { text: null } }] }],
  dev: [],
  test: [{ id: 'd2', utterances: [{ id: 'u3', speaker: 'A', label: 1, features: { text: 'go away now' } }] }],
  license: 'MIT',
  source: 'test',
});

let dir: string;
beforeAll(async () => {
  await useBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'emoje-sf-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('text as sentence vectors', () => {
  it('embedTextModality turns the text modality into a vector modality that names its encoder; missing text stays missing', async () => {
    const { dataset: out, stats } = await embedTextModality(dataset(), fakeEncoder(), { dir });
    expect(out.modalities).toEqual([{ name: 'text', kind: 'vector', dim: 3, encoder: 'fake@1' }]);
    expect(Array.from(out.train[0].utterances[0].features.text as Float32Array)).toEqual([11, 2, 1]);
    expect(out.train[0].utterances[1].features.text).toBeNull();
    expect(Array.from(out.test[0].utterances[0].features.text as Float32Array)).toEqual([11, 3, 1]);
    expect(stats).toMatchObject({ encoder: 'fake@1', texts: 2, hits: 0, misses: 2 });
    expect((await embedTextModality(dataset(), fakeEncoder(), { dir })).stats).toMatchObject({ hits: 2, misses: 0 });
  });

  it('a model refuses a dataset whose vectors come from another encoder', async () => {
    const model = createModel({ modalities: [{ name: 'text', kind: 'vector', dim: 3, encoder: 'use-lite-512@1' }], classes: ['a', 'b'], units: 8, contextUnits: 8, embeddingDim: 4 });
    try {
      const { dataset: other } = await embedTextModality(dataset(), fakeEncoder('fake@1'), { dir });
      const error = await datasetForModel(other, model.config.modalities, { dir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EmojeInputError);
      expect((error as Error).message).toBe(
        "dataset.modalities[0].encoder: expected vectors from the sentence encoder 'use-lite-512@1' (the model's 'text' modality was trained on them), received vectors from the sentence encoder 'fake@1'. Give the utterances' text instead, and it is embedded with 'use-lite-512@1'",
      );
      await expect(embedDialogueTexts([{ utterances: [{ speaker: 'A', text: 'hi' } as never] }], model.config.modalities, fakeEncoder('fake@1'))).rejects.toThrow(
        /encoder: expected the sentence encoder 'use-lite-512@1'/,
      );
    } finally {
      model.dispose();
    }
  });

  it('embedDialogueTexts fills the vector from text, keeps given vectors, names a bad text', async () => {
    const modalities = [{ name: 'text', kind: 'vector' as const, dim: 3, encoder: 'fake@1' }];
    const given = new Float32Array([9, 9, 9]);
    const [d] = await embedDialogueTexts([{ utterances: [{ speaker: 'A', text: 'a b c' } as never, { speaker: 'B', features: { text: given } }] }], modalities, fakeEncoder(), { dir: null });
    expect(Array.from(d.utterances[0].features.text as Float32Array)).toEqual([5, 3, 1]);
    expect(d.utterances[1].features.text).toBe(given);
    await expect(embedDialogueTexts([{ utterances: [{ speaker: 'A', text: 42 } as never] }], modalities, fakeEncoder(), { dir: null })).rejects.toThrow(
      'dialogues[0].utterances[0].text: expected a non-blank string (the utterance text), received number',
    );
  });

  it('loads encoders by id and lists the known ones otherwise', async () => {
    await expect(loadSentenceEncoder('nope@0')).rejects.toThrow("encoder: expected a known sentence encoder (use-lite-512@1), received \"nope@0\"");
  });
});
