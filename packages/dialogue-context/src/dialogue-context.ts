import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  BLOCK_CLASS_PREFIX,
  InitializerSource,
  SeededRandom,
  applyLayerNorm,
  applyLinear,
  createLayerNorm,
  createLinear,
  addSameShape,
  dropout,
  matMul,
  mulByConstant,
  positionalEncoding,
  withoutTape,
  zeroMasked,
  type LayerNormWeights,
  type LinearWeights,
  type WeightFactory,
} from '@emoje/core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { applyEncoderStack, createEncoder, type EncoderWeights } from './encoder';
import { cleanSpeakerIds, contextMasks, realUtterances, speakerOneHot } from './masks';
import {
  resolveDialogueContextOptions,
  type DialogueContextArgs,
  type ResolvedDialogueContextOptions,
} from './options';
import { validateInputShapes, validateSpeakerIds } from './validate';

/** Keyword arguments of `call` / `apply`: `training` (default `false`) switches dropout on. */
export type DialogueContextKwargs = { training?: boolean; [key: string]: unknown };

type AnyInputs = tf.Tensor | tf.Tensor[] | tfl.SymbolicTensor | tfl.SymbolicTensor[];

interface DialogueContextWeights {
  inputProjection: LinearWeights;
  speakerEmbedding: LayerVariable;
  global: EncoderWeights | null;
  speaker: EncoderWeights | null;
  outputNorm: LayerNormWeights;
}

/**
 * Speaker-aware dialogue context over utterance vectors (block 4 of AM²-EmoJE).
 *
 * Inputs (array form): `[x [B, U, F], utteranceMask [B, U], speakers [B, U]]`, where
 * `utteranceMask` is 1 on real utterances and `speakers` holds integer ids local to each
 * dialogue (int32 or float32). Output: `[B, U, units]`, exactly zero on padded utterances.
 *
 * Computation:
 * 1. `e = x W + b + speakerEmbedding(speaker) + position(u)`: the speaker embedding is a
 *    one-hot code times a `[maxSpeakers, units]` matrix, positions are sinusoidal.
 * 2. Global branch `G`: `numLayers` pre-LN transformer encoder layers whose self-attention sees
 *    every real utterance of the same dialogue (only `j <= i` when `causal`).
 * 3. Speaker branch `S`: the same architecture (own weights), attention also limited to
 *    utterances of the same speaker.
 * 4. `output = LayerNorm(e + G + S)`, a residual combination, so each utterance keeps its own content.
 *
 * Padded utterances are zeroed on entry (NaN included) and masked out of every attention, so
 * whatever they hold never changes a real utterance's output. Real utterances' speaker ids
 * must be integers in `[0, maxSpeakers)`.
 *
 * @example
 * ```ts
 * const x = tf.input({ shape: [null, 32] });
 * const mask = tf.input({ shape: [null] });
 * const speakers = tf.input({ shape: [null], dtype: 'int32' });
 * const h = dialogueContext({ units: 64 }).apply([x, mask, speakers]) as tf.SymbolicTensor;
 * h.shape; // [null, null, 64]
 * ```
 */
export class DialogueContext extends tfl.layers.Layer {
  /** Registered class name (prefixed so it never collides in the tfjs class registry). */
  static className = `${BLOCK_CLASS_PREFIX}DialogueContext`;

  /** The resolved options (every default filled in). */
  readonly options: ResolvedDialogueContextOptions;

  private readonly random: SeededRandom;
  private inputDim: number | null = null;
  private blockWeights: DialogueContextWeights | null = null;

  /**
   * @throws EmojeInputError naming the first invalid option.
   */
  constructor(args: DialogueContextArgs) {
    const options = resolveDialogueContextOptions(args);
    super(args);
    this.options = options;
    this.random = new SeededRandom(options.seed ?? Math.floor(Math.random() * 0x7fffffff));
    this.supportsMasking = false;
    this.inputSpec = [{ ndim: 3 }, { ndim: 2 }, { ndim: 2 }];
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    validateInputShapes(inputShape, this.options.maxUtterances, null);
    const featureDim = (inputShape as tfl.Shape[])[0][2] as number;
    const o = this.options;
    const add: WeightFactory = (name, shape, init) => this.addWeight(name, shape, 'float32', init);
    const init = new InitializerSource(o.seed ?? undefined);
    this.blockWeights = {
      inputProjection: createLinear(add, init, 'input_projection', featureDim, o.units),
      speakerEmbedding: add('speaker_embedding', [o.maxSpeakers, o.units], init.normal(0.02)),
      global: o.globalContext
        ? createEncoder(add, init, 'global', o.units, o.numLayers, o.numHeads, o.feedForwardDim)
        : null,
      speaker: o.speakerContext
        ? createEncoder(add, init, 'speaker', o.units, o.numLayers, o.numHeads, o.feedForwardDim)
        : null,
      outputNorm: createLayerNorm(add, init, 'output_norm', o.units),
    };
    this.inputDim = featureDim;
    this.inputSpec = [{ ndim: 3, axes: { [-1]: featureDim } }, { ndim: 2 }, { ndim: 2 }];
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    validateInputShapes(inputShape, this.options.maxUtterances, this.inputDim);
    const x = (inputShape as tfl.Shape[])[0];
    return [x[0], x[1], this.options.units];
  }

