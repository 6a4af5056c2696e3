import { EmojeInputError, assertInteger, assertOneOf } from '@emoje/core';
import { describe } from './describe';
import { assertFraction, holdOutDialogues } from './split';
import type { Dialogue, DialogueDataset, ModalitySpec, TextModalitySpec, Utterance, VectorModalitySpec } from './types';

/** One row of `mosi_index.json`: the utterance stored in row `row` of the feature file. */
export interface MosiIndexRow {
  /** The row of the feature matrix, 0-based. */
  row: number;
  /** The bc-LSTM split of the utterance's video (speaker-independent: a video is in one split only). */
  split: 'train' | 'test';
  /** The video id: the dialogue, and its only speaker. */
  video: string;
  /** `<video>_<n>`, n = the utterance number in the video (1, 2, ..., ordered numerically). */
  id: string;
  /** The transcript. */
  text?: string;
  /** Binary sentiment: 0 negative, 1 positive. */
  label: number;
}

/** The whole `mosi_index.json` file. {@link parseMosi} takes its `utterances`. */
export interface MosiIndexFile {
  /** Where the rows come from (repository and commit). */
  source: string;
  /** The layout of the feature file, in words. */
  layout: string;
  /** The number of rows. */
  n: number;
  /** The width of each modality. */
  dims: { text: number; audio: number; visual: number };
  /** The meaning of the labels, in words. */
  labels: string;
  /** One entry per row of the feature file, in row order. */
  utterances: MosiIndexRow[];
}

/** Options of {@link parseMosi} (and of `loadMosi` in `@emoje/datasets/node`). */
export interface MosiOptions {
  /**
   * The share of the training utterances to hold out as the dev split, in [0, 1), by whole videos. Default 0.15.
   * 0 gives an empty dev split.
   */
  devFraction?: number;
  /** The seed of the dev hold-out. Default 7. */
  seed?: number;
  /**
   * How the text modality is given. `'vector'` (the default): bc-LSTM's 100-d utterance vector from the feature file.
   * `'tokens'`: the utterance's transcript as a string (a `'text'` modality, {@link MOSI_TOKEN_MODALITIES}), which a
   * model reads word by word through its vocabulary (`createModelForDataset` in `@emoje/runtime-node` builds it from
   * the training transcripts and starts it from the bundled GloVe vectors of MOSI's words, `loadMosiWordVectors`), so
   * that the audio and visual queries of the cross-attention attend over the words. An utterance whose transcript is
   * empty has its text missing.
   */
  text?: MosiTextInput;
}

/** The values of {@link MosiOptions.text}. */
export type MosiTextInput = 'vector' | 'tokens';

/** The values {@link MosiOptions.text} accepts, for validation. */
export const MOSI_TEXT_INPUTS: readonly MosiTextInput[] = Object.freeze(['vector', 'tokens'] as MosiTextInput[]);

/** The file names of the bundled MOSI data, inside the package's `data/mosi/` folder. */
export const MOSI_FILES = {
  /** Little-endian float32, row-major, 2,199 x 273. */
  features: 'mosi_features_t100_a73_v100.f32',
  /** {@link MosiIndexFile} as JSON. */
  index: 'mosi_index.json',
} as const;

/** MOSI's modalities in model order: text (100), audio (73), visual (100). */
export const MOSI_MODALITIES: readonly VectorModalitySpec[] = Object.freeze([
  Object.freeze({ name: 'text', kind: 'vector', dim: 100 }),
  Object.freeze({ name: 'audio', kind: 'vector', dim: 73 }),
  Object.freeze({ name: 'visual', kind: 'vector', dim: 100 }),
] as VectorModalitySpec[]);

/** MOSI's modalities with `text: 'tokens'`: the transcript (a string), audio (73), visual (100). */
export const MOSI_TOKEN_MODALITIES: readonly ModalitySpec[] = Object.freeze([
  Object.freeze({ name: 'text', kind: 'text' } as TextModalitySpec),
  MOSI_MODALITIES[1],
  MOSI_MODALITIES[2],
]);

/** The number of float32 values per row of the MOSI feature file (100 + 73 + 100). */
export const MOSI_ROW_WIDTH = 273;

/** MOSI's classes: label 0 = negative, 1 = positive sentiment. */
export const MOSI_CLASSES: readonly string[] = Object.freeze(['negative', 'positive']);

