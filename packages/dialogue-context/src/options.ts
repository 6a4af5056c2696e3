import {
  ACTIVATIONS,
  EmojeInputError,
  assertInteger,
  assertNumberInRange,
  assertOneOf,
  type ActivationName,
} from '@emoje/core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** The arguments every tfjs layer accepts (`name`, `trainable`, `dtype`, ...). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/**
 * Options of {@link DialogueContext}. Only `units` is required.
 */
export interface DialogueContextOptions {
  /** Output width H (also the width of the context encoders). Required, a positive integer. */
  units: number;
  /** Transformer encoder layers in each context branch. Defaults to 2. */
  numLayers?: number;
  /** Attention heads; must divide `units`. Defaults to 4. */
  numHeads?: number;
  /** Hidden width of each feed-forward sublayer. Defaults to `2 * units`. */
  feedForwardDim?: number;
  /** Number of distinct speaker ids per dialogue; ids must lie in `[0, maxSpeakers)`. Defaults to 16. */
  maxSpeakers?: number;
  /** Longest dialogue accepted (size of the sinusoidal position table). Defaults to 256. */
  maxUtterances?: number;
  /** Causal (streaming) mode: utterance i sees only utterances j <= i. Defaults to `false` (bidirectional). */
  causal?: boolean;
  /** Include the global branch (every real utterance of the dialogue). Defaults to `true`. */
  globalContext?: boolean;
  /** Include the per-speaker branch (only utterances by the same speaker). Defaults to `true`. */
  speakerContext?: boolean;
  /** Dropout rate in [0, 1), active only when called with `training: true`. Defaults to 0.1. */
  dropout?: number;
  /** Feed-forward activation: `'gelu'`, `'relu'`, `'tanh'` or `'linear'`. Defaults to `'gelu'`. */
  activation?: ActivationName;
  /**
   * Seed for weight initialisation and for the per-call dropout seeds. Defaults to unseeded
   * (fresh random weights on every construction).
   */
  seed?: number | null;
}

/** Constructor arguments of {@link DialogueContext}: its options plus the standard tfjs layer arguments. */
export interface DialogueContextArgs extends LayerArgs, DialogueContextOptions {}

/** The options with every default filled in. */
export interface ResolvedDialogueContextOptions {
  units: number;
  numLayers: number;
  numHeads: number;
  feedForwardDim: number;
  maxSpeakers: number;
  maxUtterances: number;
  causal: boolean;
  globalContext: boolean;
  speakerContext: boolean;
  dropout: number;
  activation: ActivationName;
  seed: number | null;
}

/** Defaults of every option but `units` (and `feedForwardDim`, which defaults to `2 * units`). */
export const DIALOGUE_CONTEXT_DEFAULTS = {
  numLayers: 2,
  numHeads: 4,
  maxSpeakers: 16,
  maxUtterances: 256,
  causal: false,
  globalContext: true,
  speakerContext: true,
  dropout: 0.1,
  activation: 'gelu',
} as const satisfies Omit<ResolvedDialogueContextOptions, 'units' | 'feedForwardDim' | 'seed'>;

function assertBoolean(field: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw new EmojeInputError(field, 'a boolean', JSON.stringify(value));
}

/**
 * Fills in defaults and validates every option.
 * @throws EmojeInputError naming the first bad option.
 */
export function resolveDialogueContextOptions(args: DialogueContextOptions): ResolvedDialogueContextOptions {
  if (args == null || typeof args !== 'object') {
    throw new EmojeInputError('args', 'an object with at least `units`', String(args));
  }
  const units = args.units;
  assertInteger('units', units, 1);
  const numLayers = args.numLayers ?? DIALOGUE_CONTEXT_DEFAULTS.numLayers;
  assertInteger('numLayers', numLayers, 1);
  const numHeads = args.numHeads ?? DIALOGUE_CONTEXT_DEFAULTS.numHeads;
  assertInteger('numHeads', numHeads, 1);
  if (units % numHeads !== 0) {
    throw new EmojeInputError('numHeads', `a divisor of units (${units})`, String(numHeads));
  }
  const feedForwardDim = args.feedForwardDim ?? 2 * units;
  assertInteger('feedForwardDim', feedForwardDim, 1);
  const maxSpeakers = args.maxSpeakers ?? DIALOGUE_CONTEXT_DEFAULTS.maxSpeakers;
  assertInteger('maxSpeakers', maxSpeakers, 1);
  const maxUtterances = args.maxUtterances ?? DIALOGUE_CONTEXT_DEFAULTS.maxUtterances;
  assertInteger('maxUtterances', maxUtterances, 1);
  const causal = args.causal ?? DIALOGUE_CONTEXT_DEFAULTS.causal;
  assertBoolean('causal', causal);
  const globalContext = args.globalContext ?? DIALOGUE_CONTEXT_DEFAULTS.globalContext;
  assertBoolean('globalContext', globalContext);
  const speakerContext = args.speakerContext ?? DIALOGUE_CONTEXT_DEFAULTS.speakerContext;
  assertBoolean('speakerContext', speakerContext);
  if (!globalContext && !speakerContext) {
    throw new EmojeInputError('speakerContext', 'globalContext or speakerContext to be true', 'both false');
  }
  const dropout = args.dropout ?? DIALOGUE_CONTEXT_DEFAULTS.dropout;
  assertNumberInRange('dropout', dropout, 0, 1);
  if (dropout >= 1) throw new EmojeInputError('dropout', 'a number in [0, 1)', String(dropout));
  const activation = args.activation ?? DIALOGUE_CONTEXT_DEFAULTS.activation;
  assertOneOf('activation', activation, ACTIVATIONS);
  const seed = args.seed ?? null;
  if (seed !== null) assertInteger('seed', seed, 0);
  return {
    units,
    numLayers,
    numHeads,
    feedForwardDim,
    maxSpeakers,
    maxUtterances,
    causal,
    globalContext,
    speakerContext,
    dropout,
    activation,
    seed,
  };
}
