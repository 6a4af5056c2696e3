import * as tf from '@tensorflow/tfjs-core';
import {
  ACTIVATIONS,
  EmojeInputError,
  applyAttention,
  applyFeedForward,
  applyLayerNorm,
  applyLinear,
  matMul,
  activate,
  assertInteger,
  assertOneOf,
  createAttention,
  createFeedForward,
  createLayerNorm,
  createLinear,
  dropout,
  maskedMean,
  positionalEncoding,
  reduceMax,
  zeroMasked,
  type ActivationName,
  type AttentionWeights,
  type FeedForwardWeights,
  type InitializerSource,
  type LayerNormWeights,
  type LinearWeights,
  type SeededRandom,
  type WeightFactory,
} from '@emoje/core';
import { assertRate } from './common';

/** The temporal encoders a frame sequence can go through. */
export type TemporalKind = 'attention' | 'convolution';
export const TEMPORAL_KINDS: readonly TemporalKind[] = ['attention', 'convolution'];

/** How the token outputs are pooled into one vector per utterance. */
export type PoolingKind = 'mean' | 'max';
export const POOLING_KINDS: readonly PoolingKind[] = ['mean', 'max'];

/** Arguments shared by the encoders of frame and token sequences. */
export interface TemporalEncoderArgs {
  /** Output width D of every token and of the pooled vector. Required. */
  units: number;
  /**
   * The temporal encoder: `'attention'` (pre-LN transformer encoder layers with masked
   * self-attention over the frames) or `'convolution'` (masked temporal convolution blocks).
   * Defaults to `'attention'`.
   */
  kind?: TemporalKind;
  /** Number of temporal encoder layers. Defaults to 1. */
  numLayers?: number;
  /** Attention heads (kind `'attention'`); must divide `units`. Defaults to 4. */
  numHeads?: number;
  /**
   * Kernel width over frames (kind `'convolution'`), an odd number; or a list of odd widths (e.g. `[3, 5]`), which
   * makes every convolution layer a multi-width one in the manner of Kim's text CNN (2014): one convolution per width,
   * each giving an equal share of the `units` output channels (the first widths take one more when `units` does not
   * divide evenly), concatenated. A one-width list is the same layer as the plain number. Defaults to 3.
   */
  kernelSize?: number | number[];
  /** Hidden width of each layer's feed-forward sublayer. Defaults to `2 * units`. */
  feedForwardUnits?: number;
  /** Longest frame sequence accepted (length of the sinusoidal positional table). Defaults to 512. */
  maxLength?: number;
  /** Activation of the feed-forward and convolution sublayers. Defaults to `'gelu'`. */
  activation?: ActivationName;
  /** Dropout rate on every residual branch while training. Defaults to 0.1. */
  dropout?: number;
  /**
   * Pooling of the tokens into the utterance vector: `'mean'` over real frames, or `'max'` per channel over real
   * frames (the text-CNN choice). Zeros for an utterance with no frame either way. Defaults to `'mean'`.
   */
  pooling?: PoolingKind;
  /** Seed of the weight initializers and the per-call dropout masks. Defaults to a random seed. */
  seed?: number;
}

/** {@link TemporalEncoderArgs} with every default filled in. */
export interface ResolvedTemporalArgs {
  units: number;
  kind: TemporalKind;
  numLayers: number;
  numHeads: number;
  /** As given: one width, or the widths of a multi-width convolution (see {@link kernelWidths}). */
  kernelSize: number | number[];
  feedForwardUnits: number;
  maxLength: number;
  activation: ActivationName;
  dropout: number;
  pooling: PoolingKind;
}

/** Fills in the defaults of {@link TemporalEncoderArgs} and validates every field (EmojeInputError naming it). */
export function resolveTemporalArgs(args: TemporalEncoderArgs): ResolvedTemporalArgs {
  assertInteger('units', args.units, 1);
  const kind = args.kind ?? 'attention';
  assertOneOf('kind', kind, TEMPORAL_KINDS);
  const numLayers = args.numLayers ?? 1;
  assertInteger('numLayers', numLayers, 1);
  const numHeads = args.numHeads ?? 4;
  assertInteger('numHeads', numHeads, 1);
  if (kind === 'attention' && args.units % numHeads !== 0) {
    throw new EmojeInputError('numHeads', `a divisor of units (${args.units})`, String(numHeads));
  }
  const given = args.kernelSize ?? 3;
  const widths = Array.isArray(given) ? given : [given];
  if (Array.isArray(given) && (given.length === 0 || given.length > args.units)) {
    throw new EmojeInputError('kernelSize', `an odd integer or a list of 1 to units (${args.units}) odd integers`, JSON.stringify(given));
  }
  for (const k of widths) {
    assertInteger('kernelSize', k, 1);
    if (k % 2 === 0) throw new EmojeInputError('kernelSize', 'an odd integer', Array.isArray(given) ? JSON.stringify(given) : String(k));
  }
  const kernelSize = Array.isArray(given) ? [...given] : given;
  const feedForwardUnits = args.feedForwardUnits ?? 2 * args.units;
  assertInteger('feedForwardUnits', feedForwardUnits, 1);
  const maxLength = args.maxLength ?? 512;
  assertInteger('maxLength', maxLength, 1);
  const activation = args.activation ?? 'gelu';
  assertOneOf('activation', activation, ACTIVATIONS);
  const rate = args.dropout ?? 0.1;
  assertRate('dropout', rate);
  const pooling = args.pooling ?? 'mean';
  assertOneOf('pooling', pooling, POOLING_KINDS);
  return { units: args.units, kind, numLayers, numHeads, kernelSize, feedForwardUnits, maxLength, activation, dropout: rate, pooling };
}

