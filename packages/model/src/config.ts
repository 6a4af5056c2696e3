import { EmojeInputError, assertInteger, assertNumberInRange } from '@emoje/core';

/** One input modality of the model: a feature vector per utterance, or text read through a vocabulary. */
export type ModalityConfig = VectorModalityConfig | TokenModalityConfig;

/** A modality given as one feature vector of width `dim` per utterance. */
export interface VectorModalityConfig {
  /** Name used in data and predictions, e.g. `audio`, `visual`. */
  name: string;
  kind: 'vector';
  /** Feature width. */
  dim: number;
  /**
   * The sentence encoder whose vectors this modality reads (its `id`, e.g. `'use-lite-512@1'` of
   * `@emoje/sentence-encoder`), when the vectors are sentence embeddings of the utterance text. Saved with the model;
   * {@link assertModalityEncoders} refuses data whose vectors come from another encoder. Defaults to none.
   */
  encoder?: string;
}

/**
 * A text modality: each utterance's text (a string, tokenized with `tokenize` from `@emoje/encoders`, or
 * token ids) through an embedding table and a temporal encoder. The vocabulary is saved with the model, so a
 * loaded model reads raw text.
 */
export interface TokenModalityConfig {
  /** Name used in data and predictions, e.g. `text`. */
  name: string;
  kind: 'tokens';
  /** The token of each id; `vocabulary[0]` must be `'<pad>'` and `vocabulary[1]` `'<unk>'` (see `Vocabulary`). */
  vocabulary: string[];
  /** Width of the word vectors. Defaults to 100. */
  embeddingDim?: number;
  /** Longest token sequence kept per utterance (longer texts are cut). Defaults to 64. */
  maxTokens?: number;
  /** Whether training updates the word vectors. Defaults to false (frozen pretrained vectors). */
  trainableEmbeddings?: boolean;
  /** Temporal encoder over the tokens. Defaults to `'convolution'`. */
  temporal?: 'convolution' | 'attention';
  /**
   * Kernel width of the temporal convolution (odd), or a list of odd widths for a multi-width convolution in the
   * manner of Kim's text CNN (e.g. `[3, 5]`: each width gives an equal share of the `units` channels; see
   * `TemporalEncoderArgs.kernelSize` in `@emoje/encoders`). Defaults to 3.
   */
  kernelSize?: number | number[];
  /**
   * What the cross-modal attention sees of this modality: its token sequence (the design's default) or only its
   * pooled vector (cheaper: with text as the only modality, cross-attention has nothing to attend to anyway).
   * Defaults to `'tokens'`.
   */
  crossAttention?: 'tokens' | 'pooled';
  /** How the token outputs become the utterance's pooled vector: mean or per-channel max. Defaults to `'mean'`. */
  pooling?: 'mean' | 'max';
}

/** A {@link ModalityConfig} with every default filled in. */
export type ResolvedModalityConfig = VectorModalityConfig | Required<TokenModalityConfig>;

export const DEFAULT_TOKEN_MODALITY = {
  embeddingDim: 100,
  maxTokens: 64,
  trainableEmbeddings: false,
  temporal: 'convolution',
  kernelSize: 3,
  crossAttention: 'tokens',
  pooling: 'mean',
} as const;

/** Which blocks are on. Turning one off gives the design's ablations. */
export interface BlockSwitches {
  /** Joint embedding + compensation of missing modalities. Off: missing = zeros + mask. Defaults to true. */
  jointEmbedding: boolean;
  /** Query-adaptive fusion. Off: masked concatenation of the modality descriptors. Defaults to true. */
  queryAdaptiveFusion: boolean;
  /** Speaker-aware dialogue context. Off: each utterance is classified alone. Defaults to true. */
  dialogueContext: boolean;
  /**
   * A dialogue context per vector modality before the fusion (each over the utterances where that modality is present),
   * in the manner of bc-LSTM's unimodal contextual stage. Off by default (the design's context is after fusion only).
   */
  modalityContext: boolean;
}

