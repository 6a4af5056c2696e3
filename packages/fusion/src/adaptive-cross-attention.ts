import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  ACTIVATIONS,
  BLOCK_CLASS_PREFIX,
  EmojeInputError,
  InitializerSource,
  SeededRandom,
  applyAttention,
  applyFeedForward,
  applyLayerNorm,
  applyStreamLayerNorm,
  applyStreamLinear,
  assertInteger,
  assertNumberInRange,
  assertOneOf,
  assertShape,
  createAttention,
  createFeedForward,
  createLayerNorm,
  dropout,
  formatShape,
  addSameShape,
  maskedMean,
  mulByConstant,
  sumOfOthers,
  withoutTape,
  zeroMasked,
  type ActivationName,
  type AttentionWeights,
  type FeedForwardWeights,
  type LayerNormWeights,
  type WeightFactory,
} from '@emoje/core';
import {
  assertOptionalInteger,
  assertOptionalSeed,
  isShapeList,
  type BaseLayerArgs,
  type LayerKwargs,
  type LayerShape,
} from './common';
import { attentionProbabilities } from './attention-probabilities';

/** Arguments of {@link AdaptiveCrossAttention}. */
export interface AdaptiveCrossAttentionArgs extends BaseLayerArgs {
  /** M, the number of modalities (the first M inputs are their token tensors). At least 1. Required. */
  numModalities: number;
  /**
   * D, the width of every modality's tokens and of the output descriptors.
   * Defaults to the last dimension of the first input (inferred at build time).
   */
  units?: number | null;
  /** L, the number of cross-attention layers. Defaults to 4. */
  numLayers?: number;
  /** Attention heads per multi-head attention; must divide D. Defaults to 4. */
  numHeads?: number;
  /** Hidden width of each feed-forward sublayer. Defaults to 2 * D. */
  feedForwardDim?: number | null;
  /** Dropout rate on attention updates, feed-forward hidden units and feed-forward updates, in [0, 1). Defaults to 0.1. */
  dropout?: number;
  /** Activation of the feed-forward sublayers: 'gelu', 'relu', 'tanh' or 'linear'. Defaults to 'gelu'. */
  activation?: ActivationName;
  /**
   * Seed of the weight initialisers and of the per-call dropout seeds. Defaults to undefined
   * (fresh random initialisation, dropout seeded from Math.random).
   */
  seed?: number | null;
}

/** How the inputs of one call are laid out. */
interface AcnLayout {
  /** Rank of each modality's token tensor: 3 (one token) or 4 (frame tokens). */
  ranks: number[];
  /** Index in the input list of each modality's frame mask, `-1` for rank-3 modalities. */
  frameMaskIndex: number[];
  batch: number | null;
  utterances: number | null;
  width: number;
}

/** One cross-attention's probabilities, from {@link AdaptiveCrossAttention.attentionWeights}. */
export interface AcnAttentionWeights {
  /** The ACN layer, 0-based. */
  layer: number;
  /** The central (query) modality's index. */
  query: number;
  /** The source (key) modality's index. */
  key: number;
  /** `[B, U, H, S_query, S_key]` attention probabilities (see {@link AdaptiveCrossAttention.attentionWeights}). */
  weights: tf.Tensor;
}

const INPUT_CONTRACT = '[h_1 .. h_M, availability [B,U,M], ...frameMasks]';

interface CrossLayerWeights {
  /** Pre-attention norm of each modality stream (its output is the stream's query and the others' keys/values). */
  attentionNorm: LayerNormWeights[];
  /** One multi-head attention per central modality, shared across its source modalities (empty when M = 1). */
  attention: AttentionWeights[];
  feedForwardNorm: LayerNormWeights[];
  feedForward: FeedForwardWeights[];
}

