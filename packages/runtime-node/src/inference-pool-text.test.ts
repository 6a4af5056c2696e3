import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, type DialogueInput } from '@emoje/model';
import { loadUseLite } from '@emoje/sentence-encoder/node';
import { useBackend } from '@emoje/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferencePool, embedDialogueTexts, saveModel } from './index';

describe('the inference pool with a model on sentence vectors', () => {
  let root: string;
  beforeAll(async () => {
    await useBackend('wasm');
    root = await mkdtemp(join(tmpdir(), 'emoje-pool-text-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("embeds plain text in the workers with the model's encoder and predicts as the model does in this thread", async () => {
    const model = createModel({
      modalities: [{ name: 'text', kind: 'vector', dim: 512, encoder: 'use-lite-512@1' }],
      classes: ['neutral', 'joy', 'anger'],
      units: 8,
      contextUnits: 8,
      embeddingDim: 4,
      numHeads: 2,
      acnLayers: 1,
      seed: 5,
    });
    await saveModel(model, root);
    const dialogues = [
      { utterances: [{ speaker: 'A', text: 'I am so happy for you!' }, { speaker: 'B', text: 'Get out of here.' }] },
      { utterances: [{ speaker: 'C', text: 'Fine.' }] },
    ] as unknown as DialogueInput[];
    const encoder = await loadUseLite();
    const expected = await model.predictBatch(await embedDialogueTexts(dialogues, model.config.modalities, encoder, { dir: null }));
    encoder.dispose();
    model.dispose();
    const pool = await createInferencePool({ modelDir: root, workers: 1, batchSize: 1 });
    try {
      const got = await pool.predictBatch(dialogues);
      expect(got.map((d) => d.map((u) => u.label))).toEqual(expected.map((d) => d.map((u) => u.label)));
      got.flat().forEach((u, i) => {
        for (const [c, p] of Object.entries(u.probabilities)) expect(p).toBeCloseTo(expected.flat()[i].probabilities[c], 5);
      });
      await expect(pool.predictBatch([{ utterances: [{ speaker: 'A', text: '' }] }] as unknown as DialogueInput[])).rejects.toThrow(/dialogue 0: dialogues\[0\]\.utterances\[0\]\.text: expected a non-blank string/);
    } finally {
      await pool.close();
    }
  });
});
