import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { leakedTensors, useBackend } from '@emoje/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHandler } from './fixtures';
import { collate, createModel, disposeBatch, loadModel, resolveModelConfig, train, type DialogueInput, type EmojeModel, type ModelConfig } from '../index';

const DIM = 3;

function config(extra: Partial<ModelConfig> = {}): ModelConfig {
  return {
    modalities: [
      { name: 'audio', kind: 'frames', dim: DIM, maxFrames: 8, kernelSize: 3 },
      { name: 'text', kind: 'vector', dim: 4 },
    ],
    classes: ['low', 'high'],
    units: 16,
    numHeads: 2,
    embeddingDim: 8,
    contextUnits: 16,
    dropout: 0,
    inputNoise: 0,
    inputDropout: 0,
    seed: 5,
    ...extra,
  };
}

/** `n` frames whose level follows the label: a frame sequence decides the class. */
function frames(n: number, label: number, seed: number): Float32Array {
  return Float32Array.from({ length: n * DIM }, (_, i) => (label ? 1 : -1) * (0.5 + 0.3 * Math.sin(seed * 13 + i)) + 0.2 * Math.cos(seed + i * 7));
}

function dialogues(): DialogueInput[] {
  return [0, 1, 2, 3, 4, 5].map((d) => ({
    utterances: [0, 1, 2].map((i) => {
      const label = (d + i) % 2;
      return { speaker: i % 2, label, features: { audio: frames(3 + ((d + i) % 5), label, d * 3 + i), text: Float32Array.from({ length: 4 }, (_, k) => Math.sin(d * 5 + i + k)) } };
    }),
  }));
}

describe('frame-sequence modality (wasm)', () => {
  let model: EmojeModel;
  beforeAll(async () => {
    await useBackend('wasm');
    model = createModel(config());
  });
  afterAll(() => model.dispose());

  it('resolves its defaults and names a bad setting', () => {
    const resolved = resolveModelConfig({ modalities: [{ name: 'audio', kind: 'frames', dim: 43 }], classes: ['a', 'b'] });
    expect(resolved.modalities[0]).toEqual({ name: 'audio', kind: 'frames', dim: 43, maxFrames: 256, temporal: 'convolution', kernelSize: 5, temporalLayers: 1, crossAttention: 'tokens' });
    const field = (m: object) => {
      try {
        resolveModelConfig({ modalities: [m as never], classes: ['a', 'b'] });
      } catch (error) {
        return error instanceof EmojeInputError ? error.field : String(error);
      }
      return 'no error';
    };
    expect(field({ name: 'audio', kind: 'frames', dim: 4, kernelSize: 4 })).toBe('config.modalities[0].kernelSize');
    expect(field({ name: 'audio', kind: 'frames', dim: 0 })).toBe('config.modalities[0].dim');
    expect(field({ name: 'audio', kind: 'sound', dim: 4 })).toBe('config.modalities[0].kind');
  });

  it('collates frames to [B, U, S, d] with a frame mask, cut to maxFrames, zeros where missing', () => {
    const ds = dialogues().slice(0, 1);
    ds[0].utterances[0].features.audio = frames(12, 1, 1); // longer than maxFrames 8
    ds[0].utterances[1].features.audio = frames(2, 0, 2);
    ds[0].utterances[2].features.audio = null;
    const batch = collate(ds, model.config.modalities);
    expect(batch.features[0].shape).toEqual([1, 3, 8, DIM]);
    expect(batch.frameMasks[0]!.arraySync()).toEqual([[[1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]]]);
    expect(batch.frameMasks[1]).toBeNull();
    const x = batch.features[0].arraySync() as number[][][][];
    expect(x[0][1][1]).toEqual(Array.from(frames(2, 0, 2).slice(DIM, 2 * DIM)).map(Math.fround));
    expect(x[0][2].flat().every((v) => v === 0)).toBe(true);
    disposeBatch(batch);
  });

  it('padded frames and a missing frame slot full of NaN or noise change no output', () => {
    const ds = dialogues().slice(0, 2);
    ds[0].utterances[1].features.audio = null;
    const clean = collate(ds, model.config.modalities);
    const run = (features: tf.Tensor[]) => tf.tidy(() => tf.softmax(model.network.forward({ ...clean, features }, false).logits).arraySync() as number[][][]);
    const reference = run(clean.features);
    for (const fill of [Number.NaN, 1e3]) {
      const dirty = tf.tidy(() => {
        const mask = tf.expandDims(clean.frameMasks[0]!, -1);
        return tf.where(tf.cast(tf.broadcastTo(mask, clean.features[0].shape), 'bool'), clean.features[0], tf.fill(clean.features[0].shape, fill));
      });
      const out = run([dirty, clean.features[1]]);
      out.flat(2).forEach((p, i) => expect(p).toBeCloseTo(reference.flat(2)[i], 5));
      expect(out.flat(2).every(Number.isFinite)).toBe(true);
      dirty.dispose();
    }
    disposeBatch(clean);
  });

  it('rejects frames whose length is not a multiple of the width, naming the field', async () => {
    await expect(model.predict({ utterances: [{ speaker: 'a', features: { audio: new Float32Array(DIM + 1) } }] })).rejects.toThrow(/^dialogue\.utterances\[0\]\.features\.audio: expected frames of width 3/);
    await expect(model.predict({ utterances: [{ speaker: 'a', features: { audio: Float32Array.from([1, Number.NaN, 0]) } }] })).rejects.toThrow(/features\.audio\[1\]/);
  });

  it('learns from frames alone, saves and reloads with the same predictions, and leaks no tensor', async () => {
    const fresh = createModel(config({ modalities: [{ name: 'audio', kind: 'frames', dim: DIM, maxFrames: 8, kernelSize: 3 }] }));
    const ds = dialogues().map((d) => ({ utterances: d.utterances.map((u) => ({ ...u, features: { audio: u.features.audio } })) }));
    const before = tf.memory().numTensors;
    const result = await train(fresh, { train: ds }, { epochs: 30, batchSize: 3, learningRate: 5e-3, modalityDropout: false });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.history.at(-1)!.loss).toBeLessThan(result.history[0].loss);
    const predictions = (await fresh.predictBatch(ds)).flat();
    const truth = ds.flatMap((d) => d.utterances.map((u) => u.label));
    expect(predictions.filter((p, i) => p.label === fresh.config.classes[truth[i]!]).length / truth.length).toBeGreaterThan(0.8);
    const handler = memoryHandler();
    await fresh.save(handler);
    const copy = await loadModel(handler);
    expect(copy.config.modalities[0]).toEqual(fresh.config.modalities[0]);
    const [a, b] = await Promise.all([fresh.predict(ds[0]), copy.predict(ds[0])]);
    a.forEach((p, i) => expect(b[i].probabilities.high).toBeCloseTo(p.probabilities.high, 6));
    expect(await leakedTensors(() => copy.predict(ds[1]))).toBe(0);
    copy.dispose();
    fresh.dispose();
  });
});