/**
 * Adaptive Cross-attended Network (ACN) of AM²-EmoJE.
 *
 * Each modality is a "central" stream that, in each of L pre-LayerNorm layers, attends with
 * multi-head attention to the tokens of the other modalities **of the same utterance**:
 * `q_m <- q_m + mean over present m' != m of MHA_{l,m}(LN(q_m), LN(q_m'), LN(q_m'))`, then
 * `q_m <- q_m + FFN(LN(q_m))`. Missing modalities and padded frames contribute no keys and no
 * averaging weight. The output descriptor of modality m is the masked mean of its tokens after a
 * final LayerNorm, exactly zero where m is missing. Nothing crosses utterances or dialogues.
 *
 * Inputs (array form): `[h_1 .. h_M, availability [B,U,M], ...frameMasks]`, each `h_m` either
 * `[B,U,D]` (one token) or `[B,U,S_m,D]` (frame tokens); for each rank-4 `h_m`, in order, a
 * frame mask `[B,U,S_m]` follows `availability`. Output: `c [B,U,M,D]`.
 *
 * @example
 * ```ts
 * const acn = adaptiveCrossAttention({ numModalities: 2, numLayers: 2, numHeads: 2 });
 * const text = tf.randomNormal([2, 5, 8]);          // [B, U, D]
 * const audio = tf.randomNormal([2, 5, 7, 8]);      // [B, U, S, D]
 * const availability = tf.ones([2, 5, 2]);
 * const audioFrames = tf.ones([2, 5, 7]);
 * const c = acn.apply([text, audio, availability, audioFrames]) as tf.Tensor;
 * c.shape; // [2, 5, 2, 8]
 * ```
 */
export class AdaptiveCrossAttention extends tfl.layers.Layer {
  /** @nocollapse */
  static className = `${BLOCK_CLASS_PREFIX}AdaptiveCrossAttention`;

  readonly numModalities: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly dropoutRate: number;
  readonly activation: ActivationName;
  readonly seed: number | undefined;
  /** D; undefined until built when not given. */
  units: number | undefined;
  private readonly feedForwardDimArg: number | undefined;
  private readonly random: SeededRandom;
  private layerWeights: CrossLayerWeights[] = [];
  private finalNorm: LayerNormWeights[] = [];

  /**
   * @throws EmojeInputError naming the argument when an argument is out of range.
   */
  constructor(args: AdaptiveCrossAttentionArgs) {
    super(args);
    if (args == null || typeof args !== 'object') {
      throw new EmojeInputError('args', 'an object with numModalities', String(args));
    }
    assertInteger('numModalities', args.numModalities, 1);
    assertOptionalInteger('units', args.units, 1);
    const numLayers = args.numLayers ?? 4;
    assertInteger('numLayers', numLayers, 1);
    const numHeads = args.numHeads ?? 4;
    assertInteger('numHeads', numHeads, 1);
    assertOptionalInteger('feedForwardDim', args.feedForwardDim, 1);
    const rate = args.dropout ?? 0.1;
    assertNumberInRange('dropout', rate, 0, 0.999);
    const activation = args.activation ?? 'gelu';
    assertOneOf('activation', activation, ACTIVATIONS);
    assertOptionalSeed('seed', args.seed);
    if (args.units != null && args.units % numHeads !== 0) {
      throw new EmojeInputError('numHeads', `a divisor of units (${args.units})`, String(numHeads));
    }
    this.numModalities = args.numModalities;
    this.units = args.units ?? undefined;
    this.numLayers = numLayers;
    this.numHeads = numHeads;
    this.feedForwardDimArg = args.feedForwardDim ?? undefined;
    this.dropoutRate = rate;
    this.activation = activation;
    this.seed = args.seed ?? undefined;
    this.random = new SeededRandom(this.seed ?? Math.floor(Math.random() * 0x7fffffff));
  }

  /** Hidden width of the feed-forward sublayers (2 * D unless set); undefined until D is known. */
  get feedForwardDim(): number | undefined {
    return this.feedForwardDimArg ?? (this.units == null ? undefined : 2 * this.units);
  }

