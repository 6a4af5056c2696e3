import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@emoje/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collate, createModel, disposeBatch, scenarioPolicy, type Batch, type DialogueInput, type EmojeModel, type ModelConfig } from '../index';
import { TINY_CONFIG, syntheticDialogues } from './fixtures';

/** Ragged dialogues (5, 4, 3, 5 utterances) with some modalities missing, so the batch has padding and gaps. */
function raggedDialogues(): DialogueInput[] {
  const dialogues = syntheticDialogues(4, 7);
  dialogues[0].utterances[1].features.audio = null;
  dialogues[1].utterances[0].features.text = null;
  dialogues[1].utterances[0].features.visual = null;
  dialogues[2].utterances[2].features.visual = null;
  return dialogues;
}

/** What `forward(batch, false)` gives for the outputs a prediction reads, as plain arrays; its tensors are disposed. */
function forwardReference(model: EmojeModel, batch: Batch): { logits: Float32Array; probabilities: Float32Array; weights: Float32Array; imputed: Float32Array } {
  const out = model.network.forward(batch, false);
  try {
    const probabilities = tf.tidy(() => tf.softmax(out.logits));
    const values = {
      logits: out.logits.dataSync() as Float32Array,
      probabilities: probabilities.dataSync() as Float32Array,
      weights: out.modalityWeights.dataSync() as Float32Array,
      imputed: out.imputed.dataSync() as Float32Array,
    };
    probabilities.dispose();
    return values;
  } finally {
    tf.dispose(Object.values(out).filter((t): t is tf.Tensor => t instanceof tf.Tensor));
  }
}

