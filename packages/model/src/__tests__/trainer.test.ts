import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { expectClose, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { collate, createModel, disposeBatch, evaluate, memoryCheckpointStore, train, type EmojeModel } from '../index';
import { MODALITIES, TINY_CONFIG, syntheticDialogues } from './fixtures';

/** Both models give the same class probabilities on `dialogues` (to 1e-6). */
function expectSamePredictions(a: EmojeModel, b: EmojeModel, dialogues: ReturnType<typeof syntheticDialogues>): void {
  const batch = collate(dialogues, MODALITIES);
  const [pa, pb] = [a, b].map((m) => tf.tidy(() => tf.softmax(m.network.forward(batch, false).logits)));
  expectClose(pb, pa, 1e-6);
  tf.dispose([pa, pb]);
  disposeBatch(batch);
}

describe('trainer (wasm)', () => {
  beforeAll(() => useBackend('wasm'));

  it('overfits a handful of dialogues: loss falls and train accuracy reaches 1.0', async () => {
    const model = createModel({ ...TINY_CONFIG, dropout: 0 });
    const dialogues = syntheticDialogues(6, 11, 5);
    const losses: number[] = [];
    const result = await train(model, { train: dialogues }, {
      epochs: 40,
      batchSize: 3,
      learningRate: 3e-3,
      modalityDropout: false,
      onEpochEnd: (e) => {
        losses.push(e.loss);
      },
    });
    expect(result.epochs).toBe(40);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.5);
    expect(evaluate(model.network, dialogues).accuracy).toBe(1);
    model.dispose();
  });

  it('a training step leaks no tensors', async () => {
    const model = createModel(TINY_CONFIG);
    const dialogues = syntheticDialogues(4, 12, 4);
    await train(model, { train: dialogues }, { epochs: 1, batchSize: 2 });
    const before = tf.memory().numTensors;
    await train(model, { train: dialogues }, { epochs: 1, batchSize: 2 });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('predictions made during training (here in its epoch callback) do not change what it learns', async () => {
    const dialogues = syntheticDialogues(6, 15, 4);
    const others = syntheticDialogues(2, 16, 4);
    const options = { epochs: 3, batchSize: 2, seed: 5 };
    const plain = createModel(TINY_CONFIG);
    await train(plain, { train: dialogues }, options);
    const watched = createModel(TINY_CONFIG);
    await train(watched, { train: dialogues }, {
      ...options,
      onEpochEnd: async () => {
        evaluate(watched.network, others);
        await watched.predictBatch(others);
      },
    });
    expectSamePredictions(plain, watched, dialogues);
    plain.dispose();
    watched.dispose();
  });

  it('resuming from a checkpoint gives the same next epoch as an uninterrupted run', async () => {
    const dialogues = syntheticDialogues(6, 13, 4);
    const dev = syntheticDialogues(2, 14, 4);
    const options = { epochs: 3, batchSize: 2, seed: 5 };

    const straight = createModel(TINY_CONFIG);
    const full = await train(straight, { train: dialogues, dev }, { ...options, patience: 10 });

    const store = memoryCheckpointStore();
    const first = createModel(TINY_CONFIG);
    await train(first, { train: dialogues, dev }, { ...options, patience: 10, checkpoint: store, maxEpochsThisRun: 2 });
    first.dispose();
    const resumed = createModel({ ...TINY_CONFIG, seed: 99 });
    const rest = await train(resumed, { train: dialogues, dev }, { ...options, patience: 10, checkpoint: store, resume: true });

    expect(rest.epochs).toBe(3);
    expect(rest.history.map((h) => h.loss)).toEqual(full.history.map((h) => h.loss));
    expectSamePredictions(straight, resumed, dev);
    straight.dispose();
    resumed.dispose();
  });

  it('averageLastEpochs keeps the mean of the weights after the last epochs', async () => {
    const model = createModel(TINY_CONFIG);
    const dialogues = syntheticDialogues(4, 16, 4);
    const snapshots: Float32Array[][] = [];
    const result = await train(model, { train: dialogues, dev: syntheticDialogues(2, 17, 3) }, {
      epochs: 3,
      batchSize: 2,
      averageLastEpochs: 2,
      onEpochEnd: (e) => {
        if (e.epoch >= 2) snapshots.push(model.network.weights.map((w) => Float32Array.from(w.read().dataSync())));
      },
    });
    expect(result.averagedEpochs).toBe(2);
    const final = model.network.weights.map((w) => w.read().dataSync());
    final.forEach((values, i) => {
      const mean = snapshots[0][i].map((a, k) => (a + snapshots[1][i][k]) / 2);
      expectClose(values, mean, 1e-6);
    });
    expect(snapshots[0].some((values, i) => values.some((a, k) => a !== snapshots[1][i][k]))).toBe(true);
    model.dispose();
  });

  it('emaDecay judges and keeps the moving average of the weights; resume with it is exact and leaks nothing', async () => {
    const dialogues = syntheticDialogues(6, 18, 4);
    const dev = syntheticDialogues(2, 19, 3);
    const options = { epochs: 3, batchSize: 2, seed: 3, emaDecay: 0.9, patience: 10 };
    // Without dev: the final weights are the moving average, not the raw weights of the last step.
    const plain = createModel(TINY_CONFIG);
    const averaged = createModel(TINY_CONFIG);
    await train(plain, { train: dialogues }, { ...options, emaDecay: 0 });
    await train(averaged, { train: dialogues }, options);
    const differs = plain.network.weights.some((w, i) => {
      const a = w.read().dataSync();
      const b = averaged.network.weights[i].read().dataSync();
      return a.some((x, k) => Math.abs(x - b[k]) > 1e-4);
    });
    expect(differs).toBe(true);
    // With dev: the kept weights are the snapshot judged on dev, so evaluating them reproduces the best dev score.
    const judged = createModel(TINY_CONFIG);
    const result = await train(judged, { train: dialogues, dev }, options);
    expect(evaluate(judged.network, dev).weightedF1).toBeCloseTo(result.bestDevWeightedF1, 6);

    const store = memoryCheckpointStore();
    const first = createModel(TINY_CONFIG);
    await train(first, { train: dialogues, dev }, { ...options, checkpoint: store, maxEpochsThisRun: 2 });
    first.dispose();
    const resumed = createModel({ ...TINY_CONFIG, seed: 42 });
    const rest = await train(resumed, { train: dialogues, dev }, { ...options, checkpoint: store, resume: true });
    expect(rest.history.map((h) => h.loss)).toEqual(result.history.map((h) => h.loss));
    expectSamePredictions(judged, resumed, dev);

    const before = tf.memory().numTensors;
    await train(plain, { train: dialogues, dev }, { ...options, epochs: 1 });
    expect(tf.memory().numTensors).toBe(before);
    await expect(train(plain, { train: dialogues }, { emaDecay: 1 })).rejects.toThrow(/options\.emaDecay/);
    [plain, averaged, judged, resumed].forEach((m) => m.dispose());
  });

  it('a run that fails part-way (here its epoch callback) frees every tensor it made', async () => {
    const model = createModel(TINY_CONFIG);
    const dialogues = syntheticDialogues(4, 20, 4);
    const dev = syntheticDialogues(2, 21, 3);
    await train(model, { train: dialogues, dev }, { epochs: 1, batchSize: 2, emaDecay: 0.9 });
    const before = tf.memory().numTensors;
    const failing = train(model, { train: dialogues, dev }, {
      epochs: 3, batchSize: 2, emaDecay: 0.9, averageLastEpochs: 2,
      onEpochEnd: (e) => {
        if (e.epoch === 2) throw new Error('callback failed');
      },
    });
    await expect(failing).rejects.toThrow('callback failed');
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('rejects bad training data naming the field', async () => {
    const model = createModel(TINY_CONFIG);
    const dialogues = syntheticDialogues(2, 15, 3);
    dialogues[1].utterances[1].features.audio = new Float32Array(9);
    await expect(train(model, { train: dialogues })).rejects.toThrow(EmojeInputError);
    await expect(train(model, { train: dialogues })).rejects.toThrow(/train\[1\]\.utterances\[1\]\.features\.audio/);
    await expect(train(model, { train: [] })).rejects.toThrow(/data.train/);
    await expect(train(model, { train: syntheticDialogues(1) }, { epochs: 0 })).rejects.toThrow(/options.epochs/);
    model.dispose();
  });
});