  /** Checks the input shapes against the contract and returns their layout. */
  private layout(shapes: LayerShape[] | LayerShape): AcnLayout {
    const m = this.numModalities;
    if (!isShapeList(shapes)) {
      throw new EmojeInputError('inputs', `an array ${INPUT_CONTRACT}`, `one tensor of shape ${formatShape(shapes)}`);
    }
    if (shapes.length < m + 1) {
      throw new EmojeInputError('inputs', `at least ${m + 1} tensors ${INPUT_CONTRACT}`, `${shapes.length} tensors`);
    }
    const ranks = shapes.slice(0, m).map((s, i) => {
      if (s.length !== 3 && s.length !== 4) {
        throw new EmojeInputError(`h_${i + 1}`, 'shape [B, U, D] or [B, U, S, D]', `shape ${formatShape(s)}`);
      }
      return s.length;
    });
    const numSequences = ranks.filter((r) => r === 4).length;
    if (shapes.length !== m + 1 + numSequences) {
      throw new EmojeInputError(
        'inputs',
        `${m + 1 + numSequences} tensors (${m} modalities, availability, ${numSequences} frame masks for the rank-4 modalities)`,
        `${shapes.length} tensors`,
      );
    }
    const batch = shapes.map((s) => s[0]).find((d) => d != null) ?? null;
    const utterances = shapes.map((s) => s[1]).find((d) => d != null) ?? null;
    const width = this.units ?? shapes[0][shapes[0].length - 1];
    if (width == null) {
      throw new EmojeInputError('h_1', 'a known last dimension (D)', `shape ${formatShape(shapes[0])}`, 'Or pass units');
    }
    const frameMaskIndex: number[] = [];
    let next = m + 1;
    ranks.forEach((rank, i) => {
      const s = shapes[i];
      if (rank === 3) {
        assertShape(`h_${i + 1}`, s, [batch, utterances, width], 'Every modality must have the same width D');
        frameMaskIndex.push(-1);
      } else {
        assertShape(`h_${i + 1}`, s, [batch, utterances, null, width], 'Every modality must have the same width D');
        assertShape(`frameMask_${i + 1}`, shapes[next], [batch, utterances, s[2]], `The frame mask of h_${i + 1}`);
        frameMaskIndex.push(next);
        next += 1;
      }
    });
    assertShape('availability', shapes[m], [batch, utterances, m]);
    if (width % this.numHeads !== 0) {
      throw new EmojeInputError('numHeads', `a divisor of the width D = ${width}`, String(this.numHeads));
    }
    return { ranks, frameMaskIndex, batch, utterances, width };
  }

  override build(inputShape: LayerShape | LayerShape[]): void {
    const { width } = this.layout(inputShape as LayerShape[]);
    this.units = width;
    const hidden = this.feedForwardDim as number;
    const add: WeightFactory = (name, shape, init) => this.addWeight(name, shape, 'float32', init);
    const init = new InitializerSource(this.seed);
    const m = this.numModalities;
    this.layerWeights = [];
    for (let l = 0; l < this.numLayers; l++) {
      const weights: CrossLayerWeights = { attentionNorm: [], attention: [], feedForwardNorm: [], feedForward: [] };
      for (let i = 0; i < m; i++) {
        weights.attentionNorm.push(createLayerNorm(add, init, `layer${l}_m${i}_attention_norm`, width));
        if (m > 1) weights.attention.push(createAttention(add, init, `layer${l}_m${i}_attention`, width, this.numHeads));
        weights.feedForwardNorm.push(createLayerNorm(add, init, `layer${l}_m${i}_ffn_norm`, width));
        weights.feedForward.push(createFeedForward(add, init, `layer${l}_m${i}_ffn`, width, hidden));
      }
      this.layerWeights.push(weights);
    }
    this.finalNorm = [];
    for (let i = 0; i < m; i++) this.finalNorm.push(createLayerNorm(add, init, `final_m${i}_norm`, width));
    this.built = true;
  }

