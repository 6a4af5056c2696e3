import { EmojeInputError } from '@emoje/core';
import { Vocabulary } from '@emoje/encoders';
import { useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryHandler } from './fixtures';
import { createModel, loadModel, resolveModelConfig, type ModelConfig } from '../index';

const TEXTS = ['i love this so much', 'what a wonderful day', 'i hate this', 'this is terrible news'];
const vocabulary = Vocabulary.build(TEXTS);

const config = (kernelSize: unknown): ModelConfig => ({
  modalities: [{ name: 'text', kind: 'tokens', vocabulary: [...vocabulary.tokens], embeddingDim: 8, maxTokens: 6, kernelSize: kernelSize as never, pooling: 'max' }],
  classes: ['negative', 'positive'],
  units: 16,
  numHeads: 2,
  embeddingDim: 8,
  contextUnits: 16,
  dropout: 0,
  seed: 3,
});

describe('token modality with several kernel widths (wasm)', () => {
  beforeAll(() => useBackend('wasm'));

  it('builds one kernel per width and a reloaded model keeps them and predicts the same', async () => {
    const model = createModel(config([1, 3, 5]));
    const dialogue = { utterances: TEXTS.map((text, i) => ({ speaker: i % 2, features: { text } })) };
    const before = await model.predict(dialogue);
    const kernels = model.network.weights.filter((w) => /convolution_\d+_kernel/.test(w.name)).map((w) => w.shape);
    expect(kernels).toEqual([
      [16, 6],
      [48, 5],
      [80, 5],
    ]);
    const handler = memoryHandler();
    await model.save(handler);
    const copy = await loadModel(handler);
    expect(copy.config.modalities[0]).toMatchObject({ kernelSize: [1, 3, 5] });
    const after = await copy.predict(dialogue);
    before.forEach((p, i) => expect(after[i].probabilities.positive).toBeCloseTo(p.probabilities.positive, 6));
    model.dispose();
    copy.dispose();
  });

  it('resolves a plain width unchanged and rejects even or empty widths naming the field', () => {
    expect(resolveModelConfig(config(undefined)).modalities[0]).toMatchObject({ kernelSize: 3 });
    expect(resolveModelConfig(config([3, 5])).modalities[0]).toMatchObject({ kernelSize: [3, 5] });
    for (const bad of [[3, 4], [], 2, [0]]) {
      expect(() => resolveModelConfig(config(bad))).toThrowError(EmojeInputError);
      expect(() => resolveModelConfig(config(bad))).toThrowError(/^config\.modalities\[0\]\.kernelSize:/);
    }
  });
});
