import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { Vocabulary } from '@emoje/encoders';
import { expectClose, expectFinite, leakedTensors, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  collate,
  createModel,
  crossModalInstanceLoss,
  disposeBatch,
  guidedContrastiveLoss,
  loadModel,
  memoryCheckpointStore,
  resolveModelConfig,
  train,
  type DialogueInput,
  type EmojeModel,
  type ModelConfig,
} from '../index';
import { MODALITIES, TINY_CONFIG, memoryHandler, syntheticDialogues } from './fixtures';

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EmojeInputError);
    return (error as EmojeInputError).field;
  }
  throw new Error('expected an EmojeInputError');
}

function probabilities(model: EmojeModel, dialogues: DialogueInput[]): tf.Tensor {
  const batch = collate(dialogues, model.config.modalities);
  const p = tf.tidy(() => tf.softmax(model.network.forward(batch, false).logits));
  disposeBatch(batch);
  return p;
}

const OPTIONS: Partial<ModelConfig> = { compensation: 'substitute', aceMode: 'instance', lossWeights: { ace: 0.5, joint: 0.5, reconstruction: 0.5, auxiliary: 0.5 } };

describe('the paper options: compensation and cross-modal NCE (wasm)', () => {
  beforeAll(() => useBackend('wasm'));

  it('resolves the defaults unchanged and the authors’ temperature for the instance NCE; bad values name the field', () => {
    const plain = resolveModelConfig(TINY_CONFIG);
    expect([plain.aceMode, plain.aceTemperature, plain.compensation]).toEqual(['guided', 0.1, 'decoder']);
    const instance = resolveModelConfig({ ...TINY_CONFIG, aceMode: 'instance' });
    expect(instance.aceTemperature).toBe(0.07);
    expect(resolveModelConfig({ ...TINY_CONFIG, aceMode: 'instance', aceTemperature: 0.2 }).aceTemperature).toBe(0.2);
    expect(fieldOf(() => resolveModelConfig({ ...TINY_CONFIG, aceMode: 'supervised' as never }))).toBe('config.aceMode');
    expect(fieldOf(() => resolveModelConfig({ ...TINY_CONFIG, compensation: 'mean' as never }))).toBe('config.compensation');
  });

  it('the instance NCE uses only same-utterance positives: it is the guided NCE without labels, and differs from it with labels', () => {
    const descriptors = tf.randomNormal([2, 3, 3, 8], 0, 1, 'float32', 4);
    const availability = tf.tensor3d([[[1, 1, 1], [1, 0, 1], [0, 0, 0]], [[1, 1, 0], [1, 1, 1], [0, 1, 1]]]);
    const labels = tf.tensor2d([[1, 0, -1], [1, 1, 0]], [2, 3], 'int32');
    const unlabeled = tf.fill([2, 3], -1, 'int32');
    const host = { availability: availability.dataSync(), labels: labels.dataSync() };
    const instance = crossModalInstanceLoss(descriptors, availability, 0.07);
    const instanceHost = crossModalInstanceLoss(descriptors, availability, 0.07, host);
    const reference = guidedContrastiveLoss(descriptors, availability, unlabeled, 0.07);
    const guided = guidedContrastiveLoss(descriptors, availability, labels, 0.07, host);
    expectClose(instance, reference, 1e-5);
    expectClose(instanceHost, reference, 1e-5);
    expect(Math.abs(guided.dataSync()[0] - instance.dataSync()[0])).toBeGreaterThan(1e-3);
    tf.dispose([descriptors, availability, labels, unlabeled, instance, instanceHost, reference, guided]);
  });

  it('a model with the options trains, saves and loads with the same config and predictions', async () => {
    const dialogues = syntheticDialogues(4, 21, 4);
    const model = createModel({ ...TINY_CONFIG, ...OPTIONS });
    await train(model, { train: dialogues }, { epochs: 2, batchSize: 2, seed: 3 });
    expect(model.network.weights.some((w) => w.name.includes('back_projection'))).toBe(true);
    expect(model.network.weights.some((w) => w.name.includes('decoder_'))).toBe(false);
    const handler = memoryHandler();
    await model.save(handler);
    const loaded = await loadModel(handler);
    expect([loaded.config.compensation, loaded.config.aceMode, loaded.config.aceTemperature]).toEqual(['substitute', 'instance', 0.07]);
    const [a, b] = [model, loaded].map((m) => probabilities(m, dialogues));
    expectClose(b, a, 1e-6);
    tf.dispose([a, b]);
    model.dispose();
    loaded.dispose();
  });

  it('a run with the options resumed from its checkpoint ends where an uninterrupted run does; a decoder model refuses that checkpoint', async () => {
    const dialogues = syntheticDialogues(6, 23, 4);
    const dev = syntheticDialogues(2, 24, 4);
    const options = { epochs: 3, batchSize: 2, seed: 5, patience: 10 };
    const config = { ...TINY_CONFIG, ...OPTIONS };
    const straight = createModel(config);
    const full = await train(straight, { train: dialogues, dev }, options);
    const store = memoryCheckpointStore();
    const first = createModel(config);
    await train(first, { train: dialogues, dev }, { ...options, checkpoint: store, maxEpochsThisRun: 2 });
    first.dispose();
    const resumed = createModel({ ...config, seed: 77 });
    const rest = await train(resumed, { train: dialogues, dev }, { ...options, checkpoint: store, resume: true });
    expect(rest.epochs).toBe(3);
    expect(rest.history.map((h) => h.loss)).toEqual(full.history.map((h) => h.loss));
    const [a, b] = [straight, resumed].map((m) => probabilities(m, dev));
    expectClose(b, a, 1e-6);
    const decoder = createModel({ ...config, compensation: 'decoder' });
    await expect(train(decoder, { train: dialogues, dev }, { ...options, checkpoint: store, resume: true })).rejects.toThrow(/checkpoint/);
    tf.dispose([a, b]);
    [straight, resumed, decoder].forEach((m) => m.dispose());
  });

  it('each option changes what the model learns (the same seed without it ends elsewhere)', async () => {
    const dialogues = syntheticDialogues(4, 25, 4);
    const run = async (extra: Partial<ModelConfig>) => {
      const m = createModel({ ...TINY_CONFIG, lossWeights: OPTIONS.lossWeights, ...extra });
      await train(m, { train: dialogues }, { epochs: 2, batchSize: 2, seed: 3 });
      const p = probabilities(m, dialogues).dataSync();
      m.dispose();
      return Array.from(p);
    };
    const base = await run({});
    for (const extra of [{ aceMode: 'instance' as const }, { compensation: 'substitute' as const }]) {
      const other = await run(extra);
      expect(Math.max(...other.map((v, i) => Math.abs(v - base[i])))).toBeGreaterThan(1e-4);
    }
  });
});