  override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
    const { batch, utterances, width } = this.layout(inputShape as LayerShape[]);
    return [batch, utterances, this.numModalities, width];
  }

  /**
   * @param inputs - `[h_1 .. h_M, availability, ...frameMasks]`, see the class docs.
   * @param kwargs - `training` (defaults to false) turns dropout on.
   * @returns `c [B,U,M,D]`, zero where a modality is missing.
   * @throws EmojeInputError naming the input whose shape breaks the contract.
   */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: LayerKwargs): tf.Tensor {
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const layout = this.layout(list.map((t) => t.shape));
      const training = (kwargs?.training as boolean | undefined) ?? false;
      const active = training && this.dropoutRate > 0;
      const nextSeed = () => (active ? this.random.seed() : undefined);
      const m = this.numModalities;
      const [b, u] = list[0].shape as number[];
      const n = b * u;
      const d = layout.width;
      const availability = tf.cast(tf.greater(tf.reshape(list[m], [n, m]), 0), 'float32');
      if (layout.ranks.every((r) => r === 3)) {
        const descriptors = this.callSingleTokens(list.slice(0, m), availability, training, nextSeed);
        return tf.reshape(tf.transpose(descriptors, [1, 0, 2]), [b, u, m, d]);
      }

      return this.sequenceLayers(list, layout, availability, training, nextSeed, null);
    });
  }

  /**
   * The attention probabilities of every cross-attention in the ACN, in inference mode (no dropout), for the same
   * inputs as `apply`: per layer, per central (query) modality and per source (key) modality, how each query token
   * spreads its attention over the source's tokens of the same utterance. The ACN's descriptors depend on the
   * inputs only through these and the value projections, so this is what an explanation ("which words did the
   * audio attend to?") reads.
   *
   * @param inputs - `[h_1 .. h_M, availability, ...frameMasks]`, as for `apply` (the layer is built on first use).
   * @returns one entry per layer `l`, query modality `query` and key modality `key != query`, with `weights
   * [B, U, H, S_query, S_key]` (S = 1 for a one-token modality): each row sums to 1 over the key's real tokens where
   * the query token is real and the key modality present, and is 0 elsewhere (padded tokens, missing modalities,
   * padded utterances). The caller owns the tensors. Empty when M = 1.
   * @throws EmojeInputError naming the input whose shape breaks the contract.
   */
  attentionWeights(inputs: tf.Tensor[]): AcnAttentionWeights[] {
    if (!this.built) this.build(inputs.map((t) => t.shape));
    const collected: AcnAttentionWeights[] = [];
    tf.tidy(() => {
      const layout = this.layout(inputs.map((t) => t.shape));
      const m = this.numModalities;
      const [b, u] = inputs[0].shape as number[];
      const availability = tf.cast(tf.greater(tf.reshape(inputs[m], [b * u, m]), 0), 'float32');
      const out = this.sequenceLayers(inputs, layout, availability, false, () => undefined, collected);
      out.dispose();
      return collected.map((c) => c.weights);
    });
    return collected;
  }

  /**
   * The general path: every modality as a token sequence `[N, S_m, D]` (a one-token modality has S = 1). With
   * `collect`, each cross-attention's probabilities `[B, U, H, S_q, S_k]` are pushed to it (masked as
   * {@link attentionWeights} says); the caller keeps them out of any enclosing tidy.
   */
  private sequenceLayers(
    list: tf.Tensor[],
    layout: AcnLayout,
    availability: tf.Tensor,
    training: boolean,
    nextSeed: () => number | undefined,
    collect: AcnAttentionWeights[] | null,
  ): tf.Tensor {
    const rate = this.dropoutRate;
    const m = this.numModalities;
    const [b, u] = list[0].shape as number[];
    const n = b * u;
    const d = layout.width;
    // Per modality: token mask [N, S], presence [N] and the NaN-proof initial state [N, S, D].
    const tokenMasks: tf.Tensor[] = [];
    const present: tf.Tensor[] = [];
    let states: tf.Tensor[] = [];
    for (let i = 0; i < m; i++) {
      const avail = tf.reshape(tf.slice(availability, [0, i], [n, 1]), [n, 1]);
      const h = list[i];
      let tokens: tf.Tensor;
      let mask: tf.Tensor;
      if (layout.ranks[i] === 3) {
        tokens = tf.reshape(h, [n, 1, d]);
        mask = avail;
      } else {
        const s = h.shape[2] as number;
        tokens = tf.reshape(h, [n, s, d]);
        const frames = tf.reshape(list[layout.frameMaskIndex[i]], [n, s]);
        mask = tf.mul(tf.cast(tf.greater(frames, 0), 'float32'), avail);
      }
      tokenMasks.push(mask);
      present.push(tf.max(mask, 1));
      states.push(zeroMasked(tokens, mask));
    }
    // [N, 1, 1] presence gates, to weigh a source's attention update.
    const gates = present.map((p) => tf.reshape(p, [n, 1, 1]));

    for (const [l, w] of this.layerWeights.entries()) {
      const normed = states.map((q, i) => applyLayerNorm(q, w.attentionNorm[i]));
      states = states.map((q, i) => {
        let total: tf.Tensor | null = null;
        let count: tf.Tensor | null = null;
        for (let j = 0; j < m; j++) {
          if (j === i) continue;
          if (collect) {
            const probs = attentionProbabilities(normed[i], normed[j], tokenMasks[j], w.attention[i]);
            const [, h, sq, sk] = probs.shape as number[];
            const queryReal = tf.reshape(tf.mul(tokenMasks[i], tf.reshape(present[j], [n, 1])), [n, 1, sq, 1]);
            collect.push({ layer: l, query: i, key: j, weights: tf.keep(tf.reshape(tf.mul(probs, queryReal), [b, u, h, sq, sk])) });
          }
          const update = tf.mul(applyAttention(normed[i], normed[j], tokenMasks[j], w.attention[i]), gates[j]);
          total = total == null ? update : tf.add(total, update);
          count = count == null ? gates[j] : tf.add(count, gates[j]);
        }
        if (total == null || count == null) return q;
        const mean = tf.div(total, tf.maximum(count, 1));
        return tf.add(q, dropout(mean, rate, training, nextSeed()));
      });
      states = states.map((q, i) => {
        const hidden = applyFeedForward(applyLayerNorm(q, w.feedForwardNorm[i]), w.feedForward[i], this.activation, rate, training, nextSeed());
        return tf.add(q, dropout(hidden, rate, training, nextSeed()));
      });
    }

    const descriptors = states.map((q, i) => {
      const pooled = maskedMean(applyLayerNorm(q, this.finalNorm[i]), tokenMasks[i], 1);
      return zeroMasked(pooled, present[i]);
    });
    return tf.reshape(tf.stack(descriptors, 1), [b, u, m, d]);
  }

  /**
   * The layers when every modality is one token per utterance (`[B,U,D]` inputs), on the streams
   * stacked as `[M, N, D]`. Attention of a query over a single key gives that key all the weight,
   * so `MHA_m(q, h_j, h_j) = O_m(V_m(h_j))` whatever the query, and since `O_m ∘ V_m` is affine the
   * mean over present sources `j != m` equals `O_m(V_m(mean of those h_j))`. This computes exactly
   * that: the same outputs and gradients as the general path (tested against it with `S = 1`
   * frame sequences), without the query/key projections and softmax that cannot change the result.
   * Returns the descriptors `[M, N, D]`, zero where a modality is missing.
   */
  private callSingleTokens(tokens: tf.Tensor[], availability: tf.Tensor, training: boolean, nextSeed: () => number | undefined): tf.Tensor {
    const m = this.numModalities;
    const [n, d] = [availability.shape[0] as number, tokens[0].shape[2] as number];
    const rate = this.dropoutRate;
    // The masks are constants (no gradient reaches the availability), built off the gradient tape.
    const mask = withoutTape(() => tf.reshape(tf.transpose(availability), [m, n, 1]));
    // Stacked as they are ([M, B, U, D]) and reshaped once: one reshape (and its gradient) instead of one per modality.
    let states = zeroMasked(tf.reshape(tf.stack(tokens), [m, n, d]), mask);
    // Per stream: how many other modalities are present, and 1 where at least one is.
    const sources = withoutTape(() => tf.sub(tf.sum(mask, 0, true), mask));
    const hasSource = withoutTape(() => tf.cast(tf.greater(sources, 0), 'float32'));
    const inverseCount = withoutTape(() => tf.div(1, tf.maximum(sources, 1)));
    for (const w of this.layerWeights) {
      if (m > 1) {
        const gated = mulByConstant(applyStreamLayerNorm(states, w.attentionNorm), mask);
        const sourceMean = mulByConstant(sumOfOthers(gated, 0), inverseCount);
        const values = applyStreamLinear(sourceMean, w.attention.map((a) => a.value));
        const update = mulByConstant(applyStreamLinear(values, w.attention.map((a) => a.output)), hasSource);
        states = addSameShape(states, dropout(update, rate, training, nextSeed()));
      }
      const inner = applyStreamLinear(applyStreamLayerNorm(states, w.feedForwardNorm), w.feedForward.map((f) => f.inner), this.activation);
      const hidden = applyStreamLinear(dropout(inner, rate, training, nextSeed()), w.feedForward.map((f) => f.outer));
      states = addSameShape(states, dropout(hidden, rate, training, nextSeed()));
    }
    return mulByConstant(applyStreamLayerNorm(states, this.finalNorm), mask);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      numModalities: this.numModalities,
      units: this.units ?? null,
      numLayers: this.numLayers,
      numHeads: this.numHeads,
      feedForwardDim: this.feedForwardDimArg ?? null,
      dropout: this.dropoutRate,
      activation: this.activation,
      seed: this.seed ?? null,
    };
  }
}

tf.serialization.registerClass(AdaptiveCrossAttention);

/**
 * Creates an {@link AdaptiveCrossAttention} (ACN) layer.
 *
 * @returns a layer mapping `[h_1 .. h_M, availability, ...frameMasks]` to `c [B,U,M,D]`.
 * @throws EmojeInputError naming the argument when an argument is out of range.
 */
export function adaptiveCrossAttention(args: AdaptiveCrossAttentionArgs): AdaptiveCrossAttention {
  return new AdaptiveCrossAttention(args);
}