/** Weights of the auxiliary losses in `L = L_focal + ace*L_ACE + joint*L_joint + reconstruction*L_rec + auxiliary*L_aux`. */
export interface LossWeights {
  /** Guided NCE across modalities on the ACN descriptors. Defaults to 0.5. */
  ace: number;
  /** Symmetric InfoNCE of the joint embedding. Defaults to 0.5. */
  joint: number;
  /** Reconstruction of present descriptors from the other modalities. Defaults to 0.5. */
  reconstruction: number;
  /** Per-modality focal heads on the ACN descriptors. Defaults to 0.5. */
  auxiliary: number;
}

/** Everything that defines an AM²-EmoJE model. Only `modalities` and `classes` are required. */
export interface ModelConfig {
  modalities: ModalityConfig[];
  /** Class names, in label order. */
  classes: string[];
  /** Common width D of the modality descriptors. Defaults to 64. */
  units?: number;
  /** Layers of the adaptive cross-attended network. Defaults to 2. */
  acnLayers?: number;
  /** Attention heads everywhere. Defaults to 4. */
  numHeads?: number;
  /** Width E of the joint embedding space. Defaults to 32. */
  embeddingDim?: number;
  /** Width H of the dialogue context. Defaults to 64. */
  contextUnits?: number;
  /** Layers of the dialogue context. Defaults to 1. */
  contextLayers?: number;
  /** Only past utterances count (streaming). Defaults to false. */
  causal?: boolean;
  /** Largest number of speakers in one dialogue. Defaults to 16. */
  maxSpeakers?: number;
  /** Dropout rate of every block. Defaults to 0.2. */
  dropout?: number;
  /** Gaussian noise (in standard deviations) added to the standardised input features while training. Defaults to 0.1. */
  inputNoise?: number;
  /** Dropout on the standardised input features while training. Defaults to 0.1. */
  inputDropout?: number;
  /** Rescale each standardised feature vector to a fixed norm (see FeatureNormalizer). Defaults to false. */
  inputUnitNorm?: boolean;
  /** Focal loss exponent. Defaults to 1. */
  focalGamma?: number;
  /** Per-class weights of the focal loss, in class order. Defaults to none (all 1). */
  classWeights?: number[] | null;
  /** Temperature of the guided NCE. Defaults to 0.1. */
  aceTemperature?: number;
  blocks?: Partial<BlockSwitches>;
  lossWeights?: Partial<LossWeights>;
  /** Seed of the weight initialisers and dropout. Defaults to 1. */
  seed?: number;
}

/** A {@link ModelConfig} with every default filled in. */
export type ResolvedModelConfig = Required<Omit<ModelConfig, 'modalities' | 'blocks' | 'lossWeights' | 'classWeights'>> & {
  modalities: ResolvedModalityConfig[];
  blocks: BlockSwitches;
  lossWeights: LossWeights;
  classWeights: number[] | null;
};

export const DEFAULT_MODEL_CONFIG = {
  units: 64,
  acnLayers: 2,
  numHeads: 4,
  embeddingDim: 32,
  contextUnits: 64,
  contextLayers: 1,
  causal: false,
  maxSpeakers: 16,
  dropout: 0.2,
  inputNoise: 0.1,
  inputDropout: 0.1,
  inputUnitNorm: false,
  focalGamma: 1,
  aceTemperature: 0.1,
  seed: 1,
  blocks: { jointEmbedding: true, queryAdaptiveFusion: true, dialogueContext: true, modalityContext: false } as BlockSwitches,
  lossWeights: { ace: 0.5, joint: 0.5, reconstruction: 0.5, auxiliary: 0.5 } as LossWeights,
} as const;

