import { cp, mkdtemp, rm } from 'node:fs/promises';
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

  it('predictSettled gives every dialogue its own outcome, errors named by their index in the caller\'s array', async () => {
    const data = dialogues(9);
    data[1] = { utterances: [{ speaker: 0, features: { text: new Float32Array(3) } }] };
    data[6] = { utterances: [{ speaker: 0, features: { text: new Float32Array(2) } }] };
    const expected = await model.predictBatch(data.filter((_, i) => i !== 1 && i !== 6));
    const pool = await createInferencePool({ modelDir: root, workers: 2, batchSize: 4 });
    try {
      const outcomes = await pool.predictSettled(data);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      const rejected = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
      expect(rejected.map((e) => e.dialogueIndex)).toEqual([1, 6]);
      expect(rejected[0].message).toMatch(/^dialogue 1: .*length 6/);
      expect(rejected[1].message).toMatch(/^dialogue 6: .*length 6/);
      const fulfilled = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      fulfilled.forEach((dialogue, i) => expect(dialogue[0].probabilities.pos).toBeCloseTo(expected[i][0].probabilities.pos, 5));
      // predictBatch on the same input rejects with the first one, by its index in the caller's array.
      await expect(pool.predictBatch(data)).rejects.toMatchObject({ dialogueIndex: 1 });
    } finally {
      await pool.close();
    }
  });

  it('a worker that dies fails only its chunks in flight, is started again, and the pool keeps serving', async () => {
    const data = dialogues(6);
    data[0] = { ...data[0], id: 'boom' };
    const healthy = dialogues(6).slice(1);
    const expected = await model.predictBatch(healthy);
    const pool = await createInferencePool({ modelDir: root, workers: 1, batchSize: 2, exitOnDialogueId: 'boom' });
    try {
      // One worker, two chunks in flight: chunk 0 (with 'boom') and chunk 1 die with it; chunk 2 runs on the new worker.
      const outcomes = await pool.predictSettled(data);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
      const first = outcomes[0] as { reason: Error & { dialogueIndex: number } };
      expect(first.reason.message).toBe('dialogue 0: inference worker exited with code 70 while predicting dialogues 0-1');
      expect(first.reason.name).toBe('InferenceWorkerExitError');
      expect((outcomes[3] as { reason: Error & { dialogueIndex: number } }).reason.dialogueIndex).toBe(3);
      // Later calls are served (before: every call rejected with 'inference worker exited with code 1', forever).
      const again = await pool.predictBatch(healthy);
      again.forEach((dialogue, i) => expect(dialogue[0].probabilities.pos).toBeCloseTo(expected[i][0].probabilities.pos, 5));
      await expect(pool.predictBatch(data)).rejects.toThrow(/^dialogue 0: inference worker exited with code 70/);
      expect((await pool.predictBatch(healthy)).length).toBe(healthy.length);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('gives up a worker after maxRespawns failed restarts in a row, and says so per dialogue', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emoje-pool-copy-'));
    for (const file of ['model.json', 'weights.bin']) await cp(join(root, file), join(dir, file));
    const data = dialogues(3);
    data[0] = { ...data[0], id: 'boom' };
    const pool = await createInferencePool({ modelDir: dir, workers: 1, batchSize: 1, maxRespawns: 2, exitOnDialogueId: 'boom' });
    try {
      await rm(dir, { recursive: true, force: true }); // every restart now fails to load the model
      const outcomes = await pool.predictSettled(data);
      expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
      expect((outcomes[2] as { reason: Error }).reason.message).toBe('dialogue 2: no inference worker left (each died or failed to restart 3 times in a row)');
      await expect(pool.predictBatch(data.slice(1))).rejects.toThrow(/^dialogue 0: no inference worker left/);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('fails to start on a folder without a model', async () => {
    await expect(createInferencePool({ modelDir: join(root, 'absent'), workers: 1 })).rejects.toThrow(/failed to start/);
    await expect(createInferencePool({} as never)).rejects.toBeInstanceOf(EmojeInputError);
  });
});