  /**
   * Validates the inputs' count and shapes (naming the input at fault), then applies the layer.
   * @throws EmojeInputError on a bad input.
   */
  override apply(inputs: AnyInputs, kwargs?: DialogueContextKwargs): AnyInputs {
    validateInputShapes(
      Array.isArray(inputs) ? inputs.map((t) => t.shape) : inputs.shape,
      this.options.maxUtterances,
      this.inputDim,
    );
    return super.apply(inputs, kwargs);
  }

  /**
   * @param inputs `[x [B, U, F], utteranceMask [B, U], speakers [B, U]]`.
   * @param kwargs `training` (default `false`) enables dropout.
   * @returns `[B, U, units]`, zero on padded utterances.
   * @throws EmojeInputError on bad shapes or a real utterance's speaker id outside `[0, maxSpeakers)`.
   */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: DialogueContextKwargs): tf.Tensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    validateInputShapes(list.map((t) => t.shape), this.options.maxUtterances, this.inputDim);
    const [x, utteranceMask, speakers] = list;
    validateSpeakerIds(utteranceMask, speakers, this.options.maxSpeakers);
    const weights = this.blockWeights;
    if (weights == null) throw new Error(`${this.name}: call() before build()`);
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const o = this.options;
      const training = kwargs?.training === true;
      const rate = o.dropout;
      const [b, u] = x.shape as number[];
      const real = realUtterances(utteranceMask);
      const keep = withoutTape(() => tf.expandDims(real, -1));
      const ids = cleanSpeakerIds(speakers, real);

      const projected = applyLinear(zeroMasked(x, real), weights.inputProjection);
      const oneHot = tf.reshape(speakerOneHot(ids, real, o.maxSpeakers), [b * u, o.maxSpeakers]);
      const speakerVectors = tf.reshape(matMul(oneHot, weights.speakerEmbedding.read()), [b, u, o.units]);
      const positions = tf.expandDims(positionalEncoding(u, o.units), 0);
      const summed = mulByConstant(tf.add(addSameShape(projected, speakerVectors), positions), keep);
      const embedded = dropout(summed, rate, training, training && rate > 0 ? this.random.seed() : undefined);

      const masks = contextMasks(real, ids, o.causal);
      const run = { activation: o.activation, dropout: rate, training, random: this.random };
      const encoders = [weights.global, weights.speaker].filter((w): w is EncoderWeights => w != null);
      const encoderMasks = [weights.global ? masks.global : null, weights.speaker ? masks.speaker : null].filter((m): m is tf.Tensor => m != null);
      // Both branches run as one stack of streams (same values as one applyEncoder call each).
      const combined = encoders.length === 0 ? embedded : addSameShape(embedded, tf.sum(applyEncoderStack(embedded, real, encoderMasks, encoders, run), 0));
      return zeroMasked(applyLayerNorm(combined, weights.outputNorm), real);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const o = this.options;
    return {
      ...super.getConfig(),
      units: o.units,
      numLayers: o.numLayers,
      numHeads: o.numHeads,
      feedForwardDim: o.feedForwardDim,
      maxSpeakers: o.maxSpeakers,
      maxUtterances: o.maxUtterances,
      causal: o.causal,
      globalContext: o.globalContext,
      speakerContext: o.speakerContext,
      dropout: o.dropout,
      activation: o.activation,
      seed: o.seed,
    };
  }
}

tf.serialization.registerClass(DialogueContext);

/**
 * Creates a {@link DialogueContext} layer (the tfjs-style lowercase factory).
 * @throws EmojeInputError naming the first invalid option.
 */
export function dialogueContext(args: DialogueContextArgs): DialogueContext {
  return new DialogueContext(args);
}
