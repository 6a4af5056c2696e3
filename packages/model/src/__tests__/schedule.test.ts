import * as tf from '@tensorflow/tfjs-core';
import { Vocabulary } from '@emoje/encoders';
import { useBackend } from '@emoje/test-utils';
import { SeededRandom } from '@emoje/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { collate, createModel, disposeBatch, resolveModelConfig, scheduledLearningRate, train, type DialogueInput } from '../index';
import { TINY_CONFIG, syntheticDialogues } from './fixtures';

describe('scheduledLearningRate', () => {
  it('constant keeps the base rate at every step', () => {
    for (const step of [0, 5, 9, 20]) expect(scheduledLearningRate('constant', 1e-3, 0.05, step, 10)).toBe(1e-3);
  });

  it('cosine starts at the base rate, ends at base * minRatio and passes the mean halfway', () => {
    expect(scheduledLearningRate('cosine', 1e-3, 0.1, 0, 11)).toBeCloseTo(1e-3, 12);
    expect(scheduledLearningRate('cosine', 1e-3, 0.1, 10, 11)).toBeCloseTo(1e-4, 12);
    expect(scheduledLearningRate('cosine', 1e-3, 0.1, 5, 11)).toBeCloseTo(5.5e-4, 12);
    // Past the planned steps (never in train) it stays at the floor.
    expect(scheduledLearningRate('cosine', 1e-3, 0.1, 30, 11)).toBeCloseTo(1e-4, 12);
    const rates = Array.from({ length: 11 }, (_, i) => scheduledLearningRate('cosine', 1e-3, 0, i, 11));
    rates.slice(1).forEach((r, i) => expect(r).toBeLessThan(rates[i]));
    // Cosine stays above the straight line in the first half.
    expect(rates[2]).toBeGreaterThan(scheduledLearningRate('linear', 1e-3, 0, 2, 11));
  });

  it('linear falls by equal steps', () => {
    const rates = Array.from({ length: 5 }, (_, i) => scheduledLearningRate('linear', 1, 0.2, i, 5));
    [1, 0.8, 0.6, 0.4, 0.2].forEach((r, i) => expect(rates[i]).toBeCloseTo(r, 12));
  });
});

describe('trainer learning-rate schedule and word dropout (wasm)', () => {
  beforeAll(() => useBackend('wasm'));

  it('reports each step its scheduled rate, and a rate of 0 on the last step leaves the weights as they were', async () => {
    const dialogues = syntheticDialogues(4, 21, 4);
    const run = async (schedule: 'constant' | 'linear') => {
      const model = createModel(TINY_CONFIG);
      const rates: number[] = [];
      let afterFirst: Float32Array[] = [];
      await train(model, { train: dialogues }, {
        epochs: 1, batchSize: 2, learningRate: 1e-2, learningRateSchedule: schedule, minLearningRateRatio: 0, modalityDropout: false,
        onStep: (s) => {
          rates.push(s.learningRate);
          if (s.step === 1) afterFirst = model.network.weights.map((w) => Float32Array.from(w.read().dataSync()));
        },
      });
      const final = model.network.weights.map((w) => Float32Array.from(w.read().dataSync()));
      model.dispose();
      return { rates, afterFirst, final };
    };
    const linear = await run('linear');
    expect(linear.rates).toEqual([1e-2, 0]);
    linear.final.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(linear.afterFirst[i])));
    const constant = await run('constant');
    expect(constant.rates).toEqual([1e-2, 1e-2]);
    expect(constant.final.some((values, i) => values.some((a, k) => a !== constant.afterFirst[i][k]))).toBe(true);
  });

  it('rejects a bad schedule, floor or word-dropout rate naming the option', async () => {
    const model = createModel(TINY_CONFIG);
    const data = { train: syntheticDialogues(2, 22, 3) };
    await expect(train(model, data, { learningRateSchedule: 'step' as never })).rejects.toThrow(/options\.learningRateSchedule/);
    await expect(train(model, data, { minLearningRateRatio: 2 })).rejects.toThrow(/options\.minLearningRateRatio/);
    await expect(train(model, data, { tokenDropout: 1 })).rejects.toThrow(/options\.tokenDropout/);
    model.dispose();
  });

  it('collate with word dropout turns real tokens into <unk> at about the rate, never padding, reproducibly', () => {
    const texts = ['a b c d e f g h', 'i j k', 'l m n o p q'];
    const vocabulary = Vocabulary.build(texts);
    const { modalities } = resolveModelConfig({
      modalities: [{ name: 'text', kind: 'tokens', vocabulary: [...vocabulary.tokens], embeddingDim: 4, maxTokens: 8 }],
      classes: ['a', 'b'],
    });
    const dialogues: DialogueInput[] = Array.from({ length: 40 }, (_, d) => ({
      utterances: texts.map((text, i) => ({ speaker: i % 2, label: d % 2, features: { text } })),
    }));
    const ids = (rate: number, seed: number) => {
      const batch = collate(dialogues, modalities, undefined, rate > 0 ? { rate, rng: new SeededRandom(seed) } : undefined);
      const values = Array.from(batch.features[0].dataSync());
      disposeBatch(batch);
      return values;
    };
    const clean = ids(0, 1);
    const dropped = ids(0.3, 1);
    expect(ids(0.3, 1)).toEqual(dropped);
    expect(ids(0.3, 2)).not.toEqual(dropped);
    let real = 0;
    let unk = 0;
    clean.forEach((id, i) => {
      if (id === 0) expect(dropped[i]).toBe(0);
      else {
        real++;
        expect(dropped[i] === id || dropped[i] === 1).toBe(true);
        if (dropped[i] === 1) unk++;
      }
    });
    expect(unk / real).toBeGreaterThan(0.2);
    expect(unk / real).toBeLessThan(0.4);
    const all = ids(0.95, 3).filter((id) => id > 1).length;
    expect(all).toBeLessThan(real * 0.1);
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(0);
  });
});