/** The kernel widths of a temporal convolution: `[kernelSize]` for one width, else the list. */
export function kernelWidths(cfg: Pick<ResolvedTemporalArgs, 'kernelSize'>): number[] {
  return Array.isArray(cfg.kernelSize) ? cfg.kernelSize : [cfg.kernelSize];
}

/** Output channels of each width of a multi-width convolution of `units` channels (equal shares, remainder first). */
export function kernelChannels(units: number, numWidths: number): number[] {
  return Array.from({ length: numWidths }, (_, j) => Math.floor(units / numWidths) + (j < units % numWidths ? 1 : 0));
}

interface TemporalBlockWeights {
  mixNorm: LayerNormWeights;
  /** Self-attention (kind 'attention'). */
  attention: AttentionWeights | null;
  /**
   * Kind 'convolution': one kernel `[k * D, F_j]` per width k (a single `[k * D, D]` kernel for one width), outputs
   * concatenated on the channel axis.
   */
  convolution: LinearWeights[] | null;
  feedForwardNorm: LayerNormWeights;
  feedForward: FeedForwardWeights;
}

/** The weights of a temporal encoder: input projection, layers, final layer norm. */
export interface TemporalEncoderWeights {
  projection: LinearWeights;
  blocks: TemporalBlockWeights[];
  finalNorm: LayerNormWeights;
}

/** Creates the weights of a temporal encoder reading `inputDim`-wide frames. */
export function createTemporalEncoder(
  add: WeightFactory,
  init: InitializerSource,
  inputDim: number,
  cfg: ResolvedTemporalArgs,
): TemporalEncoderWeights {
  const d = cfg.units;
  const projection = createLinear(add, init, 'projection', inputDim, d);
  const blocks: TemporalBlockWeights[] = [];
  for (let l = 0; l < cfg.numLayers; l++) {
    const name = `layer${l}`;
    blocks.push({
      mixNorm: createLayerNorm(add, init, `${name}_mix_norm`, d),
      attention: cfg.kind === 'attention' ? createAttention(add, init, `${name}_attention`, d, cfg.numHeads) : null,
      convolution: cfg.kind === 'convolution' ? createConvolutions(add, init, `${name}_convolution`, d, kernelWidths(cfg)) : null,
      feedForwardNorm: createLayerNorm(add, init, `${name}_ffn_norm`, d),
      feedForward: createFeedForward(add, init, `${name}_ffn`, d, cfg.feedForwardUnits),
    });
  }
  return { projection, blocks, finalNorm: createLayerNorm(add, init, 'final_norm', d) };
}

/** The kernels of one (multi-width) convolution layer from `d` to `d` channels; one width keeps the plain name. */
function createConvolutions(add: WeightFactory, init: InitializerSource, name: string, d: number, widths: number[]): LinearWeights[] {
  if (widths.length === 1) return [createLinear(add, init, name, widths[0] * d, d)];
  const channels = kernelChannels(d, widths.length);
  return widths.map((k, j) => createLinear(add, init, `${name}_${j}`, k * d, channels[j]));
}

/**
 * The multi-width temporal convolution of `x [N, S, C]`: each kernel of `kernels` (see {@link temporalConvolution})
 * activated, outputs concatenated on the channel axis. One kernel: that convolution, activated.
 */
export function multiWidthConvolution(x: tf.Tensor, kernels: readonly LinearWeights[], activation: ActivationName): tf.Tensor {
  return tf.tidy(() => {
    const outputs = kernels.map((w) => activate(temporalConvolution(x, w), activation));
    return outputs.length === 1 ? outputs[0] : tf.concat(outputs, 2);
  });
}

/**
 * A 'same'-padded temporal convolution of `x [N, S, C]` with `kernel [k * C, F]` (plus bias): row
 * block `j` of the kernel multiplies the frame `j - (k - 1) / 2` steps away. Equal to
 * `tf.conv1d(x, reshape(kernel, [k, C, F]), 1, 'same')`, but built from ops whose gradients exist
 * on every backend (tf.conv1d's backprop kernels are missing on wasm). Frames outside the
 * sequence count as zeros, so callers zero masked frames first.
 *
 * Each block is one matMul over all `N * S` frames as rows, its product shifted by whole rows (a pad
 * and a contiguous slice) and masked where the shift crosses into the next sequence. Slicing or
 * concatenating along the frame or channel axis instead runs as an element-by-element copy in
 * JavaScript on wasm, several times the cost of the products.
 */
