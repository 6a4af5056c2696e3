import { EmojeInputError } from '@emoje/core';
import { describe } from './describe';
import { SPLITS, type Dialogue, type DialogueDataset, type SplitName, type Utterance } from './types';

/** The counts of one split (or of all splits together), from {@link datasetSummary}. */
export interface SplitSummary {
  /** Number of dialogues. */
  dialogues: number;
  /** Number of utterances. */
  utterances: number;
  /** Utterances with a label in range. */
  labeled: number;
  /** Utterances whose label is `null`. */
  unlabeled: number;
  /** Labeled utterances per class name, every class listed (0 when absent). */
  labelCounts: Record<string, number>;
  /** The length of the longest dialogue (0 for an empty split). */
  maxDialogueLength: number;
  /** Utterances where each modality is missing (`null`, `undefined` or no key), per modality name. */
  missing: Record<string, number>;
}

/** The summary of a dataset, from {@link datasetSummary}. */
export interface DatasetSummary {
  /** The dataset's name. */
  name: string;
  /** The class names. */
  classes: string[];
  /** The modality names, in model order. */
  modalities: string[];
  /** Counts of the training split. */
  train: SplitSummary;
  /** Counts of the dev split. */
  dev: SplitSummary;
  /** Counts of the test split. */
  test: SplitSummary;
  /** Counts of the three splits together. */
  total: SplitSummary;
}

/**
 * Counts dialogues, utterances, labels, the longest dialogue and missing modalities per split.
 * Does not validate: call {@link validateDataset} first for a dataset of unknown quality.
 */
export function datasetSummary(ds: DialogueDataset): DatasetSummary {
  const splits = {} as Record<SplitName, SplitSummary>;
  for (const split of SPLITS) splits[split] = summarize(ds, ds[split]);
  return {
    name: ds.name,
    classes: [...ds.classes],
    modalities: ds.modalities.map((m) => m.name),
    train: splits.train,
    dev: splits.dev,
    test: splits.test,
    total: summarize(ds, [...ds.train, ...ds.dev, ...ds.test]),
  };
}

function summarize(ds: DialogueDataset, dialogues: readonly Dialogue[]): SplitSummary {
  const labelCounts: Record<string, number> = {};
  for (const c of ds.classes) labelCounts[c] = 0;
  const missing: Record<string, number> = {};
  for (const m of ds.modalities) missing[m.name] = 0;
  let utterances = 0;
  let labeled = 0;
  let unlabeled = 0;
  let maxDialogueLength = 0;
  for (const d of dialogues) {
    utterances += d.utterances.length;
    maxDialogueLength = Math.max(maxDialogueLength, d.utterances.length);
    for (const u of d.utterances) {
      if (u.label === null) {
        unlabeled++;
      } else if (Number.isInteger(u.label) && u.label >= 0 && u.label < ds.classes.length) {
        labeled++;
        labelCounts[ds.classes[u.label]]++;
      }
      for (const m of ds.modalities) if (u.features[m.name] == null) missing[m.name]++;
    }
  }
  return { dialogues: dialogues.length, utterances, labeled, unlabeled, labelCounts, maxDialogueLength, missing };
}

/**
 * Checks a dataset against the format (see `types.ts`) and throws on the first problem:
 * a name, classes (non-empty, unique) and modalities (unique names, kind `'vector'` with a positive integer `dim`,
 * or kind `'text'`);
 * three split arrays; non-empty dialogues; dialogue ids unique across the dataset and utterance ids unique across
 * the dataset; a speaker string per utterance; labels `null` or an integer class index; features keyed by
 * declared modalities only, each `null`/`undefined` (missing), a `Float32Array` of the modality's `dim` with
 * finite values (vector modalities) or a non-blank string (text modalities).
 *
 * @throws {@link EmojeInputError} whose field is the path at fault, e.g. `train[3].utterances[2].features.audio`,
 * and whose message names the dialogue and utterance ids.
 */
export function validateDataset(ds: unknown): asserts ds is DialogueDataset {
  if (!isObject(ds)) throw new EmojeInputError('dataset', 'an object', describe(ds));
  for (const key of ['name', 'license', 'source'] as const) {
    if (typeof ds[key] !== 'string') throw new EmojeInputError(key, 'a string', describe(ds[key]));
  }
  const classes = ds.classes;
  if (!Array.isArray(classes) || classes.length === 0) {
    throw new EmojeInputError('classes', 'a non-empty array of class names', describe(classes));
  }
  const classNames = new Set<string>();
  classes.forEach((c, i) => {
    if (typeof c !== 'string' || c.length === 0) throw new EmojeInputError(`classes[${i}]`, 'a non-empty string', describe(c));
    if (classNames.has(c)) throw new EmojeInputError(`classes[${i}]`, 'a class name not listed before', describe(c));
    classNames.add(c);
  });
  const modalities = ds.modalities;
  if (!Array.isArray(modalities) || modalities.length === 0) {
    throw new EmojeInputError('modalities', 'a non-empty array of modality specs', describe(modalities));
  }
  const dims = new Map<string, number | 'text'>();
  modalities.forEach((m, i) => {
    const at = `modalities[${i}]`;
    if (!isObject(m)) throw new EmojeInputError(at, 'an object {name, kind, dim}', describe(m));
    if (typeof m.name !== 'string' || m.name.length === 0) {
      throw new EmojeInputError(`${at}.name`, 'a non-empty string', describe(m.name));
    }
    if (dims.has(m.name)) throw new EmojeInputError(`${at}.name`, 'a modality name not listed before', describe(m.name));
    if (m.kind === 'text') {
      dims.set(m.name, 'text');
      return;
    }
    if (m.kind !== 'vector') throw new EmojeInputError(`${at}.kind`, "'vector' or 'text'", describe(m.kind));
    if (typeof m.dim !== 'number' || !Number.isInteger(m.dim) || m.dim < 1) {
      throw new EmojeInputError(`${at}.dim`, 'a positive integer', describe(m.dim));
    }
    dims.set(m.name, m.dim);
  });

  const dialogueIds = new Map<string, string>();
  const utteranceIds = new Map<string, string>();
  for (const split of SPLITS) {
    const dialogues = ds[split];
    if (!Array.isArray(dialogues)) throw new EmojeInputError(split, 'an array of dialogues', describe(dialogues));
    dialogues.forEach((d, di) => {
      const at = `${split}[${di}]`;
      if (!isObject(d)) throw new EmojeInputError(at, 'a dialogue {id, utterances}', describe(d));
      if (typeof d.id !== 'string' || d.id.length === 0) {
        throw new EmojeInputError(`${at}.id`, 'a non-empty string', describe(d.id));
      }
      const hint = `dialogue "${d.id}"`;
      const seenAt = dialogueIds.get(d.id);
      if (seenAt !== undefined) {
        throw new EmojeInputError(`${at}.id`, `a dialogue id unique in the dataset`, `"${d.id}", also the id of ${seenAt}`);
      }
      dialogueIds.set(d.id, at);
      if (!Array.isArray(d.utterances) || d.utterances.length === 0) {
        throw new EmojeInputError(`${at}.utterances`, 'a non-empty array of utterances', describe(d.utterances), hint);
      }
      d.utterances.forEach((u, ui) => {
        checkUtterance(u, `${at}.utterances[${ui}]`, hint, classes.length, dims, utteranceIds);
      });
    });
  }
}

