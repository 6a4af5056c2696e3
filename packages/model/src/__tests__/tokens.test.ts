import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { Vocabulary } from '@emoje/encoders';
import { leakedTensors, useBackend } from '@emoje/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHandler } from './fixtures';
import { collate, createModel, disposeBatch, loadModel, train, type DialogueInput, type EmojeModel, type ModelConfig } from '../index';

const TEXTS = [
  ['i love this so much', 'what a wonderful day', 'great news everyone'],
  ['i hate this', 'this is terrible news', 'go away now'],
];
const vocabulary = Vocabulary.build(TEXTS.flat());

function config(extra: Partial<ModelConfig> = {}): ModelConfig {
  return {
    modalities: [
      { name: 'text', kind: 'tokens', vocabulary: [...vocabulary.tokens], embeddingDim: 8, maxTokens: 6, trainableEmbeddings: true },
      { name: 'audio', kind: 'vector', dim: 4 },
    ],
    classes: ['negative', 'positive'],
    units: 16,
    numHeads: 2,
    embeddingDim: 8,
    contextUnits: 16,
    dropout: 0,
    inputNoise: 0,
    inputDropout: 0,
    seed: 3,
    ...extra,
  };
}

/** Dialogues whose label follows the words; audio is noise. */
function dialogues(): DialogueInput[] {
  return [0, 1, 2, 3].map((d) => ({
    utterances: TEXTS[d % 2].map((text, i) => ({
      speaker: i % 2,
      label: d % 2 === 0 ? 1 : 0,
      features: { text, audio: Float32Array.from({ length: 4 }, (_, k) => Math.sin(d * 7 + i * 3 + k)) },
    })),
  }));
}