/** The licence of the bundled MOSI files. */
export const MOSI_LICENSE =
  'MIT (declare-lab/multimodal-deep-learning, Copyright (c) 2021 DeCLaRe Lab); CMU-MOSI by its creators (Zadeh et al., 2016)';

/** Where the bundled MOSI files come from. */
export const MOSI_SOURCE =
  'declare-lab/multimodal-deep-learning@111b401, bc-LSTM/data: CMU-MOSI utterance features as released with Poria et al., ' +
  '"Context-Dependent Sentiment Analysis in User-Generated Videos", ACL 2017; data: Zadeh et al., "MOSI: Multimodal Corpus ' +
  'of Sentiment Intensity and Subjectivity Analysis in Online Opinion Videos", 2016';

interface Entry {
  row: number;
  n: number;
  video: string;
  id: string;
  text?: string;
  label: number;
}

/**
 * Builds the MOSI {@link DialogueDataset} from the feature matrix and the index rows. Platform-neutral (no file
 * system): in Node use `loadMosi` from `@emoje/datasets/node`; in a browser fetch the two files, decode the
 * features with {@link decodeFloat32LE} and pass `JSON.parse(index).utterances`.
 *
 * Each video is one dialogue with one speaker (the video id); its utterances are ordered by the number `n` in
 * `<video>_<n>`, numerically. Each utterance's `features.text`, `.audio` and `.visual` are views into `features`
 * (no copy: changing `features` changes them). Train and test follow each row's `split`; dev is a seeded hold-out
 * of whole training videos (about `devFraction` of the training utterances), removed from train.
 *
 * With `options.text` `'tokens'` the text modality is the transcript instead (see {@link MosiOptions.text}); every
 * row must then have a `text`.
 *
 * @param features - The feature matrix, `index.length x 273` float32 values, row-major.
 * @param index - One {@link MosiIndexRow} per row (`mosi_index.json`'s `utterances`), in any order.
 * @throws {@link EmojeInputError} naming the field (`features`, `index[i].label`, `index[i].text`, `options.devFraction`, ...).
 */
export function parseMosi(features: Float32Array, index: MosiIndexRow[], options?: MosiOptions & { text?: 'vector' }): DialogueDataset<VectorModalitySpec>;
export function parseMosi(features: Float32Array, index: MosiIndexRow[], options: MosiOptions): DialogueDataset;
export function parseMosi(features: Float32Array, index: MosiIndexRow[], options: MosiOptions = {}): DialogueDataset {
  const devFraction = options.devFraction ?? 0.15;
  const seed = options.seed ?? 7;
  const text = options.text ?? 'vector';
  assertFraction('options.devFraction', devFraction);
  assertInteger('options.seed', seed, 0, 0xffffffff);
  assertOneOf('options.text', text, MOSI_TEXT_INPUTS);
  if (!(features instanceof Float32Array)) {
    throw new EmojeInputError('features', 'a Float32Array', describe(features));
  }
  if (!Array.isArray(index) || index.length === 0) {
    throw new EmojeInputError('index', 'a non-empty array of MOSI index rows', describe(index));
  }
  const rows = index.length;
  if (features.length !== rows * MOSI_ROW_WIDTH) {
    throw new EmojeInputError(
      'features',
      `length ${rows} x ${MOSI_ROW_WIDTH} = ${rows * MOSI_ROW_WIDTH} (one row of ${MOSI_ROW_WIDTH} per index row)`,
      `length ${features.length}`,
    );
  }

  const byVideo = new Map<string, { split: 'train' | 'test'; first: number; entries: Entry[] }>();
  const rowUsedBy = new Map<number, number>();
  const idUsedBy = new Map<string, number>();
  for (let i = 0; i < rows; i++) {
    const entry = checkRow(index[i], i, rows, rowUsedBy, idUsedBy);
    if (text === 'tokens' && entry.text === undefined) {
      throw new EmojeInputError(`index[${i}].text`, "the utterance's transcript (a string; options.text is 'tokens')", 'nothing');
    }
    const split = index[i].split;
    const group = byVideo.get(entry.video);
    if (!group) {
      byVideo.set(entry.video, { split, first: i, entries: [entry] });
    } else if (group.split !== split) {
      throw new EmojeInputError(
        `index[${i}].split`,
        `'${group.split}', the split of video "${entry.video}" at index[${group.first}] (a video is in one split only)`,
        JSON.stringify(split),
      );
    } else {
      group.entries.push(entry);
    }
  }

  const train: Dialogue[] = [];
  const test: Dialogue[] = [];
  for (const [video, group] of byVideo) {
    group.entries.sort((a, b) => a.n - b.n);
    const utterances = group.entries.map((e) => toUtterance(e, features, text));
    (group.split === 'train' ? train : test).push({ id: video, utterances });
  }
  const { kept, heldOut } = holdOutDialogues(train, { fraction: devFraction, seed });

  return {
    name: 'cmu-mosi',
    classes: [...MOSI_CLASSES],
    modalities: (text === 'tokens' ? MOSI_TOKEN_MODALITIES : MOSI_MODALITIES).map((m) => ({ ...m })),
    train: kept,
    dev: heldOut,
    test,
    license: MOSI_LICENSE,
    source: MOSI_SOURCE,
  };
}

