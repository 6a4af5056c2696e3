import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmojeInputError } from '@emoje/core';
import { createEnsemble, createModel, type DialogueInput, type EmojeModel } from '@emoje/model';
import { useBackend } from '@emoje/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferencePool, saveModel } from './index';

const modalities = [
  { name: 'text', kind: 'vector' as const, dim: 6 },
  { name: 'audio', kind: 'vector' as const, dim: 4 },
];

/** Deterministic dialogues of 1-5 utterances, some modalities missing. */
function dialogues(n: number): DialogueInput[] {
  let s = 7;
  const next = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  return Array.from({ length: n }, (_, i) => ({
    id: `d${i}`,
    utterances: Array.from({ length: 1 + (i % 5) }, (_, j) => ({
      speaker: j % 2,
      features: {
        text: (i + j) % 3 === 2 ? null : Float32Array.from({ length: 6 }, next),
        audio: Float32Array.from({ length: 4 }, next),
      },
    })),
  }));
}

let root: string;
let model: EmojeModel;

beforeAll(async () => {
  await useBackend('wasm');
  root = await mkdtemp(join(tmpdir(), 'emoje-pool-'));
  model = createModel({ modalities, classes: ['neg', 'pos', 'neu'], units: 8, contextUnits: 8, embeddingDim: 4, numHeads: 2, acnLayers: 1, seed: 3 });
  await saveModel(model, root);
});

afterAll(async () => {
  model?.dispose();
  await rm(root, { recursive: true, force: true });
});

describe('createInferencePool', () => {
  it('serves a saved ensemble as it predicts in process', async () => {
    const config = { modalities, classes: ['neg', 'pos', 'neu'], units: 8, contextUnits: 8, embeddingDim: 4, numHeads: 2, acnLayers: 1 };
    const ensemble = createEnsemble([createModel({ ...config, seed: 4 }), createModel({ ...config, seed: 5 })]);
    const dir = join(root, 'ensemble');
    await saveModel(ensemble, dir);
    const data = dialogues(5);
    const expected = await ensemble.predictBatch(data);
    const pool = await createInferencePool({ modelDir: dir, workers: 1 });
    try {
      const got = await pool.predictBatch(data);
      got.forEach((dialogue, i) =>
        dialogue.forEach((p, j) => {
          expect(p.label).toBe(expected[i][j].label);
          expect(p.probabilities.pos).toBeCloseTo(expected[i][j].probabilities.pos, 5);
        }),
      );
    } finally {
      await pool.close();
      ensemble.dispose();
    }
  });

  it('gives the in-process predictions, in input order, and closes cleanly', async () => {
    const data = dialogues(23);
    const expected = await model.predictBatch(data);
    const pool = await createInferencePool({ modelDir: root, workers: 2, batchSize: 4 });
    try {
      expect(pool.workers).toBe(2);
      const got = await pool.predictBatch(data);
      expect(got).toHaveLength(data.length);
      got.forEach((dialogue, i) => {
        expect(dialogue).toHaveLength(expected[i].length);
        dialogue.forEach((p, j) => {
          const e = expected[i][j];
          expect(p.label).toBe(e.label);
          expect(p.missing).toEqual(e.missing);
          expect(p.imputed).toEqual(e.imputed);
          for (const k of Object.keys(e.probabilities)) expect(Math.abs(p.probabilities[k] - e.probabilities[k])).toBeLessThan(1e-5);
          for (const k of Object.keys(e.modalityWeights)) expect(Math.abs(p.modalityWeights[k] - e.modalityWeights[k])).toBeLessThan(1e-5);
        });
      });
      // A second call on the same pool, fewer dialogues than workers.
      const one = await pool.predictBatch([data[4]]);
      expect(one[0][0].probabilities.pos).toBeCloseTo(expected[4][0].probabilities.pos, 5);
    } finally {
      await pool.close();
      await pool.close();
    }
    await expect(pool.predictBatch(data)).rejects.toBeInstanceOf(EmojeInputError);
  });

  it('rethrows a worker error with the index of the dialogue at fault', async () => {
    const data = dialogues(9);
    data[6] = { utterances: [{ speaker: 0, features: { text: new Float32Array(3) } }] };
    const pool = await createInferencePool({ modelPath: root, workers: 2, batchSize: 2 });
    try {
      await expect(pool.predictBatch(data)).rejects.toThrow(/^dialogue 6: .*length 6/);
      expect((await pool.predictBatch(data.slice(0, 2))).length).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('fails to start on a folder without a model', async () => {
    await expect(createInferencePool({ modelDir: join(root, 'absent'), workers: 1 })).rejects.toThrow(/failed to start/);
    await expect(createInferencePool({} as never)).rejects.toBeInstanceOf(EmojeInputError);
  });
});