const WORDS = ['i loved this movie', 'the plot was great fun', 'i hated the boring plot', 'what a terrible waste of time', 'fine'];
const vocabulary = Vocabulary.build(WORDS);

/** MOSI-like: text as word tokens (cross-attention over the tokens), audio and visual one vector each. */
function tokenConfig(): ModelConfig {
  return {
    ...TINY_CONFIG,
    modalities: [
      { name: 'text', kind: 'tokens', vocabulary: [...vocabulary.tokens], embeddingDim: 8, maxTokens: 6, crossAttention: 'tokens' },
      MODALITIES[1],
      MODALITIES[2],
    ],
  };
}

function tokenDialogues(): DialogueInput[] {
  const base = syntheticDialogues(2, 31, 5);
  return base.map((d, i) => ({
    ...d,
    utterances: d.utterances.map((u, j) => ({
      ...u,
      features: {
        // Missing modalities: text of utterance 1, audio of utterance 2, visual of utterance 3 (and of 2 in dialogue 1).
        text: j === 1 ? null : WORDS[(i + j) % WORDS.length],
        audio: j === 2 ? null : u.features.audio,
        visual: j === 3 || (i === 1 && j === 2) ? null : u.features.visual,
      },
    })),
  }));
}

describe('MOSI-like text as word tokens through the ACN (wasm)', () => {
  beforeAll(() => useBackend('wasm'));

  it('is masking-invariant: NaN in missing slots and any ids behind a missing text change no output', async () => {
    const model = createModel(tokenConfig());
    const dialogues = tokenDialogues();
    await train(model, { train: dialogues }, { epochs: 1, batchSize: 2, seed: 2 });
    const clean = collate(dialogues, model.config.modalities);
    const reference = model.network.forward(clean, false);
    // Garbage where the modality is missing: NaN features, and token ids behind a missing text.
    const dirty = collate(dialogues, model.config.modalities);
    const corrupt = (t: tf.Tensor, k: number, fill: number) =>
      tf.tidy(() => {
        const present = tf.slice(dirty.availability, [0, 0, k], [-1, -1, 1]);
        const keep = tf.greater(tf.broadcastTo(present, t.shape), 0);
        return tf.where(keep, t, tf.fill(t.shape, fill, t.dtype));
      });
    const features = [corrupt(dirty.features[0], 0, 3), corrupt(dirty.features[1], 1, Number.NaN), corrupt(dirty.features[2], 2, Number.NaN)] as tf.Tensor3D[];
    tf.dispose(dirty.features);
    const out = model.network.forward({ ...dirty, features }, false);
    for (const key of ['logits', 'descriptors', 'modalityWeights'] as const) {
      expectFinite(out[key]);
      expectClose(out[key], reference[key], 1e-5);
    }
    tf.dispose([...Object.values(out), ...Object.values(reference)].filter((t): t is tf.Tensor => t instanceof tf.Tensor));
    disposeBatch({ ...dirty, features });
    disposeBatch(clean);
    model.dispose();
  });

  it("audio and visual attend over a dialogue's words: weights sum to one over the real tokens only, zero on padding and where either is missing", () => {
    const model = createModel(tokenConfig());
    const dialogues = tokenDialogues();
    const batch = collate(dialogues, model.config.modalities);
    const attention = model.network.crossAttentionWeights(batch);
    // acnLayers 1: queries text, audio, visual, each over the two others.
    expect(attention.map((a) => [a.layer, a.query, a.key])).toEqual([[0, 0, 1], [0, 0, 2], [0, 1, 0], [0, 1, 2], [0, 2, 0], [0, 2, 1]]);
    const ids = batch.features[0].arraySync() as number[][][];
    const available = (batch.availability.arraySync() as number[][][]).map((d, b) => d.map((row, u) => row.map((v) => v * batch.host.utteranceMask[b * ids[0].length + u])));
    let checked = 0;
    for (const { query, weights } of attention.filter((a) => a.key === 0)) {
      const w = weights.arraySync() as number[][][][][];
      expect(weights.shape.slice(3)).toEqual([1, ids[0][0].length]);
      w.forEach((dialogue, b) =>
        dialogue.forEach((heads, u) => {
          const both = available[b][u][query] > 0 && available[b][u][0] > 0;
          for (const [row] of heads) {
            const real = row.filter((_, s) => ids[b][u][s] !== 0).reduce((x, y) => x + y, 0);
            const padded = row.filter((_, s) => ids[b][u][s] === 0);
            expect(padded.every((x) => x === 0)).toBe(true);
            if (both) {
              expect(real).toBeCloseTo(1, 5);
              checked += 1;
            } else {
              expect(real).toBe(0);
            }
          }
        }),
      );
    }
    // Some utterances are shorter than the longest one, so some rows have padding to skip.
    expect(ids.flat().some((row) => row.includes(0) && row.some((x) => x !== 0))).toBe(true);
    expect(checked).toBeGreaterThan(8);
    tf.dispose(attention.map((a) => a.weights));
    disposeBatch(batch);
    model.dispose();
  });

  it('crossAttentionWeights leaks no tensor', async () => {
    const model = createModel(tokenConfig());
    const batch = collate(tokenDialogues(), model.config.modalities);
    expect(await leakedTensors(() => model.network.crossAttentionWeights(batch).map((a) => a.weights))).toBe(0);
    disposeBatch(batch);
    model.dispose();
  });
});
