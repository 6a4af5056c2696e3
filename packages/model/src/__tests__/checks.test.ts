import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { useBackend } from '@emoje/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkWeightData, createModel, evaluate, evaluateProtocols, loadModel, loadModelOrEnsemble, schemaDifferences, type EmojeModel } from '../index';
import { MODALITIES, TINY_CONFIG, memoryHandler, syntheticDialogues } from './fixtures';

const DATASET = { classes: ['negative', 'positive'], modalities: MODALITIES };

describe('evaluate checks the dataset against the model (issue 19, item 7)', () => {
  let model: EmojeModel;
  beforeAll(async () => {
    await useBackend('cpu');
    model = createModel(TINY_CONFIG);
  });
  afterAll(() => model.dispose());

  it('lists every difference of classes, modality names, kinds and widths', () => {
    const differences = schemaDifferences(model.config, {
      classes: ['neutral', 'joy', 'anger'],
      modalities: [
        { name: 'text', kind: 'text' },
        { name: 'audio', kind: 'vector', dim: 3 },
        { name: 'face', kind: 'vector', dim: 5 },
      ],
    });
    expect(differences).toEqual([
      'classes: the model has [negative, positive], the dataset [neutral, joy, anger]',
      "modality 'text': the model reads a vector of width 6, the dataset gives text",
      "modality 'audio': the model reads a vector of width 4, the dataset gives width 3",
      "modality 'visual' (a vector of width 5): absent from the dataset",
      "modality 'face' of the dataset (a vector of width 5): the model has no such input",
    ]);
    expect(schemaDifferences(model.config, { ...DATASET, classes: ['positive', 'negative'] })).toEqual([
      'classes in another order: the model has [negative, positive], the dataset [positive, negative]',
    ]);
    expect(schemaDifferences(model.config, DATASET)).toEqual([]);
  });

  it('evaluate and evaluateProtocols throw one error listing the differences instead of scoring', () => {
    const dialogues = syntheticDialogues(3, 2);
    const swapped = { ...DATASET, classes: ['positive', 'negative'] };
    expect(() => evaluate(model.network, dialogues, { dataset: swapped })).toThrow(/^dataset: expected the model's classes and modalities, received 1 difference: classes in another order/);
    const wider = { ...DATASET, modalities: MODALITIES.map((m) => (m.name === 'audio' ? { ...m, dim: 7 } : m)) };
    expect(() => evaluateProtocols(model.networks, dialogues, { dataset: wider })).toThrow(EmojeInputError);
    expect(evaluate(model.network, dialogues, { dataset: DATASET }).support).toBeGreaterThan(0);
  });

  it('evaluate refuses a narrower vector instead of zero-padding it, naming the dialogue', () => {
    const dialogues = syntheticDialogues(3, 2);
    dialogues[2].utterances[1].features.audio = new Float32Array(3);
    expect(() => evaluate(model.networks, dialogues)).toThrow(/^dialogues\[2\]\.utterances\[1\]\.features\.audio: expected a vector of length 4, received length 3/);
  });
});

describe('loading checks the weights (issue 19, item 8)', () => {
  beforeAll(() => useBackend('cpu'));

  async function savedArtifacts(): Promise<tf.io.ModelArtifacts> {
    const model = createModel(TINY_CONFIG);
    const handler = memoryHandler();
    await model.save(handler);
    model.dispose();
    return handler.load();
  }

  it('a NaN weight is an error naming the weight, not NaN probabilities', async () => {
    const artifacts = await savedArtifacts();
    const data = (artifacts.weightData as ArrayBuffer).slice(0);
    new Float32Array(data)[10] = Number.NaN;
    const before = tf.memory().numTensors;
    const error = await loadModel({ load: async () => ({ ...artifacts, weightData: data }) }).catch((e) => e);
    expect(error).toBeInstanceOf(EmojeInputError);
    expect(error.message).toMatch(/^weightData: weight .+\[\d+\]: expected a finite number, received NaN/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('truncated weights are an error giving both sizes and naming the source', async () => {
    const artifacts = await savedArtifacts();
    const full = artifacts.weightData as ArrayBuffer;
    const truncated = full.slice(0, full.byteLength - 8);
    const handler = { load: async () => ({ ...artifacts, weightData: truncated }) };
    await expect(loadModelOrEnsemble(handler)).rejects.toThrow(
      new RegExp(`^weightData: expected ${full.byteLength} bytes, as the manifest lists for its \\d+ weights, received ${full.byteLength - 8} bytes. The weights are truncated`),
    );
  });

  it('checkWeightData accepts what encodeWeights writes, int32 and unaligned bool included', async () => {
    const tensors = [
      { name: 'b', tensor: tf.tensor1d([1, 0, 1], 'bool') },
      { name: 'f', tensor: tf.tensor1d([1.5, -2]) },
      { name: 'i', tensor: tf.tensor1d([3], 'int32') },
    ];
    const { data, specs } = await tf.io.encodeWeights(tensors);
    expect(() => checkWeightData(specs, data, 'w.bin')).not.toThrow();
    const bad = data.slice(0);
    new DataView(bad).setFloat32(3 + 4, Number.POSITIVE_INFINITY, true);
    expect(() => checkWeightData(specs, bad, 'w.bin')).toThrow(/^w\.bin: weight f\[1\]: expected a finite number, received Infinity/);
    expect(() => checkWeightData(specs, data.slice(0, 5), 'w.bin')).toThrow(/^w\.bin: expected 15 bytes/);
    tf.dispose(tensors.map((t) => t.tensor));
  });
});