/** Copies `config`, fills in defaults and range-checks every field (errors name the field). */
export function resolveModelConfig(config: ModelConfig): ResolvedModelConfig {
  if (config == null || typeof config !== 'object') {
    throw new EmojeInputError('config', 'an object with modalities and classes', String(config));
  }
  if (!Array.isArray(config.modalities) || config.modalities.length === 0) {
    throw new EmojeInputError('config.modalities', 'a non-empty array of {name, kind, dim}', JSON.stringify(config.modalities));
  }
  const names = new Set<string>();
  const modalities = config.modalities.map((m, i) => {
    if (!m || typeof m.name !== 'string' || m.name.length === 0) {
      throw new EmojeInputError(`config.modalities[${i}].name`, 'a non-empty string', JSON.stringify(m?.name));
    }
    if (names.has(m.name)) throw new EmojeInputError(`config.modalities[${i}].name`, 'a unique name', JSON.stringify(m.name));
    names.add(m.name);
    return resolveModality(m, `config.modalities[${i}]`);
  });
  if (!Array.isArray(config.classes) || config.classes.length < 2 || config.classes.some((c) => typeof c !== 'string')) {
    throw new EmojeInputError('config.classes', 'an array of at least 2 class names', JSON.stringify(config.classes));
  }
  const d = DEFAULT_MODEL_CONFIG;
  const resolved: ResolvedModelConfig = {
    modalities,
    classes: [...config.classes],
    units: config.units ?? d.units,
    acnLayers: config.acnLayers ?? d.acnLayers,
    numHeads: config.numHeads ?? d.numHeads,
    embeddingDim: config.embeddingDim ?? d.embeddingDim,
    contextUnits: config.contextUnits ?? d.contextUnits,
    contextLayers: config.contextLayers ?? d.contextLayers,
    causal: config.causal ?? d.causal,
    maxSpeakers: config.maxSpeakers ?? d.maxSpeakers,
    dropout: config.dropout ?? d.dropout,
    inputNoise: config.inputNoise ?? d.inputNoise,
    inputDropout: config.inputDropout ?? d.inputDropout,
    inputUnitNorm: config.inputUnitNorm ?? d.inputUnitNorm,
    focalGamma: config.focalGamma ?? d.focalGamma,
    classWeights: config.classWeights ?? null,
    aceTemperature: config.aceTemperature ?? d.aceTemperature,
    seed: config.seed ?? d.seed,
    blocks: { ...d.blocks, ...config.blocks },
    lossWeights: { ...d.lossWeights, ...config.lossWeights },
  };
  assertInteger('config.units', resolved.units, 1);
  assertInteger('config.acnLayers', resolved.acnLayers, 1);
  assertInteger('config.numHeads', resolved.numHeads, 1);
  if (resolved.units % resolved.numHeads !== 0 || resolved.contextUnits % resolved.numHeads !== 0) {
    throw new EmojeInputError('config.numHeads', `a divisor of units (${resolved.units}) and contextUnits (${resolved.contextUnits})`, String(resolved.numHeads));
  }
  assertInteger('config.embeddingDim', resolved.embeddingDim, 1);
  assertInteger('config.contextUnits', resolved.contextUnits, 1);
  assertInteger('config.contextLayers', resolved.contextLayers, 1);
  assertInteger('config.maxSpeakers', resolved.maxSpeakers, 1);
  assertNumberInRange('config.dropout', resolved.dropout, 0, 0.95);
  assertNumberInRange('config.inputNoise', resolved.inputNoise, 0, 10);
  assertNumberInRange('config.inputDropout', resolved.inputDropout, 0, 0.95);
  assertNumberInRange('config.focalGamma', resolved.focalGamma, 0, 10);
  assertNumberInRange('config.aceTemperature', resolved.aceTemperature, 1e-3, 10);
  assertInteger('config.seed', resolved.seed, 0);
  if (resolved.classWeights) {
    if (resolved.classWeights.length !== resolved.classes.length || resolved.classWeights.some((w) => !(w >= 0) || !Number.isFinite(w))) {
      throw new EmojeInputError('config.classWeights', `${resolved.classes.length} finite non-negative numbers`, JSON.stringify(resolved.classWeights));
    }
  }
  for (const key of Object.keys(resolved.lossWeights) as (keyof LossWeights)[]) {
    assertNumberInRange(`config.lossWeights.${key}`, resolved.lossWeights[key], 0, 100);
  }
  for (const key of Object.keys(resolved.blocks) as (keyof BlockSwitches)[]) {
    if (typeof resolved.blocks[key] !== 'boolean') {
      throw new EmojeInputError(`config.blocks.${key}`, 'true or false', JSON.stringify(resolved.blocks[key]));
    }
  }
  return resolved;
}