function checkUtterance(
  u: unknown,
  at: string,
  dialogueHint: string,
  numClasses: number,
  dims: ReadonlyMap<string, number | 'text'>,
  utteranceIds: Map<string, string>,
): void {
  if (!isObject(u)) {
    throw new EmojeInputError(at, 'an utterance {id, speaker, label, features}', describe(u), dialogueHint);
  }
  if (typeof u.id !== 'string' || u.id.length === 0) {
    throw new EmojeInputError(`${at}.id`, 'a non-empty string', describe(u.id), dialogueHint);
  }
  const hint = `${dialogueHint}, utterance "${u.id}"`;
  const seenAt = utteranceIds.get(u.id);
  if (seenAt !== undefined) {
    throw new EmojeInputError(`${at}.id`, 'an utterance id unique in the dataset', `"${u.id}", also the id of ${seenAt}`, hint);
  }
  utteranceIds.set(u.id, at);
  if (typeof u.speaker !== 'string') throw new EmojeInputError(`${at}.speaker`, 'a string', describe(u.speaker), hint);
  if (u.text !== undefined && typeof u.text !== 'string') {
    throw new EmojeInputError(`${at}.text`, 'a string or undefined', describe(u.text), hint);
  }
  const label = u.label;
  if (label !== null && (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= numClasses)) {
    throw new EmojeInputError(`${at}.label`, `null or an integer in 0..${numClasses - 1}`, describe(label), hint);
  }
  const features = u.features;
  if (!isObject(features)) throw new EmojeInputError(`${at}.features`, 'an object keyed by modality', describe(features), hint);
  for (const name of Object.keys(features)) {
    const value = features[name];
    const field = `${at}.features.${name}`;
    const dim = dims.get(name);
    if (dim === undefined) {
      throw new EmojeInputError(field, `a declared modality (${[...dims.keys()].join(', ')})`, `undeclared "${name}"`, hint);
    }
    if (value === null || value === undefined) continue;
    if (dim === 'text') {
      if (typeof value !== 'string' || value.trim().length === 0) {
        throw new EmojeInputError(field, 'a non-empty text, or null when missing', describe(value), hint);
      }
      continue;
    }
    if (!(value instanceof Float32Array) || value.length !== dim) {
      throw new EmojeInputError(field, `a Float32Array of length ${dim}, or null when missing`, describe(value), hint);
    }
    for (let k = 0; k < dim; k++) {
      if (!Number.isFinite(value[k])) {
        throw new EmojeInputError(field, 'finite values (mark a missing modality with null)', `${value[k]} at [${k}]`, hint);
      }
    }
  }
}

/**
 * Returns a copy of the dataset in which the named modalities are missing (`null`) in every utterance of every
 * split, to evaluate or train under missing modalities. The modality specs stay (the model keeps its inputs; the
 * availability of those modalities becomes 0). Dialogues and utterances are new objects; the feature arrays of
 * the other modalities are shared, not copied. The input is not changed.
 *
 * @throws {@link EmojeInputError} naming `names[i]` when a name is not a modality of the dataset.
 */
export function withoutModalities(ds: DialogueDataset, names: readonly string[]): DialogueDataset {
  const declared = ds.modalities.map((m) => m.name);
  names.forEach((name, i) => {
    if (!declared.includes(name)) {
      throw new EmojeInputError(`names[${i}]`, `a modality of the dataset (${declared.join(', ')})`, describe(name));
    }
  });
  const drop = new Set(names);
  const mapUtterance = (u: Utterance): Utterance => {
    const features: Utterance['features'] = { ...u.features };
    for (const name of drop) features[name] = null;
    return { ...u, features };
  };
  const mapSplit = (dialogues: Dialogue[]): Dialogue[] =>
    dialogues.map((d) => ({ ...d, utterances: d.utterances.map(mapUtterance) }));
  return {
    ...ds,
    classes: [...ds.classes],
    modalities: ds.modalities.map((m) => ({ ...m })),
    train: mapSplit(ds.train),
    dev: mapSplit(ds.dev),
    test: mapSplit(ds.test),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
