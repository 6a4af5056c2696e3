import { EmojeInputError } from '@emoje/core';
import { embeddingMatrix, type DialogueDataset, type WordVectors } from '@emoje/datasets';
import { Vocabulary } from '@emoje/encoders';
import { loadMosiWordVectors, loadWordVectors } from '@emoje/datasets/node';
import { createModel, type EmojeModel, type ModalityConfig, type ModelConfig, type TokenModalityConfig } from '@emoje/model';
import { classWeightsFromLabels, presetFor, type Preset } from './presets';

/** Options of {@link modelModalities}. */
export interface ModelModalitiesOptions {
  /** Pretrained word vectors for the text modalities (e.g. `loadWordVectors()` of `@emoje/datasets/node`). */
  wordVectors?: WordVectors;
  /** Settings of every token modality (vocabulary excepted). */
  tokens?: Omit<TokenModalityConfig, 'name' | 'kind' | 'vocabulary'>;
  /** Keep training tokens seen at least this often (plus every token with a pretrained vector). Defaults to 2. */
  minCount?: number;
}

/** The model's modalities for a dataset, and the word vectors to start its token modalities from. */
export interface ModelModalities {
  modalities: ModalityConfig[];
  /** Per token modality: the `[vocabulary, embeddingDim]` table to pass to `network.setWordVectors`. */
  wordVectors: Record<string, Float32Array>;
  /** Per token modality: how many vocabulary entries had a pretrained vector. */
  coverage: Record<string, { vocabulary: number; pretrained: number }>;
}

/**
 * Turns a dataset's modality specs into the model's: a vector modality stays as it is; a text modality becomes
 * a token modality whose vocabulary is built from the training split only (tokens seen `minCount` times, and every
 * training token that has a pretrained vector), with its embedding table taken from `wordVectors` when given.
 */
export function modelModalities(dataset: DialogueDataset, options: ModelModalitiesOptions = {}): ModelModalities {
  const wordVectors: Record<string, Float32Array> = {};
  const coverage: ModelModalities['coverage'] = {};
  const modalities = dataset.modalities.map((spec): ModalityConfig => {
    if (spec.kind === 'vector') return { name: spec.name, kind: 'vector', dim: spec.dim, ...(spec.encoder ? { encoder: spec.encoder } : {}) };
    const texts = dataset.train.flatMap((d) => d.utterances.map((u) => u.features[spec.name])).filter((t): t is string => typeof t === 'string');
    if (texts.length === 0) {
      throw new EmojeInputError(`dataset.train[].utterances[].features.${spec.name}`, 'training texts to build a vocabulary from', 'none');
    }
    const embeddingDim = options.wordVectors?.dim ?? options.tokens?.embeddingDim;
    if (options.wordVectors && options.tokens?.embeddingDim && options.tokens.embeddingDim !== options.wordVectors.dim) {
      throw new EmojeInputError('tokens.embeddingDim', `the width of the word vectors (${options.wordVectors.dim})`, String(options.tokens.embeddingDim));
    }
    const vocabulary = Vocabulary.build(texts, { minCount: options.minCount ?? 2, include: options.wordVectors?.words });
    if (options.wordVectors) {
      const table = embeddingMatrix(vocabulary.tokens, options.wordVectors);
      wordVectors[spec.name] = table.matrix;
      coverage[spec.name] = { vocabulary: vocabulary.size, pretrained: table.covered };
    }
    return { ...options.tokens, name: spec.name, kind: 'tokens', vocabulary: [...vocabulary.tokens], ...(embeddingDim ? { embeddingDim } : {}) };
  });
  return { modalities, wordVectors, coverage };
}

/** Options of {@link createModelForDataset}. */
export interface ModelForDatasetOptions {
  /** The preset; defaults to `presetFor(dataset)`. */
  preset?: Preset;
  seed?: number;
  blocks?: ModelConfig['blocks'];
  /** Model settings over the preset's. */
  overrides?: Partial<Omit<ModelConfig, 'modalities' | 'classes'>>;
  /**
   * Word vectors for the text modalities: defaults to the GloVe 6B 100-d vectors bundled with `@emoje/datasets`, those
   * of MOSI's words for CMU-MOSI (`loadMosi({ text: 'tokens' })`, `loadMosiWordVectors`), else those of MELD's
   * vocabulary (`loadWordVectors`); `null` starts from random vectors.
   */
  wordVectors?: WordVectors | null;
}

/**
 * A fresh model for a dataset: its modalities (text becomes a token modality with a vocabulary from the training
 * split, started from word vectors), the preset's sizes (with its `singleModality` settings over them when the
 * dataset has one modality), and class weights from the training labels.
 */
export async function createModelForDataset(dataset: DialogueDataset, options: ModelForDatasetOptions = {}): Promise<{ model: EmojeModel; coverage: ModelModalities['coverage'] }> {
  const preset = options.preset ?? presetFor(dataset);
  const hasText = dataset.modalities.some((m) => m.kind === 'text');
  const bundled = () => (dataset.name === 'cmu-mosi' ? loadMosiWordVectors() : loadWordVectors());
  const wordVectors = options.wordVectors === undefined ? (hasText ? await bundled() : undefined) : (options.wordVectors ?? undefined);
  const { modalities, wordVectors: tables, coverage } = modelModalities(dataset, { wordVectors, tokens: preset.tokens });
  const power = preset.classWeightPower ?? 0;
  const model = createModel({
    ...preset.model,
    ...(dataset.modalities.length === 1 ? preset.singleModality : {}),
    ...options.overrides,
    modalities,
    classes: dataset.classes,
    ...(power > 0 ? { classWeights: classWeightsFromLabels(dataset.train, dataset.classes.length, power) } : {}),
    ...(options.blocks ? { blocks: options.blocks } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
  for (const [name, table] of Object.entries(tables)) model.network.setWordVectors(name, table);
  return { model, coverage };
}