function toUtterance(e: Entry, features: Float32Array, text: MosiTextInput): Utterance {
  const base = e.row * MOSI_ROW_WIDTH;
  const out: Record<string, Float32Array | string | null> = {};
  let offset = base;
  for (const m of MOSI_MODALITIES) {
    out[m.name] = features.subarray(offset, offset + m.dim);
    offset += m.dim;
  }
  if (text === 'tokens') out.text = e.text && e.text.trim().length > 0 ? e.text : null;
  const utterance: Utterance = { id: e.id, speaker: e.video, label: e.label, features: out };
  if (e.text !== undefined) utterance.text = e.text;
  return utterance;
}

function checkRow(
  value: unknown,
  i: number,
  rows: number,
  rowUsedBy: Map<number, number>,
  idUsedBy: Map<string, number>,
): Entry {
  const at = `index[${i}]`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EmojeInputError(at, 'an object {row, split, video, id, text, label}', describe(value));
  }
  const r = value as Record<string, unknown>;
  for (const key of ['row', 'split', 'video', 'id', 'label']) {
    if (!(key in r) || r[key] === undefined || r[key] === null) {
      throw new EmojeInputError(`${at}.${key}`, 'a value (the field is required)', 'nothing');
    }
  }
  const row = r.row;
  if (typeof row !== 'number' || !Number.isInteger(row) || row < 0 || row >= rows) {
    throw new EmojeInputError(`${at}.row`, `an integer in 0..${rows - 1} (a row of the feature matrix)`, describe(row));
  }
  const rowOwner = rowUsedBy.get(row);
  if (rowOwner !== undefined) {
    throw new EmojeInputError(`${at}.row`, 'a row no other index entry uses', `${row}, also used by index[${rowOwner}]`);
  }
  rowUsedBy.set(row, i);
  if (r.split !== 'train' && r.split !== 'test') {
    throw new EmojeInputError(`${at}.split`, "'train' or 'test'", describe(r.split));
  }
  const video = r.video;
  if (typeof video !== 'string' || video.length === 0) {
    throw new EmojeInputError(`${at}.video`, 'a non-empty string', describe(video));
  }
  const id = r.id;
  const prefix = `${video}_`;
  const suffix = typeof id === 'string' && id.startsWith(prefix) ? id.slice(prefix.length) : '';
  if (typeof id !== 'string' || !/^\d+$/.test(suffix)) {
    throw new EmojeInputError(`${at}.id`, `"${prefix}<n>" with n a non-negative integer`, describe(id));
  }
  const idOwner = idUsedBy.get(id);
  if (idOwner !== undefined) {
    throw new EmojeInputError(`${at}.id`, 'an id no other index entry uses', `"${id}", also used by index[${idOwner}]`);
  }
  idUsedBy.set(id, i);
  if (r.text !== undefined && r.text !== null && typeof r.text !== 'string') {
    throw new EmojeInputError(`${at}.text`, 'a string or nothing', describe(r.text));
  }
  if (r.label !== 0 && r.label !== 1) {
    throw new EmojeInputError(`${at}.label`, '0 (negative) or 1 (positive)', describe(r.label));
  }
  return {
    row,
    n: Number(suffix),
    video,
    id,
    text: typeof r.text === 'string' ? r.text : undefined,
    label: r.label,
  };
}