describe('text modality read through a vocabulary (wasm)', () => {
  let model: EmojeModel;
  beforeAll(async () => {
    await useBackend('wasm');
    model = createModel(config());
  });
  afterAll(() => model.dispose());

  it('collates texts into int32 token ids cut to maxTokens, padding 0 where missing', () => {
    const ds = dialogues().slice(0, 1);
    ds[0].utterances[1].features.text = null;
    ds[0].utterances[2].features.text = 'great news everyone and then some more words';
    const batch = collate(ds, model.config.modalities);
    expect(batch.features[0].dtype).toBe('int32');
    expect(batch.features[0].shape).toEqual([1, 3, 6]);
    const ids = batch.features[0].arraySync() as number[][][];
    expect(ids[0][0]).toEqual([...Array.from(vocabulary.encode('i love this so much')), 0]);
    expect(ids[0][1]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(ids[0][2].slice(0, 3)).toEqual(Array.from(vocabulary.encode('great news everyone')));
    expect(ids[0][2][4]).toBe(Vocabulary.UNK);
    expect(Array.from(batch.availability.dataSync())).toEqual([1, 1, 0, 1, 1, 1]);
    disposeBatch(batch);
  });

  it('predicts from raw text, with or without the other modality', async () => {
    const out = await model.predict({ utterances: [{ speaker: 'a', features: { text: 'What a day!' } }, { speaker: 'b', features: { text: 'go away', audio: [0, 1, 0, 1] } }] });
    expect(out[0].missing).toEqual(['audio']);
    expect(out[0].probabilities.negative + out[0].probabilities.positive).toBeCloseTo(1, 5);
    expect(out[1].missing).toEqual([]);
  });

  it('the ids in a missing text slot change no output', async () => {
    const base = dialogues()[0];
    base.utterances[1].features.text = null;
    const reference = await model.predict(base);
    const batchA = collate([base], model.config.modalities);
    const ids = batchA.features[0].arraySync() as number[][][];
    ids[0][1] = ids[0][1].map((_, k) => 1 + ((k * 5) % (vocabulary.size - 1)));
    const tampered = { ...batchA, features: [tf.tensor3d(ids, undefined, 'int32'), batchA.features[1]] };
    const [p] = tf.tidy(() => [tf.softmax(model.network.forward(tampered, false).logits)]);
    const probs = p.arraySync() as number[][][];
    reference.forEach((r, j) => expect(probs[0][j][1]).toBeCloseTo(r.probabilities.positive, 5));
    tf.dispose([p, tampered.features[0]]);
    disposeBatch(batchA);
  });

  it('rejects empty texts, bad token ids and a vector given for the text, naming the field', async () => {
    const bad = async (features: Record<string, unknown>) => {
      try {
        await model.predict({ utterances: [{ speaker: 'a', features: features as never }] });
      } catch (error) {
        return error instanceof EmojeInputError ? error.field : String(error);
      }
      return 'no error';
    };
    expect(await bad({ text: '   ' })).toBe('dialogue.utterances[0].features.text');
    expect(await bad({ text: [3, 99999] })).toBe('dialogue.utterances[0].features.text[1]');
    expect(await bad({ text: [] })).toBe('dialogue.utterances[0].features.text');
    expect(await bad({ audio: 'loud' })).toBe('dialogue.utterances[0].features.audio');
  });

  it('saves the vocabulary with the weights: a reloaded model reads text and predicts the same', async () => {
    const handler = memoryHandler();
    await model.save(handler);
    const copy = await loadModel(handler);
    const dialogue = dialogues()[1];
    const [a, b] = await Promise.all([model.predict(dialogue), copy.predict(dialogue)]);
    a.forEach((p, i) => expect(b[i].probabilities.positive).toBeCloseTo(p.probabilities.positive, 6));
    expect(copy.config.modalities[0]).toEqual(model.config.modalities[0]);
    copy.dispose();
  });

  it('word vectors can be set, and a wrong table is refused', () => {
    const table = new Float32Array(vocabulary.size * 8).fill(0.5);
    model.network.setWordVectors('text', table);
    const embeddings = model.network.weights.find((w) => /embeddings/.test(w.name))!;
    expect(embeddings.read().dataSync()[8]).toBe(0.5);
    expect(() => model.network.setWordVectors('audio', table)).toThrow(/modality/);
    expect(() => model.network.setWordVectors('text', new Float32Array(3))).toThrow(/embeddings/);
  });

  it('prediction and a training step leak no tensors', async () => {
    const ds = dialogues();
    expect(await leakedTensors(() => model.predict(ds[0]))).toBe(0);
    const before = tf.memory().numTensors;
    await train(model, { train: ds }, { epochs: 1, batchSize: 2, modalityDropout: false });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('learns words: a handful of text-only dialogues is fitted', async () => {
    const fresh = createModel(config({ modalities: [{ name: 'text', kind: 'tokens', vocabulary: [...vocabulary.tokens], embeddingDim: 8, maxTokens: 6, trainableEmbeddings: true }] }));
    const ds = dialogues().map((d) => ({ utterances: d.utterances.map((u) => ({ ...u, features: { text: u.features.text } })) }));
    const result = await train(fresh, { train: ds }, { epochs: 40, batchSize: 4, learningRate: 5e-3, modalityDropout: false });
    expect(result.history.at(-1)!.loss).toBeLessThan(result.history[0].loss);
    const predictions = await fresh.predictBatch(ds);
    const correct = predictions.flat().filter((p, i) => p.labelIndex === ds.flatMap((d) => d.utterances)[i].label).length;
    expect(correct).toBe(12);
    fresh.dispose();
  });

  it('config errors name the field', () => {
    const at = (modality: Record<string, unknown>) => {
      try {
        createModel({ ...config(), modalities: [modality as never] });
      } catch (error) {
        return (error as EmojeInputError).field;
      }
      return 'no error';
    };
    expect(at({ name: 'text', kind: 'tokens', vocabulary: ['a', 'b', 'c'] })).toBe('config.modalities[0].vocabulary');
    expect(at({ name: 'text', kind: 'tokens', vocabulary: [...vocabulary.tokens], maxTokens: 0 })).toBe('config.modalities[0].maxTokens');
    expect(at({ name: 'text', kind: 'tokens', vocabulary: [...vocabulary.tokens], crossAttention: 'all' })).toBe('config.modalities[0].crossAttention');
    expect(at({ name: 'text', kind: 'words' })).toBe('config.modalities[0].kind');
  });
});
