import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError, SeededRandom } from '@emoje/core';
import { leakedTensors, useBackend } from '@emoje/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collate, disposeBatch } from '../batch';
import {
  argmaxRows,
  classificationMetrics,
  createEnsemble,
  createModel,
  evaluate,
  fitClassBias,
  fitDecisionBias,
  labeledScores,
  loadEnsemble,
  loadModel,
  train,
  type EmojeModel,
} from '../index';
import { TINY_CONFIG, memoryHandler, syntheticDialogues } from './fixtures';

const CLASSES = ['a', 'b', 'c'];

function expectInputError(fn: () => unknown, field: string): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(EmojeInputError);
  expect((error as EmojeInputError).field).toBe(field);
}

describe('fitClassBias', () => {
  it('finds the offset that undoes a shift toward one class, and scores what it reports', () => {
    // Every row's true class leads by 0.5, except that class 0 gets +0.8 everywhere: the plain argmax over-predicts it.
    const rng = new SeededRandom(4);
    const truth = Array.from({ length: 300 }, () => rng.int(3));
    const scores = new Float32Array(truth.length * 3);
    truth.forEach((t, i) => {
      for (let k = 0; k < 3; k++) scores[i * 3 + k] = (k === t ? 0.5 : 0) + (k === 0 ? 0.8 : 0) + 0.2 * (rng.next() - 0.5);
    });
    const fit = fitClassBias(truth, scores, CLASSES);
    expect(fit.weightedF1Before).toBeLessThan(0.6);
    expect(fit.weightedF1After).toBe(1);
    // Only the difference between class 0's offset and the others' matters: a perfect score needs it in (-1.3, -0.3).
    const lead = fit.bias[0] - Math.max(fit.bias[1], fit.bias[2]);
    expect(lead).toBeLessThan(-0.3);
    expect(lead).toBeGreaterThan(-1.3);
    expect(classificationMetrics(truth, argmaxRows(scores, 3, fit.bias), CLASSES).weightedF1).toBe(fit.weightedF1After);
  });

  it('keeps a zero bias when the argmax is already best, and never scores below the plain argmax', () => {
    const truth = [0, 1, 2, 1, 0];
    const perfect = truth.flatMap((t) => [0, 1, 2].map((k) => (k === t ? 1 : 0)));
    const fit = fitClassBias(truth, perfect, CLASSES);
    expect(fit.bias).toEqual([0, 0, 0]);
    expect(fit.weightedF1After).toBe(1);

    const rng = new SeededRandom(9);
    const noisyTruth = Array.from({ length: 80 }, () => rng.int(3));
    const noise = Array.from({ length: 240 }, () => rng.next());
    const noisy = fitClassBias(noisyTruth, noise, CLASSES, { range: 1, step: 0.25, rounds: 2 });
    expect(noisy.weightedF1After).toBeGreaterThanOrEqual(noisy.weightedF1Before);
    for (const b of noisy.bias) expect(Math.abs(b)).toBeLessThanOrEqual(1);
  });

  it('names the field at fault', () => {
    expectInputError(() => fitClassBias([0, 1], [0, 1, 2], CLASSES), 'logProbabilities');
    expectInputError(() => fitClassBias([0, 3], new Array(6).fill(0), CLASSES), 'truth[1]');
    expectInputError(() => fitClassBias([], [], CLASSES), 'truth');
    expectInputError(() => fitClassBias([0], [0, 0, 0], CLASSES, { step: 0 }), 'options.step');
  });
});

