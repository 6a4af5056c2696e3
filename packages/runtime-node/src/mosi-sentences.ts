import type { DialogueDataset } from '@emoje/datasets';
import { loadMosi, type LoadMosiOptions } from '@emoje/datasets/node';
import { USE_LITE_ID, type SentenceEncoder } from '@emoje/sentence-encoder';
import type { EmbedWithCacheOptions } from './embedding-cache';
import { embedTextModality, loadSentenceEncoder, type TextEmbeddingStats } from './sentence-features';

/** Options of {@link loadMosiSentences}. */
export interface LoadMosiSentencesOptions extends Omit<LoadMosiOptions, 'text'>, EmbedWithCacheOptions {
  /**
   * The sentence encoder to embed the transcripts with. Defaults to USE-lite (`use-lite-512@1`), loaded here and
   * disposed when the embedding is done; an encoder given here is the caller's and is not disposed.
   */
  encoder?: SentenceEncoder;
}

/**
 * CMU-MOSI with each utterance's transcript embedded by a sentence encoder as its text modality: `loadMosi({ text:
 * 'tokens' })` (the same split, labels, speakers, audio and visual as `loadMosi()`) passed through
 * {@link embedTextModality}, so the text modality becomes `{ name: 'text', kind: 'vector', dim: encoder.dim, encoder:
 * encoder.id }` (512-d for USE-lite). The vectors go through the on-disk embedding cache: the first call embeds MOSI's
 * 2,199 transcripts, later calls read them back.
 *
 * An utterance whose transcript is empty would have its text missing (as with `text: 'tokens'`); the bundled index
 * has a transcript for all 2,199 utterances, so every utterance has a text vector, as with bc-LSTM's 100-d vectors.
 *
 * @example
 * // after `await initBackend()`:
 * const { dataset, stats } = await loadMosiSentences();
 * dataset.modalities[0]; // { name: 'text', kind: 'vector', dim: 512, encoder: 'use-lite-512@1' }
 * @returns the dataset and what the cache served (`stats.hits`, `stats.misses`).
 * @throws EmojeInputError from `loadMosi` (a bad data folder or option) before anything is embedded.
 */
export async function loadMosiSentences(options: LoadMosiSentencesOptions = {}): Promise<{ dataset: DialogueDataset; stats: TextEmbeddingStats }> {
  const { encoder: given, dataDir, seed, devFraction, ...cache } = options;
  const mosi = await loadMosi({ dataDir, seed, devFraction, text: 'tokens' });
  const encoder = given ?? (await loadSentenceEncoder(USE_LITE_ID));
  try {
    const { dataset, stats } = await embedTextModality(mosi, encoder, cache);
    return { dataset, stats: stats! };
  } finally {
    if (!given) encoder.dispose();
  }
}
