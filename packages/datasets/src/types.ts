/**
 * The dialogue format every emoje dataset is delivered in. Plain JavaScript objects and
 * `Float32Array`s, no tensors: the model package turns a batch of dialogues into tensors.
 *
 * @packageDocumentation
 */

/**
 * One modality of a dataset, in the order the model sees them (for MOSI: text, audio, visual).
 * `'vector'`: one fixed-size `Float32Array` per utterance. `'text'`: the utterance's words as a string
 * (a model turns it into token ids with its vocabulary).
 */
export type ModalitySpec = VectorModalitySpec | TextModalitySpec;

/** A modality given as one feature vector of width `dim` per utterance. */
export interface VectorModalitySpec {
  /** The modality's name, the key of {@link Utterance.features}, e.g. `'audio'`. Unique in a dataset. */
  name: string;
  kind: 'vector';
  /** The length of each utterance's feature vector for this modality (`d_m`). */
  dim: number;
  /**
   * The sentence encoder that produced these vectors from text (its `id`, e.g. `'use-lite-512@1'`), when they are
   * sentence vectors. A model trained on them records it and refuses vectors from another encoder. Defaults to none.
   */
  encoder?: string;
}

/** A modality given as raw text per utterance (a non-empty string). */
export interface TextModalitySpec {
  /** The modality's name, the key of {@link Utterance.features}, e.g. `'text'`. Unique in a dataset. */
  name: string;
  kind: 'text';
}

/** The value of one modality for one utterance: a vector, a text, or `null`/`undefined` when missing. */
export type FeatureValue = Float32Array | string | null | undefined;

/**
 * One utterance (one turn) of a dialogue.
 */
export interface Utterance {
  /** An id unique in the whole dataset, e.g. `'1DmNV9C1hbY_3'`. */
  id: string;
  /** Who speaks. Any string; the model maps a dialogue's speakers to local ids 0, 1, ... */
  speaker: string;
  /** The transcript, when the dataset has one. */
  text?: string;
  /** The class index into {@link DialogueDataset.classes}, or `null` when the utterance is unlabeled. */
  label: number | null;
  /** Start and end time in the source recording, in seconds, when the dataset has them. */
  start?: number;
  end?: number;
  /**
   * The features per modality name: a `Float32Array` of the modality's `dim` (vector modalities) or a
   * non-empty string (text modalities) when present; `null` or `undefined` (or no key) when missing.
   */
  features: Record<string, FeatureValue>;
}

/**
 * A conversation: utterances in the order they were spoken.
 */
export interface Dialogue {
  /** An id unique in the whole dataset (across train, dev and test). */
  id: string;
  /** The utterances in speaking order. Never empty. */
  utterances: Utterance[];
}

/**
 * A dataset of dialogues with its three splits.
 */
export interface DialogueDataset<M extends ModalitySpec = ModalitySpec> {
  /** A short name, e.g. `'cmu-mosi'`. */
  name: string;
  /** The class names; a label `k` means `classes[k]`. */
  classes: string[];
  /** The modalities in model order. */
  modalities: M[];
  /** Training dialogues. */
  train: Dialogue[];
  /** Development (validation) dialogues, for early stopping and model selection. */
  dev: Dialogue[];
  /** Test dialogues. */
  test: Dialogue[];
  /** The licence of the data, in words. */
  license: string;
  /** Where the data comes from, in words (repository, paper). */
  source: string;
}

/** The names of the three splits of a {@link DialogueDataset}, in order. */
export type SplitName = 'train' | 'dev' | 'test';

/** The three splits, in the order {@link datasetSummary} and {@link validateDataset} visit them. */
export const SPLITS: readonly SplitName[] = ['train', 'dev', 'test'];
