import type { DialogueDataset } from '@emoje/datasets';
import { loadMosi, loadWordVectors } from '@emoje/datasets/node';
import { useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIO_PRESET, MOSI_PRESET, TEXT_PRESET, createModelForDataset, presetFor, presetTrainOptions } from './index';

const TEXTS = ['i love this so much', 'what a wonderful day', 'i hate this', 'this is terrible news'];

/** A tiny dataset with a text modality, and an audio one if asked. */
function dataset(withAudio: boolean): DialogueDataset {
  const dialogues = [0, 1].map((d) => ({
    id: `d${d}`,
    utterances: TEXTS.map((text, i) => ({
      speaker: `s${i % 2}`,
      label: (d + i) % 2,
      features: { text, ...(withAudio ? { audio: Float32Array.from({ length: 3 }, (_, k) => Math.sin(d + i + k)) } : {}) },
    })),
  }));
  return {
    name: withAudio ? 'text-audio' : 'text-only',
    classes: ['negative', 'positive'],
    modalities: [{ name: 'text', kind: 'text' }, ...(withAudio ? [{ name: 'audio', kind: 'vector' as const, dim: 3 }] : [])],
    train: dialogues,
    dev: dialogues,
    test: dialogues,
    license: 'test',
    source: 'test',
  } as unknown as DialogueDataset;
}

describe('presets', () => {
  beforeAll(() => useBackend('wasm'));

  it("createModelForDataset applies the preset's single-modality settings only to a one-modality dataset", async () => {
    const single = TEXT_PRESET.singleModality?.lossWeights;
    expect(single).toBeDefined();
    const { model: textOnly } = await createModelForDataset(dataset(false), { wordVectors: null });
    expect(textOnly.config.lossWeights).toMatchObject(single!);
    const { model: textAudio } = await createModelForDataset(dataset(true), { wordVectors: null });
    expect(textAudio.config.lossWeights).toMatchObject(TEXT_PRESET.model.lossWeights!);
    expect(textAudio.config.lossWeights).not.toEqual(textOnly.config.lossWeights);
    // Explicit overrides still win.
    const { model: overridden } = await createModelForDataset(dataset(false), { wordVectors: null, overrides: { lossWeights: { ace: 0, joint: 0.3, reconstruction: 0, auxiliary: 0 } } });
    expect(overridden.config.lossWeights.joint).toBe(0.3);
    for (const m of [textOnly, textAudio, overridden]) m.dispose();
  });

  it('the text preset is the one for data with text, and its training options fit its epochs', () => {
    expect(presetFor(dataset(false))).toBe(TEXT_PRESET);
    expect(presetFor({ name: 'cmu-mosi', modalities: [] })).toBe(MOSI_PRESET);
    const options = presetTrainOptions(TEXT_PRESET, 2);
    expect(options.epochs).toBe(2);
    expect(options.averageLastEpochs).toBeLessThanOrEqual(2);
    expect(options.learningRateSchedule).toBe(TEXT_PRESET.train.learningRateSchedule);
  });

  it('the audio preset is the one for data whose only modality is audio, and it trains long enough not to stop early', () => {
    expect(presetFor({ name: 'calls', modalities: [{ name: 'audio', kind: 'vector', dim: 163 }] })).toBe(AUDIO_PRESET);
    expect(presetFor({ name: 'calls', modalities: [{ name: 'audio', kind: 'vector', dim: 77 }, { name: 'face', kind: 'vector', dim: 15 }] })).toBe(MOSI_PRESET);
    expect(presetFor({ name: 'calls', modalities: [{ name: 'audio', kind: 'vector', dim: 77 }, { name: 'text', kind: 'text' }] })).toBe(TEXT_PRESET);
    expect(AUDIO_PRESET.train.epochs).toBeGreaterThan(MOSI_PRESET.train.epochs!);
    expect(AUDIO_PRESET.train.patience).toBeGreaterThan(MOSI_PRESET.train.patience!);
  });

  it("builds MOSI read as words (loadMosi({ text: 'tokens' })) with the preset's token settings and MOSI's bundled GloVe vectors", async () => {
    const mosi = await loadMosi({ text: 'tokens' });
    const { model, coverage } = await createModelForDataset(mosi, { seed: 2 });
    const text = model.config.modalities[0];
    expect(text.kind).toBe('tokens');
    if (text.kind !== 'tokens') throw new Error('unreachable');
    expect(text.crossAttention).toBe('tokens');
    expect(text.maxTokens).toBe(MOSI_PRESET.tokens!.maxTokens);
    expect(text.trainableEmbeddings).toBe(false);
    expect(model.config.modalities.slice(1).map((m) => m.name)).toEqual(['audio', 'visual']);
    // The vocabulary comes from the training transcripts; MOSI's GloVe subset covers far more of it than MELD's would.
    expect(coverage.text.vocabulary).toBe(text.vocabulary.length);
    expect(coverage.text.pretrained / coverage.text.vocabulary).toBeGreaterThan(0.85);
    expect(text.vocabulary).toContain('plot');
    const { model: meldVectors, coverage: meldCoverage } = await createModelForDataset(mosi, { seed: 2, wordVectors: await loadWordVectors() });
    expect(meldCoverage.text.pretrained).toBeLessThan(coverage.text.pretrained);
    model.dispose();
    meldVectors.dispose();
  });
});
