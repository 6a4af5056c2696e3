import * as tf from '@tensorflow/tfjs-core';
import {
  applyAttention,
  applyFeedForward,
  applyLayerNorm,
  applyStreamLayerNorm,
  applyStreamLinear,
  attentionCore,
  createAttention,
  createFeedForward,
  addSameShape,
  createLayerNorm,
  dropout,
  mulByConstant,
  withoutTape,
  type ActivationName,
  type AttentionWeights,
  type FeedForwardWeights,
  type InitializerSource,
  type LayerNormWeights,
  type SeededRandom,
  type WeightFactory,
} from '@emoje/core';

/** Weights of one pre-LN transformer encoder layer. */
export interface EncoderLayerWeights {
  attentionNorm: LayerNormWeights;
  attention: AttentionWeights;
  feedForwardNorm: LayerNormWeights;
  feedForward: FeedForwardWeights;
}

/** Weights of a stack of pre-LN encoder layers and its final layer norm. */
export interface EncoderWeights {
  layers: EncoderLayerWeights[];
  finalNorm: LayerNormWeights;
}

/** Declares the weights of a `numLayers`-deep pre-LN encoder of width `dim`, names prefixed by `name`. */
export function createEncoder(
  add: WeightFactory,
  init: InitializerSource,
  name: string,
  dim: number,
  numLayers: number,
  numHeads: number,
  feedForwardDim: number,
): EncoderWeights {
  const layers: EncoderLayerWeights[] = [];
  for (let l = 0; l < numLayers; l++) {
    const prefix = `${name}_layer${l}`;
    layers.push({
      attentionNorm: createLayerNorm(add, init, `${prefix}_attention_norm`, dim),
      attention: createAttention(add, init, `${prefix}_attention`, dim, numHeads),
      feedForwardNorm: createLayerNorm(add, init, `${prefix}_ffn_norm`, dim),
      feedForward: createFeedForward(add, init, `${prefix}_ffn`, dim, feedForwardDim),
    });
  }
  return { layers, finalNorm: createLayerNorm(add, init, `${name}_final_norm`, dim) };
}

/** How {@link applyEncoder} runs: activation, dropout, and where dropout seeds come from. */
export interface EncoderRunOptions {
  activation: ActivationName;
  dropout: number;
  training: boolean;
  random: SeededRandom;
}

/**
 * Runs the encoder over `h [B, U, H]` with self-attention restricted by `mask [B, U, U]`.
 * `real [B, U]` (1 = real utterance) zeroes padded rows after every layer, so they stay
 * finite and exactly zero. Returns the final-normalised stream `[B, U, H]`, zero on padding.
 */
export function applyEncoder(
  h: tf.Tensor,
  real: tf.Tensor,
  mask: tf.Tensor,
  w: EncoderWeights,
  options: EncoderRunOptions,
): tf.Tensor {
  return tf.tidy(() => {
    const keep = tf.expandDims(real, -1);
    const { activation, training, random } = options;
    const rate = options.dropout;
    const seed = () => (training && rate > 0 ? random.seed() : undefined);
    let stream = h;
    for (const layer of w.layers) {
      const normed = applyLayerNorm(stream, layer.attentionNorm);
      const attended = applyAttention(normed, normed, mask, layer.attention);
      stream = tf.add(stream, dropout(attended, rate, training, seed()));
      const normed2 = applyLayerNorm(stream, layer.feedForwardNorm);
      const fed = applyFeedForward(normed2, layer.feedForward, activation, rate, training, seed());
      stream = tf.mul(tf.add(stream, dropout(fed, rate, training, seed())), keep);
    }
    return tf.mul(applyLayerNorm(stream, w.finalNorm), keep);
  });
}

/**
 * Runs K encoders of the same depth and head count over the same `h [B, U, H]`, encoder `k` with
 * `weights[k]` and self-attention restricted by `masks[k] [B, U, U]`: the same values as K calls of
 * {@link applyEncoder}, computed as K stacked streams so that every element-wise op, normalisation
 * and attention runs once for all of them (on the wasm backend the per-kernel cost dominates at
 * these sizes). Dropout masks are drawn per stack, not per encoder. Returns `[K, B, U, H]`.
 */
export function applyEncoderStack(
  h: tf.Tensor,
  real: tf.Tensor,
  masks: readonly tf.Tensor[],
  weights: readonly EncoderWeights[],
  options: EncoderRunOptions,
): tf.Tensor {
  const k = weights.length;
  const depth = weights[0]?.layers.length;
  if (k === 0 || masks.length !== k || weights.some((w) => w.layers.length !== depth || w.layers.some((l, i) => l.attention.numHeads !== weights[0].layers[i].attention.numHeads))) {
    throw new Error(`applyEncoderStack: expected one mask per encoder and encoders of one depth and head count (${k} encoders, ${masks.length} masks)`);
  }
  return tf.tidy(() => {
    const [b, u, d] = h.shape as number[];
    const { activation, training, random } = options;
    const rate = options.dropout;
    const seed = () => (training && rate > 0 ? random.seed() : undefined);
    // The streams are laid out as [K·B, U, H] (encoder k the dialogues k·B .. k·B + B - 1): the layout attention
    // reads, which the stream products and normalisations take as it is, so no reshape runs between them.
    const keep = withoutTape(() => {
      const column = tf.expandDims(real, -1);
      return k === 1 ? column : tf.tile(column, [k, 1, 1]);
    });
    const mask = k === 1 ? masks[0] : withoutTape(() => tf.concat(masks as tf.Tensor[], 0));
    let stream = k === 1 ? h : tf.concat(new Array<tf.Tensor>(k).fill(h), 0);
    for (let l = 0; l < depth; l++) {
      const layer = weights.map((w) => w.layers[l]);
      const normed = applyStreamLayerNorm(stream, layer.map((x) => x.attentionNorm));
      const project = (pick: (a: AttentionWeights) => AttentionWeights['query']) => applyStreamLinear(normed, layer.map((x) => pick(x.attention)));
      const attended = attentionCore(project((a) => a.query), project((a) => a.key), project((a) => a.value), mask, layer[0].attention.numHeads);
      const output = applyStreamLinear(attended, layer.map((x) => x.attention.output));
      stream = addSameShape(stream, dropout(output, rate, training, seed()));
      const normed2 = applyStreamLayerNorm(stream, layer.map((x) => x.feedForwardNorm));
      const inner = applyStreamLinear(normed2, layer.map((x) => x.feedForward.inner), activation);
      const fed = applyStreamLinear(dropout(inner, rate, training, seed()), layer.map((x) => x.feedForward.outer));
      stream = mulByConstant(addSameShape(stream, dropout(fed, rate, training, seed())), keep);
    }
    const out = mulByConstant(applyStreamLayerNorm(stream, weights.map((w) => w.finalNorm)), keep);
    return tf.reshape(out, [k, b, u, d]);
  });
}
