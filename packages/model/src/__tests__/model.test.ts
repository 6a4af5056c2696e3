import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { expectClose, leakedTensors, useBackend } from '@emoje/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allScenarios, collate, createModel, disposeBatch, loadModel, type EmojeModel } from '../index';
import { MODALITIES, TINY_CONFIG, memoryHandler, syntheticDialogues } from './fixtures';


describe.each([
  ['the default blocks', TINY_CONFIG],
  ['a dialogue context per modality before the fusion', { ...TINY_CONFIG, blocks: { modalityContext: true } }],
])('assembled model (wasm) with %s', (_name, config) => {
  let model: EmojeModel;
  beforeAll(async () => {
    await useBackend('wasm');
    model = createModel(config);
  });
  afterAll(() => model.dispose());

  it('collate pads dialogues, maps speakers per dialogue and marks availability', () => {
    const dialogues = syntheticDialogues(2, 1, 4);
    dialogues[0].utterances[1].features.audio = null;
    const batch = collate(dialogues, MODALITIES);
    expect(batch.features[0].shape).toEqual([2, 4, 6]);
    expect(batch.availability.shape).toEqual([2, 4, 3]);
    expect(Array.from(batch.utteranceMask.dataSync())).toEqual([1, 1, 1, 1, 1, 1, 1, 0]);
    expect(Array.from(batch.speakers.dataSync())).toEqual([0, 1, 0, 1, 0, 1, 0, 0]);
    expect(Array.from(batch.availability.dataSync()).slice(3, 6)).toEqual([1, 0, 1]);
    expect(batch.host.labels[7]).toBe(-1);
    disposeBatch(batch);
  });

  it('scenarios are the 7 non-empty subsets in the usual order', () => {
    expect(allScenarios(MODALITIES).map((s) => s.name)).toEqual(['T', 'A', 'V', 'TA', 'TV', 'AV', 'TAV']);
  });

  it('predicts per utterance: label, probabilities, modality weights, imputed modalities', async () => {
    const dialogue = syntheticDialogues(1, 2, 3)[0];
    dialogue.utterances[0].features.visual = null;
    const out = await model.predict(dialogue);
    expect(out).toHaveLength(3);
    const first = out[0];
    expect(Object.keys(first.probabilities)).toEqual(['negative', 'positive']);
    expect(first.probabilities.negative + first.probabilities.positive).toBeCloseTo(1, 5);
    expect(first.missing).toEqual(['visual']);
    expect(first.imputed).toEqual(['visual']);
    const w = first.modalityWeights;
    expect(w.text + w.audio + w.visual).toBeCloseTo(1, 5);
    expect(out[1].missing).toEqual([]);
    expect(out[1].imputed).toEqual([]);
  });

  it('a missing modality slot holding random values or NaN changes no output', () => {
    const dialogues = syntheticDialogues(2, 4, 4);
    const drop = (_d: number, u: number, present: boolean[]) => present.map((p, k) => p && !(k === 1 && u % 2 === 0));
    const clean = collate(dialogues, MODALITIES, drop);
    const run = (features: tf.Tensor[]) =>
      tf.tidy(() => {
        const out = model.network.forward({ ...clean, features }, false);
        return [tf.softmax(out.logits), out.modalityWeights, out.imputed];
      });
    const reference = run(clean.features);
    const avail = tf.unstack(clean.availability, 2);
    for (const fill of ['random', 'nan'] as const) {
      const dirty = clean.features.map((f, k) =>
        tf.tidy(() => {
          const garbage = fill === 'nan' ? tf.fill(f.shape, NaN) : tf.randomNormal(f.shape, 0, 100, 'float32', 5);
          return tf.where(tf.greater(tf.expandDims(avail[k], -1), 0), f, garbage) as tf.Tensor3D;
        }),
      );
      const out = run(dirty);
      out.forEach((t, i) => expectClose(t, reference[i], 1e-6));
      tf.dispose([...dirty, ...out]);
    }
    tf.dispose([...reference, ...avail]);
    disposeBatch(clean);
  });

  it('saved and reloaded, it predicts the same', async () => {
    const handler = memoryHandler();
    await model.save(handler);
    const loaded = await loadModel(handler);
    const dialogue = syntheticDialogues(1, 5, 4)[0];
    const [a, b] = [await model.predict(dialogue), await loaded.predict(dialogue)];
    a.forEach((u, i) => {
      expect(b[i].label).toBe(u.label);
      expect(b[i].probabilities.positive).toBeCloseTo(u.probabilities.positive, 6);
    });
    expect(loaded.countParams()).toBe(model.countParams());
    loaded.dispose();
  });

  it('prediction leaks no tensors', async () => {
    const dialogue = syntheticDialogues(1, 6, 4)[0];
    expect(await leakedTensors(() => model.predict(dialogue))).toBe(0);
  });

  it('bad inputs get a clear error naming the field', async () => {
    const good = syntheticDialogues(1, 7, 2)[0];
    const variant = (edit: (d: typeof good) => void) => {
      const copy = structuredClone(good);
      edit(copy);
      return copy;
    };
    const cases: [string, typeof good | { utterances: never[] }][] = [
      ['dialogue.utterances[0].features.audio', variant((d) => (d.utterances[0].features.audio = new Float32Array(3)))],
      ['dialogue.utterances[1].features.face', variant((d) => (d.utterances[1].features.face = new Float32Array(3)))],
      ['dialogue.utterances', { utterances: [] }],
      ['dialogue.utterances', variant((d) => (d.utterances = Array.from({ length: 300 }, () => d.utterances[0])))],
      ['dialogue.utterances[1].features.text[2]', variant((d) => ((d.utterances[1].features.text as Float32Array)[2] = NaN))],
      ['dialogue.utterances[0].label', variant((d) => (d.utterances[0].label = 5))],
    ];
    for (const [field, dialogue] of cases) {
      const error = await model.predict(dialogue as typeof good).then(() => null, (e: unknown) => e);
      expect(error, field).toBeInstanceOf(EmojeInputError);
      expect((error as EmojeInputError).field).toBe(field);
    }
    expect(() => createModel({ ...TINY_CONFIG, units: 15 })).toThrow(/config.numHeads/);
    expect(() => createModel({ ...TINY_CONFIG, maxUtterances: 0 })).toThrow(/config.maxUtterances/);
  });

  it('an utterance with no modality gets a "no usable modality" result; the rest of the dialogue is still predicted (issue 19, item 9)', async () => {
    const dialogue = syntheticDialogues(1, 5, 5)[0];
    const alone = await model.predict(structuredClone(dialogue));
    const edited = structuredClone(dialogue);
    edited.utterances[2].features = { text: null, audio: null, visual: null };
    const out = await model.predict(edited);
    expect(out.map((p) => p.status)).toEqual(['predicted', 'predicted', 'no-usable-modality', 'predicted', 'predicted']);
    expect(out[2]).toMatchObject({ label: null, labelIndex: -1, probabilities: {} });
    expect(out[2].missing.length).toBe(model.config.modalities.length);
    for (const p of out) if (p.status === 'predicted') expect(Object.values(p.probabilities).every(Number.isFinite)).toBe(true);
    // Without the unusable utterance, the others are the prediction of the dialogue that lacks it.
    const without = await model.predict({ ...dialogue, utterances: dialogue.utterances.filter((_, i) => i !== 2) });
    expect(out.filter((p) => p.status === 'predicted').map((p) => p.labelIndex)).toEqual(without.map((p) => p.labelIndex));
    expect(alone).toHaveLength(5);
    const none = structuredClone(dialogue);
    none.utterances.forEach((u) => (u.features = { text: null, audio: null, visual: null }));
    expect((await model.predict(none)).every((p) => p.status === 'no-usable-modality')).toBe(true);
    expect(await leakedTensors(() => model.predict(edited))).toBe(0);
    expect(() => createModel({ ...TINY_CONFIG, modalities: [] })).toThrow(/config.modalities/);
  });
});