describe('the decision bias of a network (wasm)', () => {
  let model: EmojeModel;
  const dialogues = syntheticDialogues(4, 21, 5);
  // No dropout or input noise, so a training-mode forward is deterministic and can be compared.
  const config = { ...TINY_CONFIG, dropout: 0, inputNoise: 0, inputDropout: 0 };
  beforeAll(async () => {
    await useBackend('wasm');
    model = createModel(config);
  });
  afterAll(() => model.dispose());

  it('is added to the logits in inference only, and predictions are its softmax', async () => {
    const batch = collate(dialogues, model.config.modalities);
    try {
      const before = tf.tidy(() => [model.network.forward(batch, false).logits, model.network.forward(batch, true).logits]);
      model.network.setDecisionBias([0.7, -0.4]);
      const after = tf.tidy(() => [model.network.forward(batch, false).logits, model.network.forward(batch, true).logits]);
      const [inferBefore, trainBefore, inferAfter, trainAfter] = [...before, ...after].map((t) => t.arraySync() as number[][][]);
      inferAfter.forEach((row, b) => row.forEach((logit, u) => {
        expect(logit[0]).toBeCloseTo(inferBefore[b][u][0] + 0.7, 5);
        expect(logit[1]).toBeCloseTo(inferBefore[b][u][1] - 0.4, 5);
      }));
      expect(trainAfter).toEqual(trainBefore);
      tf.dispose([...before, ...after]);

      const [prediction] = await model.predict(dialogues[0]);
      const [l0, l1] = [inferAfter[0][0][0], inferAfter[0][0][1]];
      expect(prediction.probabilities.positive).toBeCloseTo(1 / (1 + Math.exp(l0 - l1)), 5);
    } finally {
      disposeBatch(batch);
      model.network.setDecisionBias(null);
    }
  });

  it('is saved and reloaded with a model and with an ensemble', async () => {
    const other = createModel({ ...config, seed: 8 });
    model.network.setDecisionBias([0.25, -0.5]);
    other.network.setDecisionBias([-1, 0.1]);
    try {
      const handler = memoryHandler();
      await model.save(handler);
      const loaded = await loadModel(handler);
      expect(loaded.network.decisionBias).toEqual([0.25, -0.5]);
      const [a, b] = [await model.predict(dialogues[1]), await loaded.predict(dialogues[1])];
      a.forEach((u, i) => expect(b[i].probabilities.positive).toBeCloseTo(u.probabilities.positive, 6));
      loaded.dispose();

      const ensembleHandler = memoryHandler();
      const ensemble = createEnsemble([createModel({ ...config }), other]);
      ensemble.members[0].network.setDecisionBias(null);
      await ensemble.save(ensembleHandler);
      const reloaded = await loadEnsemble(ensembleHandler);
      expect(reloaded.members.map((m) => m.network.decisionBias)).toEqual([null, [-1, 0.1]]);
      reloaded.dispose();
      ensemble.dispose();
    } finally {
      model.network.setDecisionBias(null);
    }
  });

  it('rejects a bias of the wrong length or with NaN, also in saved artifacts', async () => {
    expectInputError(() => model.network.setDecisionBias([1, 2, 3]), 'decisionBias');
    expectInputError(() => model.network.setDecisionBias([1, NaN]), 'decisionBias');
    const handler = memoryHandler();
    await model.save(handler);
    const artifacts = await handler.load();
    (artifacts.modelTopology as { decisionBias?: unknown }).decisionBias = [0.5];
    const numTensors = tf.memory().numTensors;
    await expect(loadModel(handler)).rejects.toMatchObject({ field: 'modelTopology.decisionBias' });
    expect(tf.memory().numTensors).toBe(numTensors);
  });

  it('fitDecisionBias scores on dev what evaluate then reports, and leaks no tensors', async () => {
    const dev = syntheticDialogues(6, 33, 5);
    const plain = evaluate(model.network, dev).weightedF1;
    let fit!: ReturnType<typeof fitDecisionBias>;
    expect(await leakedTensors(() => (fit = fitDecisionBias(model.network, dev)))).toBe(0);
    expect(fit.weightedF1Before).toBeCloseTo(plain, 10);
    expect(fit.weightedF1After).toBeGreaterThanOrEqual(plain);
    expect(evaluate(model.network, dev).weightedF1).toBeCloseTo(fit.weightedF1After, 10);
    expect(model.network.decisionBias ?? [0, 0]).toEqual(fit.bias);
    const scores = labeledScores(model.network, dev, undefined);
    expect(scores.truth.length * 2).toBe(scores.logProbabilities.length);
    model.network.setDecisionBias(null);
  });
});

describe('train({ fitDecisionBias }) (wasm)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('fits the bias on dev at the end, and a later run without the option removes it', async () => {
    const model = createModel({ ...TINY_CONFIG, seed: 5 });
    const data = { train: syntheticDialogues(6, 41, 5), dev: syntheticDialogues(4, 42, 5) };
    try {
      const result = await train(model, data, { epochs: 2, batchSize: 3, patience: 5, fitDecisionBias: { range: 2, step: 0.5 } });
      expect(result.decisionBias).not.toBeNull();
      const fit = result.decisionBias!;
      expect(fit.weightedF1After).toBeGreaterThanOrEqual(fit.weightedF1Before);
      expect(model.network.decisionBias ?? [0, 0]).toEqual(fit.bias);
      expect(evaluate(model.network, data.dev).weightedF1).toBeCloseTo(fit.weightedF1After, 10);

      model.network.setDecisionBias([3, -3]);
      const again = await train(model, data, { epochs: 1, batchSize: 3 });
      expect(again.decisionBias).toBeNull();
      expect(model.network.decisionBias).toBeNull();
    } finally {
      model.dispose();
    }
  });

  it('checks the option before training', async () => {
    const model = createModel({ ...TINY_CONFIG, seed: 6 });
    try {
      await expect(train(model, { train: syntheticDialogues(2, 1, 3) }, { fitDecisionBias: { step: -1 } })).rejects.toMatchObject({
        field: 'options.fitDecisionBias.step',
      });
      await expect(train(model, { train: syntheticDialogues(2, 1, 3) }, { fitDecisionBias: 'yes' as never })).rejects.toMatchObject({
        field: 'options.fitDecisionBias',
      });
    } finally {
      model.dispose();
    }
  });
});
