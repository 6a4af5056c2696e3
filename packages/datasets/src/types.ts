/**
 * The dialogue format every emoje dataset is delivered in. Plain JavaScript objects and
 * `Float32Array`s, no tensors: the model package turns a batch of dialogues into tensors.
 *
 * @packageDocumentation
 */

/**
 * One modality of a dataset, in the order the model sees them (for MOSI: text, audio, visual).
 */
export interface ModalitySpec {
  /** The modality's name, the key of {@link Utterance.features}, e.g. `'audio'`. Unique in a dataset. */
  name: string;
  /** How the features are shaped. `'vector'`: one fixed-size vector per utterance. */
  kind: 'vector';
  /** The length of each utterance's feature vector for this modality (`d_m`). */
  dim: number;
}

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
  /**
   * The features per modality name. A `Float32Array` of length {@link ModalitySpec.dim} when the modality is
   * present; `null` or `undefined` (or no key at all) when it is missing for this utterance.
   */
  features: Record<string, Float32Array | null | undefined>;
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
export interface DialogueDataset {
  /** A short name, e.g. `'cmu-mosi'`. */
  name: string;
  /** The class names; a label `k` means `classes[k]`. */
  classes: string[];
  /** The modalities in model order. */
  modalities: ModalitySpec[];
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
