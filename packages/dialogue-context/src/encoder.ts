import * as tf from '@tensorflow/tfjs-core';
import {
  applyAttention,
  applyFeedForward,
  applyLayerNorm,
  createAttention,
  createFeedForward,
  createLayerNorm,
  dropout,
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
