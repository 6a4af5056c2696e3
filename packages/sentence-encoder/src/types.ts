import type * as tf from '@tensorflow/tfjs-core';

/** Progress of one {@link SentenceEncoder.embed} call: `done` of `total` texts embedded so far. */
export interface EmbedProgress {
  done: number;
  total: number;
}

/** Options of {@link SentenceEncoder.embed}. */
export interface EmbedOptions {
  /** Texts run through the encoder at once. Defaults to 64. */
  batchSize?: number;
  /** Called after each batch (and once with `done = 0` before the first). Defaults to none. */
  onProgress?: (progress: EmbedProgress) => void;
}

/**
 * A sentence encoder: any text to one vector of width `dim`. Implement this interface to plug another encoder into
 * emoje's text modality; the USE-lite implementation is {@link createUseLite}.
 */
export interface SentenceEncoder {
  /**
   * Names the encoder and its weights' version, e.g. `'use-lite-512@1'`. A model records the id of the encoder that
   * produced its text vectors and refuses vectors from another one; embedding caches are keyed by it.
   */
  readonly id: string;
  /** Width of each sentence vector. */
  readonly dim: number;
  /**
   * Embeds `texts` (each a non-blank string) to a `[texts.length, dim]` float32 tensor, owned by the caller.
   * Leaves no other tensor behind.
   * @throws EmojeInputError when a text is not a string or is blank (its field is `texts[i]`).
   */
  embed(texts: readonly string[], options?: EmbedOptions): Promise<tf.Tensor2D>;
  /** Frees the encoder's weights; `embed` then throws. */
  dispose(): void;
}
