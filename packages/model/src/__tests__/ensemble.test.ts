import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { leakedTensors, useBackend } from '@emoje/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnsemble, createModel, evaluate, evaluateProtocols, isEnsemble, loadEnsemble, loadModel, loadModelOrEnsemble, memberSeeds, predictLabels, train, trainEnsemble, weightByteLength, type EmojeEnsemble, type EmojeModel } from '../index';
import { TINY_CONFIG, memoryHandler, syntheticDialogues } from './fixtures';

describe('createEnsemble (wasm)', () => {
  let members: EmojeModel[];
  let ensemble: EmojeEnsemble;
  const dialogues = syntheticDialogues(6, 11, 5);
  beforeAll(async () => {
    await useBackend('wasm');
    // Different seeds, sizes and blocks: members only have to read the same inputs.
    members = [
      createModel({ ...TINY_CONFIG, seed: 1 }),
      createModel({ ...TINY_CONFIG, seed: 2, units: 8 }),
      createModel({ ...TINY_CONFIG, seed: 3, blocks: { jointEmbedding: false } }),
    ];
    ensemble = createEnsemble(members);
  });
  afterAll(() => ensemble.dispose());

  it('predicts the mean of its members: probabilities, modality weights, and the label of the mean', async () => {
    const dialogue = { utterances: dialogues[0].utterances.map((u, j) => (j === 1 ? { ...u, features: { text: u.features.text } } : u)) };
    const perMember = await Promise.all(members.map((m) => m.predict(dialogue)));
    const together = await ensemble.predict(dialogue);
    together.forEach((u, j) => {
      for (const c of ['negative', 'positive']) {
        const mean = perMember.reduce((s, p) => s + p[j].probabilities[c], 0) / members.length;
        expect(u.probabilities[c]).toBeCloseTo(mean, 6);
      }
      for (const m of ['text', 'audio', 'visual']) {
        const mean = perMember.reduce((s, p) => s + p[j].modalityWeights[m], 0) / members.length;
        expect(u.modalityWeights[m]).toBeCloseTo(mean, 6);
      }
      expect(u.label).toBe(u.probabilities.positive > u.probabilities.negative ? 'positive' : 'negative');
      expect(u.missing).toEqual(perMember[0][j].missing);
    });
    // Utterance 1 has only text: members with the joint embedding impute audio and visual, so the ensemble does.
    expect(together[1].missing).toEqual(['audio', 'visual']);
    expect(together[1].imputed).toEqual(['audio', 'visual']);
    expect(perMember[2][1].imputed).toEqual([]);
  });

  it('an ensemble of one model predicts exactly what the model does', async () => {
    const single = createModel({ ...TINY_CONFIG, seed: 9 });
    const one = createEnsemble([single]);
    const [a, b] = [await single.predict(dialogues[1]), await one.predict(dialogues[1])];
    expect(b).toEqual(a);
    expect(evaluate(one.networks, dialogues)).toEqual(evaluate(single.network, dialogues));
    one.dispose();
  });

  it('evaluate and predictLabels score the averaged probabilities', async () => {
    const predictions = (await ensemble.predictBatch(dialogues)).flat();
    const { truth, predicted } = predictLabels(ensemble.networks, dialogues, undefined, 4);
    expect(predicted).toEqual(predictions.map((p) => p.labelIndex));
    expect(truth).toEqual(dialogues.flatMap((d) => d.utterances.map((u) => u.label)));
    const metrics = evaluate(ensemble.networks, dialogues);
    expect(metrics.accuracy).toBeCloseTo(predicted.filter((p, i) => p === truth[i]).length / truth.length, 10);
    const protocols = evaluateProtocols(ensemble.networks, dialogues, { missingRates: [0, 0.5] });
    expect(protocols.scenarios.TAV).toEqual(metrics);
    expect(Object.keys(protocols.scenarios)).toHaveLength(7);
  });

  it('saved and reloaded, it predicts the same; loadModel and loadEnsemble refuse each other\'s artifacts', async () => {
    const handler = memoryHandler();
    await ensemble.save(handler);
    const loaded = await loadEnsemble(handler);
    expect(loaded.members).toHaveLength(3);
    expect(loaded.countParams()).toBe(ensemble.countParams());
    expect(loaded.members[1].config.units).toBe(8);
    const [a, b] = [await ensemble.predict(dialogues[2]), await loaded.predict(dialogues[2])];
    b.forEach((u, j) => {
      expect(u.label).toBe(a[j].label);
      expect(u.probabilities.positive).toBeCloseTo(a[j].probabilities.positive, 6);
    });
    loaded.dispose();
    await expect(loadModel(handler)).rejects.toThrow(/modelTopology\.format.*loadEnsemble/);
    const single = memoryHandler();
    await members[0].save(single);
    await expect(loadEnsemble(single)).rejects.toThrow(/modelTopology\.format.*loadModel/);
  });

  it('a load that fails on a weight leaves no tensors behind', async () => {
    const handler = memoryHandler();
    await ensemble.save(handler);
    const artifacts = await handler.load();
    const weightSpecs = artifacts.weightSpecs!.filter((s) => !s.name.startsWith('member2/'));
    // member2's weights come last: cut them from the data too, so the load passes the size check and fails on the weight.
    const bytes = weightSpecs.reduce((n, s) => n + weightByteLength(s)!, 0);
    const broken = { ...artifacts, weightSpecs, weightData: (artifacts.weightData as ArrayBuffer).slice(0, bytes) };
    const before = tf.memory().numTensors;
    await expect(loadEnsemble({ load: async () => broken })).rejects.toThrow(/weights\.member2\//);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('prediction and evaluation leak no tensors', async () => {
    expect(await leakedTensors(() => ensemble.predictBatch(dialogues))).toBe(0);
    expect(await leakedTensors(() => evaluate(ensemble.networks, dialogues, { missingRate: 0.3 }))).toBe(0);
  });

  it('members that read different inputs are refused, naming the member and field', () => {
    const other = createModel({ ...TINY_CONFIG, classes: ['a', 'b', 'c'] });
    const narrow = createModel({ ...TINY_CONFIG, modalities: [TINY_CONFIG.modalities[0]] });
    try {
      expect(() => createEnsemble([members[0], other])).toThrow(EmojeInputError);
      expect(() => createEnsemble([members[0], other])).toThrow(/members\[1\]\.config\.classes/);
      expect(() => createEnsemble([members[0], narrow])).toThrow(/members\[1\]\.config\.modalities/);
      expect(() => createEnsemble([])).toThrow(/members: expected a non-empty array/);
      expect(() => createEnsemble([members[0], members[0]])).toThrow(/members: expected distinct models/);
      expect(() => createEnsemble([null as never, members[0]])).toThrow(/members\[0\]: expected a model from createModel or loadModel/);
      expect(() => evaluate([], dialogues)).toThrow(/network: expected an EmojeNetwork or a non-empty array/);
    } finally {
      other.dispose();
      narrow.dispose();
    }
  });

  it('a disposed ensemble says so', async () => {
    const e = createEnsemble([createModel(TINY_CONFIG)]);
    e.dispose();
    await expect(e.predict(dialogues[0])).rejects.toThrow(/ensemble: expected an ensemble that is not disposed/);
  });
});

describe('trainEnsemble (wasm)', () => {
  beforeAll(() => useBackend('wasm'));
  const data = { train: syntheticDialogues(10, 21, 4), dev: syntheticDialogues(3, 22, 4) };

  it('trains one member per seed of memberSeeds, each exactly as train() would', async () => {
    expect(memberSeeds(2, 3)).toEqual([2, 1002, 2002]);
    const started: [number, number][] = [];
    const before = tf.memory().numTensors;
    const { ensemble, results } = await trainEnsemble((seed) => createModel({ ...TINY_CONFIG, seed }), data, {
      members: 2,
      seed: 2,
      epochs: 2,
      onMemberStart: (k, seed) => started.push([k, seed]),
    });
    expect(started).toEqual([[0, 2], [1, 1002]]);
    expect(results).toHaveLength(2);
    // The second member is what train() gives alone with seed 1002.
    const alone = createModel({ ...TINY_CONFIG, seed: 1002 });
    const aloneResult = await train(alone, data, { seed: 1002, epochs: 2 });
    expect(results[1].history.map((h) => h.loss)).toEqual(aloneResult.history.map((h) => h.loss));
    expect(await ensemble.members[1].predict(data.dev[0])).toEqual(await alone.predict(data.dev[0]));
    alone.dispose();
    ensemble.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a member that fails to train disposes the members made so far; bad options are named', async () => {
    const before = tf.memory().numTensors;
    let made = 0;
    const create = (seed: number) => {
      made++;
      return createModel({ ...TINY_CONFIG, seed });
    };
    await expect(
      trainEnsemble(create, data, { members: 3, epochs: 1, onMemberEnd: (k) => { if (k === 1) throw new Error('stop'); } }),
    ).rejects.toThrow('stop');
    expect(made).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
    await expect(trainEnsemble(create, data, { members: 0 })).rejects.toThrow(/options\.members: expected an integer in 1\.\.inf/);
    await expect(trainEnsemble(create, data, { members: 2, resume: true } as never)).rejects.toThrow(/options\.checkpoint/);
  });
});

describe('loadModelOrEnsemble (wasm)', () => {
  beforeAll(() => useBackend('wasm'));

  it('loads a single model or an ensemble, whichever was saved', async () => {
    const dialogue = syntheticDialogues(1, 31, 3)[0];
    const model = createModel({ ...TINY_CONFIG, seed: 4 });
    const ensemble = createEnsemble([createModel({ ...TINY_CONFIG, seed: 5 }), createModel({ ...TINY_CONFIG, seed: 6 })]);
    const [modelFile, ensembleFile] = [memoryHandler(), memoryHandler()];
    await model.save(modelFile);
    await ensemble.save(ensembleFile);
    const [a, b] = [await loadModelOrEnsemble(modelFile), await loadModelOrEnsemble(ensembleFile)];
    expect(isEnsemble(a)).toBe(false);
    expect(isEnsemble(b)).toBe(true);
    expect(a.networks).toHaveLength(1);
    expect(b.networks).toHaveLength(2);
    expect((await a.predict(dialogue))[0].probabilities.positive).toBeCloseTo((await model.predict(dialogue))[0].probabilities.positive, 6);
    expect((await b.predict(dialogue))[0].probabilities.positive).toBeCloseTo((await ensemble.predict(dialogue))[0].probabilities.positive, 6);
    for (const x of [a, b, model, ensemble]) x.dispose();
  });
});