function resolveModality(m: ModalityConfig, at: string): ResolvedModalityConfig {
  if (m.kind === 'vector') {
    assertInteger(`${at}.dim`, m.dim, 1);
    if (m.encoder !== undefined && (typeof m.encoder !== 'string' || m.encoder.length === 0)) {
      throw new EmojeInputError(`${at}.encoder`, 'the id of a sentence encoder (a non-empty string)', JSON.stringify(m.encoder));
    }
    return { name: m.name, kind: 'vector', dim: m.dim, ...(m.encoder !== undefined ? { encoder: m.encoder } : {}) };
  }
  if (m.kind !== 'tokens') throw new EmojeInputError(`${at}.kind`, "'vector' or 'tokens'", JSON.stringify((m as { kind?: unknown }).kind));
  const vocabulary = m.vocabulary;
  if (!Array.isArray(vocabulary) || vocabulary.length < 3 || vocabulary[0] !== '<pad>' || vocabulary[1] !== '<unk>') {
    throw new EmojeInputError(`${at}.vocabulary`, "an array of tokens starting with '<pad>', '<unk>' and at least one word", JSON.stringify(Array.isArray(vocabulary) ? vocabulary.slice(0, 3) : vocabulary));
  }
  const d = DEFAULT_TOKEN_MODALITY;
  const resolved: Required<TokenModalityConfig> = {
    name: m.name,
    kind: 'tokens',
    vocabulary: [...vocabulary],
    embeddingDim: m.embeddingDim ?? d.embeddingDim,
    maxTokens: m.maxTokens ?? d.maxTokens,
    trainableEmbeddings: m.trainableEmbeddings ?? d.trainableEmbeddings,
    temporal: m.temporal ?? d.temporal,
    kernelSize: Array.isArray(m.kernelSize) ? [...m.kernelSize] : (m.kernelSize ?? d.kernelSize),
    crossAttention: m.crossAttention ?? d.crossAttention,
    pooling: m.pooling ?? d.pooling,
  };
  assertInteger(`${at}.embeddingDim`, resolved.embeddingDim, 1);
  assertInteger(`${at}.maxTokens`, resolved.maxTokens, 1);
  const widths = Array.isArray(resolved.kernelSize) ? resolved.kernelSize : [resolved.kernelSize];
  if (widths.length === 0) throw new EmojeInputError(`${at}.kernelSize`, 'an odd integer or a non-empty list of odd integers', '[]');
  for (const k of widths) {
    assertInteger(`${at}.kernelSize`, k, 1);
    if (k % 2 === 0) throw new EmojeInputError(`${at}.kernelSize`, 'odd integers', JSON.stringify(resolved.kernelSize));
  }
  if (typeof resolved.trainableEmbeddings !== 'boolean') {
    throw new EmojeInputError(`${at}.trainableEmbeddings`, 'true or false', JSON.stringify(resolved.trainableEmbeddings));
  }
  if (resolved.pooling !== 'mean' && resolved.pooling !== 'max') {
    throw new EmojeInputError(`${at}.pooling`, "'mean' or 'max'", JSON.stringify(resolved.pooling));
  }
  if (resolved.crossAttention !== 'tokens' && resolved.crossAttention !== 'pooled') {
    throw new EmojeInputError(`${at}.crossAttention`, "'tokens' or 'pooled'", JSON.stringify(resolved.crossAttention));
  }
  if (resolved.temporal !== 'convolution' && resolved.temporal !== 'attention') {
    throw new EmojeInputError(`${at}.temporal`, "'convolution' or 'attention'", JSON.stringify(resolved.temporal));
  }
  return resolved;
}
