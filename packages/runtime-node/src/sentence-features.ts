import { EmojeInputError } from '@emoje/core';
import type { Dialogue, DialogueDataset, ModalitySpec } from '@emoje/datasets';
import type { SentenceEncoder } from '@emoje/sentence-encoder';
import { embedWithCache, type EmbedWithCacheOptions } from './embedding-cache';

/** What {@link embedTextModality} did: how many distinct texts came from the cache and how many were embedded. */
export interface TextEmbeddingStats {
  encoder: string;
  texts: number;
  hits: number;
  misses: number;
  /** The encoder's folder in the cache, or `null` when the cache is off. */
  cacheDir: string | null;
  embedSeconds: number;
}

/**
 * Turns a dataset's text modality into sentence vectors: the spec `{name, kind: 'text'}` becomes
 * `{name, kind: 'vector', dim: encoder.dim, encoder: encoder.id}` and each utterance's text becomes its vector
 * (through the on-disk cache of {@link embedWithCache}: a second run on the same texts embeds nothing). Vector
 * modalities, labels, speakers and `utterance.text` stay as they are. A dataset without a text modality is returned
 * unchanged. Every text is checked before any is embedded.
 *
 * @throws EmojeInputError naming the utterance (`train[3].utterances[2].features.text`) when a text is not a
 *   non-blank string.
 */
export async function embedTextModality(
  dataset: DialogueDataset,
  encoder: SentenceEncoder,
  options: EmbedWithCacheOptions = {},
): Promise<{ dataset: DialogueDataset; stats: TextEmbeddingStats | null }> {
  const spec = dataset.modalities.find((m) => m.kind === 'text');
  if (!spec) return { dataset, stats: null };
  const name = spec.name;
  const texts: string[] = [];
  for (const split of ['train', 'dev', 'test'] as const) {
    dataset[split].forEach((d, di) =>
      d.utterances.forEach((u, ui) => {
        const text = u.features[name];
        if (text == null) return;
        if (typeof text !== 'string' || text.trim() === '') {
          throw new EmojeInputError(`${split}[${di}].utterances[${ui}].features.${name}`, 'a non-blank string (the utterance text)', typeof text === 'string' ? 'a blank string' : typeof text);
        }
        texts.push(text);
      }),
    );
  }
  const { vectors, hits, misses, dir, embedSeconds } = await embedWithCache(encoder, texts, options);
  let k = 0;
  const convert = (dialogues: Dialogue[]): Dialogue[] =>
    dialogues.map((d) => ({
      ...d,
      utterances: d.utterances.map((u) => (u.features[name] == null ? u : { ...u, features: { ...u.features, [name]: vectors[k++] } })),
    }));
  const modalities: ModalitySpec[] = dataset.modalities.map((m) => (m.name === name ? { name, kind: 'vector', dim: encoder.dim, encoder: encoder.id } : m));
  const out: DialogueDataset = { ...dataset, modalities, train: convert(dataset.train), dev: convert(dataset.dev), test: convert(dataset.test) };
  return { dataset: out, stats: { encoder: encoder.id, texts: texts.length, hits, misses, cacheDir: dir, embedSeconds } };
}
