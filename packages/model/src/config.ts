import { EmojeInputError, assertInteger, assertNumberInRange, assertOneOf } from '@emoje/core';
import { COMPENSATION_MODES, type CompensationMode } from '@emoje/joint-embedding';

/**
 * One input modality of the model: a feature vector per utterance, text read through a vocabulary, or a sequence of
 * feature frames per utterance (e.g. audio frames).
 */
export type ModalityConfig = VectorModalityConfig | TokenModalityConfig | FrameModalityConfig;

/**
 * A frame-sequence modality: each utterance gives a sequence of feature frames of width `dim`, as one flat
 * `Float32Array` of `frames x dim` values (frame after frame; e.g. `audioFrameFeatures` of `@emoje/encoders`, rows
 * concatenated). The frames are standardised per feature, then encoded by the frame-sequence encoder (`sequenceEncoder`
 * of `@emoje/encoders`: projection, positional encoding, masked temporal convolution or self-attention, masked mean
 * pooling); the cross-modal attention attends over the frames. Padded frames never change the output.
 */
export interface FrameModalityConfig {
  /** Name used in data and predictions, e.g. `audio`. */
  name: string;
  kind: 'frames';
  /** Width of one frame. */
  dim: number;
  /** Longest frame sequence kept per utterance (longer ones are cut). Defaults to 256. */
  maxFrames?: number;
  /** Temporal encoder over the frames. Defaults to `'convolution'`. */
  temporal?: 'convolution' | 'attention';
  /** Kernel width of the temporal convolution (odd). Defaults to 5. */
  kernelSize?: number;
  /** Layers of the temporal encoder. Defaults to 1. */
  temporalLayers?: number;
  /** What the cross-modal attention sees: the frame tokens, or only the pooled vector. Defaults to `'tokens'`. */
  crossAttention?: 'tokens' | 'pooled';
}

export const DEFAULT_FRAME_MODALITY = {
  maxFrames: 256,
  temporal: 'convolution',
  kernelSize: 5,
  temporalLayers: 1,
  crossAttention: 'tokens',
} as const;

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
export type ResolvedModalityConfig = VectorModalityConfig | Required<TokenModalityConfig> | Required<FrameModalityConfig>;

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
  /**
   * Longest dialogue the model accepts (the size of the dialogue context's sinusoidal position table; no weights
   * depend on it). Longer dialogues are refused up front, naming the dialogue. Defaults to 256.
   */
  maxUtterances?: number;
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
  /**
   * Which cross-modal contrastive loss the `ace` term is, on the ACN descriptors (negatives: the other modalities'
   * slots of the other utterances in the batch):
   * - `'guided'` (the design's guided NCE): supervised, positives are the other modalities of the same utterance and
   *   of every same-label utterance in the batch;
   * - `'instance'` (the authors' cross-modal NCE): instance discrimination across modalities, positives are only the
   *   other modalities of the same utterance; labels are not used.
   * Defaults to `'guided'`.
   */
  aceMode?: AceMode;
  /** Temperature of the `ace` term. Defaults to 0.1 for `aceMode: 'guided'` and 0.07 (the authors') for `'instance'`. */
  aceTemperature?: number;
  /**
   * How the joint embedding rebuilds a missing modality (see `JointEmbeddingArgs.compensation` in
   * `@emoje/joint-embedding`): `'decoder'` (a decoder per modality from the mean embedding of the present ones, the
   * design's) or `'substitute'` (that mean embedding itself, projected back by one shared linear map). Defaults to
   * `'decoder'`.
   */
  compensation?: CompensationMode;
  blocks?: Partial<BlockSwitches>;
  lossWeights?: Partial<LossWeights>;
  /** Seed of the weight initialisers and dropout. Defaults to 1. */
  seed?: number;
}

/** The values of {@link ModelConfig.aceMode}. */
export type AceMode = 'guided' | 'instance';
export const ACE_MODES: readonly AceMode[] = ['guided', 'instance'];

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
  maxUtterances: 256,
  dropout: 0.2,
  inputNoise: 0.1,
  inputDropout: 0.1,
  inputUnitNorm: false,
  focalGamma: 1,
  aceMode: 'guided',
  aceTemperature: 0.1,
  /** The default temperature of `aceMode: 'instance'` (the authors'). */
  instanceTemperature: 0.07,
  compensation: 'decoder',
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
    maxUtterances: config.maxUtterances ?? d.maxUtterances,
    dropout: config.dropout ?? d.dropout,
    inputNoise: config.inputNoise ?? d.inputNoise,
    inputDropout: config.inputDropout ?? d.inputDropout,
    inputUnitNorm: config.inputUnitNorm ?? d.inputUnitNorm,
    focalGamma: config.focalGamma ?? d.focalGamma,
    classWeights: config.classWeights ?? null,
    aceMode: config.aceMode ?? d.aceMode,
    aceTemperature: config.aceTemperature ?? ((config.aceMode ?? d.aceMode) === 'instance' ? d.instanceTemperature : d.aceTemperature),
    compensation: config.compensation ?? d.compensation,
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
  assertInteger('config.maxUtterances', resolved.maxUtterances, 1);
  assertNumberInRange('config.dropout', resolved.dropout, 0, 0.95);
  assertNumberInRange('config.inputNoise', resolved.inputNoise, 0, 10);
  assertNumberInRange('config.inputDropout', resolved.inputDropout, 0, 0.95);
  assertNumberInRange('config.focalGamma', resolved.focalGamma, 0, 10);
  assertOneOf('config.aceMode', resolved.aceMode, ACE_MODES);
  assertNumberInRange('config.aceTemperature', resolved.aceTemperature, 1e-3, 10);
  assertOneOf('config.compensation', resolved.compensation, COMPENSATION_MODES);
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
  if (m.kind === 'frames') return resolveFrameModality(m, at);
  if (m.kind !== 'tokens') throw new EmojeInputError(`${at}.kind`, "'vector', 'tokens' or 'frames'", JSON.stringify((m as { kind?: unknown }).kind));
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

function resolveFrameModality(m: FrameModalityConfig, at: string): Required<FrameModalityConfig> {
  const d = DEFAULT_FRAME_MODALITY;
  const resolved: Required<FrameModalityConfig> = {
    name: m.name,
    kind: 'frames',
    dim: m.dim,
    maxFrames: m.maxFrames ?? d.maxFrames,
    temporal: m.temporal ?? d.temporal,
    kernelSize: m.kernelSize ?? d.kernelSize,
    temporalLayers: m.temporalLayers ?? d.temporalLayers,
    crossAttention: m.crossAttention ?? d.crossAttention,
  };
  assertInteger(`${at}.dim`, resolved.dim, 1);
  assertInteger(`${at}.maxFrames`, resolved.maxFrames, 1, 4096);
  assertInteger(`${at}.temporalLayers`, resolved.temporalLayers, 1, 16);
  assertInteger(`${at}.kernelSize`, resolved.kernelSize, 1);
  if (resolved.kernelSize % 2 === 0) throw new EmojeInputError(`${at}.kernelSize`, 'an odd integer', String(resolved.kernelSize));
  if (resolved.temporal !== 'convolution' && resolved.temporal !== 'attention') {
    throw new EmojeInputError(`${at}.temporal`, "'convolution' or 'attention'", JSON.stringify(resolved.temporal));
  }
  if (resolved.crossAttention !== 'tokens' && resolved.crossAttention !== 'pooled') {
    throw new EmojeInputError(`${at}.crossAttention`, "'tokens' or 'pooled'", JSON.stringify(resolved.crossAttention));
  }
  return resolved;
}