export function temporalConvolution(x: tf.Tensor, w: LinearWeights): tf.Tensor {
  return tf.tidy(() => {
    const [n, s, c] = x.shape as number[];
    const kernel = w.kernel.read();
    const [rows, f] = kernel.shape as number[];
    const k = rows / c;
    const half = (k - 1) / 2;
    const frames = tf.reshape(x, [n * s, c]);
    let y: tf.Tensor | null = null;
    for (let j = 0; j < k; j++) {
      const block = k === 1 ? kernel : tf.slice(kernel, [j * c, 0], [c, f]);
      const term = shiftRows(matMul(frames, block), j - half, n, s);
      y = y ? tf.add(y, term) : term;
    }
    if (w.bias) y = tf.add(y as tf.Tensor, w.bias.read());
    return tf.reshape(y as tf.Tensor, [n, s, f]);
  });
}

/**
 * Row `(b, t)` of the result is row `(b, t + offset)` of `z [N * S, F]`, zero where `t + offset`
 * falls outside `[0, S)`.
 */
function shiftRows(z: tf.Tensor, offset: number, n: number, s: number): tf.Tensor {
  if (offset === 0) return z;
  const total = n * s;
  const f = z.shape[1] as number;
  const padded = offset > 0 ? tf.pad(z, [[0, offset], [0, 0]]) : tf.pad(z, [[-offset, 0], [0, 0]]);
  const shifted = tf.slice(padded, [offset > 0 ? offset : 0, 0], [total, f]);
  const valid = new Float32Array(total);
  for (let b = 0; b < n; b++) {
    for (let t = 0; t < s; t++) valid[b * s + t] = t + offset >= 0 && t + offset < s ? 1 : 0;
  }
  return tf.mul(shifted, tf.tensor2d(valid, [total, 1]));
}

/**
 * Runs a temporal encoder over `x [B, U, S, d]` with `frameMask [B, U, S]` (float 0/1):
 * projection to D, sinusoidal positions, the layers, a final layer norm.
 * Returns `[tokens [B, U, S, D], pooled [B, U, D]]`, zeros at masked frames and, for the pooled
 * vector, where an utterance has no frame. Masked frames never influence unmasked outputs: they are
 * zeroed at entry (NaN-proof), after every normalisation that feeds a convolution, and after every layer,
 * and attention gives them no weight as keys.
 */
export function applyTemporalEncoder(
  x: tf.Tensor,
  frameMask: tf.Tensor,
  w: TemporalEncoderWeights,
  cfg: ResolvedTemporalArgs,
  training: boolean,
  random: SeededRandom,
): [tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const [b, u, s, d] = x.shape as number[];
    const n = b * u;
    const units = cfg.units;
    const mask = tf.reshape(frameMask, [n, s]);
    const clean = zeroMasked(tf.reshape(x, [n, s, d]), mask);
    let h = zeroMasked(tf.add(applyLinear(clean, w.projection), positionalEncoding(s, units)), mask);
    const rate = cfg.dropout;
    for (const block of w.blocks) {
      const normed = zeroMasked(applyLayerNorm(h, block.mixNorm), mask);
      const mixed = block.attention
        ? applyAttention(normed, normed, mask, block.attention)
        : multiWidthConvolution(normed, block.convolution as LinearWeights[], cfg.activation);
      h = tf.add(h, dropout(mixed, rate, training, random));
      const ffn = applyFeedForward(applyLayerNorm(h, block.feedForwardNorm), block.feedForward, cfg.activation, rate, training, random);
      h = zeroMasked(tf.add(h, dropout(ffn, rate, training, random)), mask);
    }
    const tokens = zeroMasked(applyLayerNorm(h, w.finalNorm), mask);
    const pooled = cfg.pooling === 'max' ? maskedMax(tokens, mask) : maskedMean(tokens, mask, 1);
    return [tf.reshape(tokens, [b, u, s, units]), tf.reshape(pooled, [b, u, units])];
  });
}

/** Per-channel max of `x [N, S, D]` over the frames where `mask [N, S]` is 1; zeros for a row with no frame. */
function maskedMax(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const m = tf.expandDims(mask, -1);
    // Masked frames hold zeros (see zeroMasked), so subtracting a large constant there takes them out of the max.
    const shifted = tf.sub(x, tf.mul(tf.sub(1, m), 1e9));
    const any = tf.cast(tf.greater(tf.sum(mask, 1, true), 0), 'float32');
    return tf.mul(reduceMax(shifted, 1), any);
  });
}