describe.each<[string, ModelConfig]>([
  ['the default blocks', TINY_CONFIG],
  ['no joint embedding and no fusion', { ...TINY_CONFIG, blocks: { jointEmbedding: false, queryAdaptiveFusion: false } }],
  ['a dialogue context per modality', { ...TINY_CONFIG, blocks: { modalityContext: true } }],
])('the inference path (wasm) with %s', (_name, config) => {
  let model: EmojeModel;
  beforeAll(async () => {
    await useBackend('wasm');
    model = createModel(config);
  });
  afterAll(() => model.dispose());

  it('infer gives exactly the logits, modality weights and imputation flags of forward(batch, false)', () => {
    const batch = collate(raggedDialogues(), model.config.modalities);
    try {
      expect(batch.availabilityMasked).toBe(true);
      const reference = forwardReference(model, batch);
      const out = model.network.infer(batch);
      expect(Object.keys(out).sort()).toEqual(['imputed', 'logits', 'modalityWeights']);
      expect(out.logits.dataSync()).toEqual(reference.logits);
      expect(out.modalityWeights.dataSync()).toEqual(reference.weights);
      expect(out.imputed.dataSync()).toEqual(reference.imputed);
      // The batch's own tensors are not handed out (the caller disposes what infer returns).
      expect(Object.values(out)).not.toContain(batch.availability);
      tf.dispose(Object.values(out));
      expect(batch.availability.isDisposed).toBe(false);
    } finally {
      disposeBatch(batch);
    }
  });

  it('infer masks the padding of a batch built by hand (availability 1 on padded utterances)', () => {
    const dialogues = raggedDialogues();
    const batch = collate(dialogues, model.config.modalities);
    const { batchSize: b, maxUtterances: u } = batch.host;
    const m = model.config.modalities.length;
    // Padding marked present, and no availabilityMasked flag: the network must still multiply by the utterance mask.
    const loose: Batch = { ...batch, availability: tf.ones([b, u, m]) as tf.Tensor3D, availabilityMasked: undefined };
    try {
      const full = forwardReference(model, loose);
      const out = model.network.infer(loose);
      expect(out.logits.dataSync()).toEqual(full.logits);
      expect(out.modalityWeights.dataSync()).toEqual(full.weights);
      // Padded rows get modality weights 0 (they were masked), real rows sum to 1.
      const weights = out.modalityWeights.dataSync();
      const mask = batch.host.utteranceMask;
      for (let s = 0; s < b * u; s++) {
        const total = weights[s * m] + weights[s * m + 1] + weights[s * m + 2];
        if (mask[s] === 0) expect(total).toBe(0);
        else expect(total).toBeCloseTo(1, 5);
      }
      tf.dispose(Object.values(out));
    } finally {
      loose.availability.dispose();
      disposeBatch(batch);
    }
  });

  it('predictBatch reads back the same numbers as forward + softmax, slot by slot, on ragged dialogues', async () => {
    const dialogues = raggedDialogues();
    const batch = collate(dialogues, model.config.modalities);
    const reference = forwardReference(model, batch);
    const u = batch.host.maxUtterances;
    disposeBatch(batch);
    const m = model.config.modalities.length;
    const c = model.config.classes.length;
    const predictions = await model.predictBatch(dialogues);
    expect(predictions.map((d) => d.length)).toEqual(dialogues.map((d) => d.utterances.length));
    predictions.forEach((row, i) => row.forEach((p, j) => {
      const slot = i * u + j;
      expect(p.status).toBe('predicted');
      const probabilities = model.config.classes.map((name) => p.probabilities[name]);
      expect(probabilities).toEqual(Array.from(reference.probabilities.subarray(slot * c, slot * c + c)));
      const best = probabilities.indexOf(Math.max(...probabilities));
      expect(p.labelIndex).toBe(best);
      expect(p.label).toBe(model.config.classes[best]);
      expect(model.config.modalities.map((mod) => p.modalityWeights[mod.name])).toEqual(Array.from(reference.weights.subarray(slot * m, slot * m + m)));
      const missing = model.config.modalities.filter((mod) => dialogues[i].utterances[j].features[mod.name] == null).map((mod) => mod.name);
      expect(p.missing).toEqual(missing);
      const imputed = model.config.modalities.filter((_, k) => reference.imputed[slot * m + k] > 0.5).map((mod) => mod.name);
      expect(p.imputed).toEqual(imputed);
    }));
    // With the joint embedding, the utterances with a missing modality had it imputed.
    if (model.config.blocks.jointEmbedding) expect(predictions[0][1].imputed).toEqual(['audio']);
  });

  it('a decision bias is uploaded once, follows setDecisionBias, and is freed with the model', async () => {
    const dialogues = raggedDialogues();
    const batch = collate(dialogues, model.config.modalities);
    try {
      const plain = forwardReference(model, batch).logits;
      model.network.setDecisionBias([0.5, -0.25]);
      const biased = forwardReference(model, batch).logits;
      const start = tf.memory().numTensors;
      const again = forwardReference(model, batch).logits;
      // The bias tensor made by the first biased call is reused: no tensor more, none less.
      expect(tf.memory().numTensors).toBe(start);
      expect(again).toEqual(biased);
      for (let i = 0; i < plain.length; i += 2) {
        expect(biased[i]).toBeCloseTo(plain[i] + 0.5, 5);
        expect(biased[i + 1]).toBeCloseTo(plain[i + 1] - 0.25, 5);
      }
      model.network.setDecisionBias([-1, 1]);
      expect(tf.memory().numTensors).toBe(start - 1);
      const moved = forwardReference(model, batch).logits;
      expect(moved[0]).toBeCloseTo(plain[0] - 1, 5);
      expect(moved[1]).toBeCloseTo(plain[1] + 1, 5);
      model.network.setDecisionBias(null);
      expect(tf.memory().numTensors).toBe(start - 1);
      expect(forwardReference(model, batch).logits).toEqual(plain);
    } finally {
      model.network.setDecisionBias(null);
      disposeBatch(batch);
    }
  });

  it('prediction leaks no tensors, with and without a choice of modalities and a decision bias', async () => {
    const dialogues = raggedDialogues();
    model.network.setDecisionBias([0.1, 0.2]);
    try {
      await model.predictBatch(dialogues);
      const before = tf.memory().numTensors;
      await model.predictBatch(dialogues);
      await model.predict(dialogues[1]);
      await model.predictBatch(dialogues, { modalities: ['text', 'audio', 'visual'] });
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      model.network.setDecisionBias(null);
    }
  });

  it('a choice of modalities predicts what forward gives on the batch of that scenario', async () => {
    const dialogues = syntheticDialogues(2, 9);
    const keep = ['text', 'visual'];
    const batch = collate(dialogues, model.config.modalities, scenarioPolicy(model.config.modalities, keep));
    const reference = forwardReference(model, batch);
    const u = batch.host.maxUtterances;
    disposeBatch(batch);
    const predictions = await model.predictBatch(dialogues, { modalities: keep });
    const c = model.config.classes.length;
    predictions.forEach((row, i) => row.forEach((p, j) => {
      const slot = i * u + j;
      expect(model.config.classes.map((name) => p.probabilities[name])).toEqual(Array.from(reference.probabilities.subarray(slot * c, slot * c + c)));
      expect(p.missing).toEqual(['audio']);
    }));
  });
});

describe('disposing a model with a decision bias (wasm)', () => {
  it('frees the uploaded bias', async () => {
    await useBackend('wasm');
    const start = tf.memory().numTensors;
    const model = createModel(TINY_CONFIG);
    model.network.setDecisionBias([0.3, -0.3]);
    await model.predict(syntheticDialogues(1, 2)[0]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('one vector modality (wasm)', () => {
  it('trains and predicts: its availability column is an Unpack of size 1, which no gradient runs through', async () => {
    await useBackend('wasm');
    const model = createModel({ ...TINY_CONFIG, modalities: [{ name: 'text', kind: 'vector', dim: 6 }] });
    const dialogues = syntheticDialogues(3, 4).map((d) => ({ ...d, utterances: d.utterances.map((u) => ({ ...u, features: { text: u.features.text } })) }));
    const batch = collate(dialogues, model.config.modalities);
    try {
      const variables = model.network.weights.filter((w) => w.trainable).map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => model.network.losses(model.network.forward(batch, true), batch).total, variables);
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      const norms = Object.values(grads).map((g) => tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0]));
      expect(norms.every(Number.isFinite)).toBe(true);
      expect(norms.some((n) => n > 0)).toBe(true);
      tf.dispose([value, ...Object.values(grads)]);
      const predictions = await model.predictBatch(dialogues);
      expect(predictions.flat().every((p) => p.status === 'predicted' && p.modalityWeights.text === 1)).toBe(true);
    } finally {
      disposeBatch(batch);
      model.dispose();
    }
  });
});
