import { EmojeInputError, describeFileValue as describe, parseJsonText } from '@emoje/core';
import { SPLITS, type Dialogue, type DialogueDataset, type ModalitySpec, type SplitName, type Utterance } from './types';
import { validateDataset } from './utils';

/** The `format` of the header line of a dialogue JSON Lines file. */
export const DIALOGUE_JSONL_FORMAT = 'emoje-dialogues';
/** The version of the format this package reads and writes. */
export const DIALOGUE_JSONL_VERSION = 1;

/**
 * The header, the first line of a dialogue JSON Lines file (format version 1):
 *
 * ```json
 * {"format": "emoje-dialogues", "version": 1, "name": "my-calls", "classes": ["neutral", "joy", "anger"],
 *  "modalities": [{"name": "text", "kind": "text"}, {"name": "audio", "kind": "vector", "dim": 77}],
 *  "license": "CC-BY-4.0", "source": "our call centre, 2026"}
 * ```
 */
export interface DialogueJsonlHeader {
  format: typeof DIALOGUE_JSONL_FORMAT;
  version: typeof DIALOGUE_JSONL_VERSION;
  name: string;
  classes: string[];
  modalities: ModalitySpec[];
  license?: string;
  source?: string;
}

/**
 * One utterance of a dialogue line. `label` is a class name (or null / absent: unlabeled). The text modality
 * (kind `text`) reads `text`. Vector modalities read `features[name]` (an array of numbers, or null when missing),
 * or a media file: `wav` (fills the modality named `audio`), `keypoints` (`body`) and `face` (`face`), paths
 * relative to the JSONL file, featurized by `@emoje/runtime-node`'s `loadDialogueJsonl`.
 */
export interface DialogueJsonlUtterance {
  id?: string;
  speaker: string;
  text?: string;
  label?: string | null;
  features?: Record<string, number[] | null>;
  wav?: string;
  keypoints?: string;
  face?: string;
}

/** One dialogue line: `{"id": "call-17", "split": "train", "utterances": [...]}`. `split` defaults to `train`. */
export interface DialogueJsonlLine {
  id: string;
  split?: SplitName;
  utterances: DialogueJsonlUtterance[];
}

/** The media files an utterance refers to, kept by {@link parseDialogueJsonl} for a loader to featurize. */
export interface UtteranceMedia {
  wav?: string;
  keypoints?: string;
  face?: string;
}

/** What {@link parseDialogueJsonl} returns: the dataset, and the media references still to featurize. */
export interface ParsedDialogueJsonl {
  dataset: DialogueDataset;
  /** Per utterance id, its media files (only utterances that have some). */
  media: Map<string, UtteranceMedia>;
  /** Per utterance id with media, where it sits in the file, e.g. `calls.jsonl:4 utterances[2]` (for error messages). */
  locations: Map<string, string>;
}

/**
 * The size limits {@link parseDialogueJsonl} checks before it builds anything: `maxUtterances` per dialogue (the
 * default of the model's dialogue context, 256) and `maxDim`, the widest vector modality a header may declare.
 */
export const DIALOGUE_JSONL_LIMITS = { maxUtterances: 256, maxDim: 65536 } as const;

/** Options of {@link parseDialogueJsonl}. */
export interface DialogueJsonlOptions {
  /** The name used for the file in errors. Defaults to `dialogues.jsonl`. */
  fileName?: string;
  /** Most utterances in one dialogue; a longer one is an error naming its line. Defaults to 256 ({@link DIALOGUE_JSONL_LIMITS}). */
  maxUtterances?: number;
  /** Widest `dim` a vector modality of the header may declare. Defaults to 65536 ({@link DIALOGUE_JSONL_LIMITS}). */
  maxDim?: number;
}

const MEDIA_KEYS = ['wav', 'keypoints', 'face'] as const;

/**
 * Parses a dialogue JSON Lines file (see {@link DialogueJsonlHeader} and {@link DialogueJsonlLine}): the header on
 * the first line, then one dialogue per line (blank lines are skipped). Errors name the line and the field, e.g.
 * `calls.jsonl:4 utterances[2].label`, and nothing is returned half-loaded. The dataset is validated with
 * `validateDataset` before it is returned, except that vector modalities filled from media files are still
 * missing: featurize `media` (as `loadDialogueJsonl` in `@emoje/runtime-node` does) to fill them.
 *
 * Sizes are checked before anything is built (see {@link DIALOGUE_JSONL_LIMITS}): a header `dim` above `maxDim`, or
 * a dialogue of more than `maxUtterances` utterances, is an error naming the line and field. Messages never quote
 * the file: a value at fault is described by its type and size (`a string of 12 characters`), numbers excepted; only
 * the names the header declares (classes, modalities) are listed as the expected values.
 */
export function parseDialogueJsonl(text: string, options: DialogueJsonlOptions = {}): ParsedDialogueJsonl {
  const file = options.fileName ?? 'dialogues.jsonl';
  if (typeof text !== 'string') throw new EmojeInputError(file, 'the text of a JSON Lines file', describe(text));
  const lines = text.split(/\r?\n/);
  const firstLine = lines.findIndex((l) => l.trim().length > 0);
  if (firstLine < 0) throw new EmojeInputError(file, `a header line {"format": "${DIALOGUE_JSONL_FORMAT}", ...} and dialogues`, 'an empty file');
  const maxUtterances = options.maxUtterances ?? DIALOGUE_JSONL_LIMITS.maxUtterances;
  const maxDim = options.maxDim ?? DIALOGUE_JSONL_LIMITS.maxDim;
  for (const [name, value] of [['maxUtterances', maxUtterances], ['maxDim', maxDim]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new EmojeInputError(`options.${name}`, 'a positive integer', String(value));
  }
  const header = parseHeader(parseLine(lines[firstLine], `${file}:${firstLine + 1}`), `${file}:${firstLine + 1}`, maxDim);
  const kinds = new Map(header.modalities.map((m) => [m.name, m]));
  const textModality = header.modalities.find((m) => m.kind === 'text');
  const splits: Record<SplitName, Dialogue[]> = { train: [], dev: [], test: [] };
  const media = new Map<string, UtteranceMedia>();
  const locations = new Map<string, string>();
  for (let i = firstLine + 1; i < lines.length; i++) {
    if (lines[i].trim().length === 0) continue;
    const where = `${file}:${i + 1}`;
    const line = parseLine(lines[i], where) as Partial<DialogueJsonlLine>;
    const at = (field: string) => `${where} ${field}`;
    if (line === null || typeof line !== 'object' || Array.isArray(line)) throw new EmojeInputError(where, 'a dialogue object {"id", "utterances"}', describe(line));
    if (typeof line.id !== 'string' || line.id.length === 0) throw new EmojeInputError(at('id'), 'a non-empty dialogue id', describe(line.id));
    const split = line.split ?? 'train';
    if (!SPLITS.includes(split)) throw new EmojeInputError(at('split'), `one of ${SPLITS.join(', ')}`, describe(split));
    if (!Array.isArray(line.utterances) || line.utterances.length === 0) {
      throw new EmojeInputError(at('utterances'), 'a non-empty array of utterances', describe(line.utterances));
    }
    if (line.utterances.length > maxUtterances) {
      throw new EmojeInputError(
        at('utterances'),
        `at most ${maxUtterances} utterances in a dialogue`,
        `${line.utterances.length} in dialogue "${line.id}"`,
        'Split the dialogue, or raise the limit (option maxUtterances, CLI --max-utterances; the model must accept as many)',
      );
    }
    const utterances = line.utterances.map((u, j): Utterance => {
      const uat = (field: string) => at(`utterances[${j}]${field ? `.${field}` : ''}`);
      if (!isObject(u)) throw new EmojeInputError(uat(''), 'an utterance object {speaker, text, label, ...}', describe(u));
      const id = u.id ?? `${line.id}#${j}`;
      if (typeof id !== 'string' || id.length === 0) throw new EmojeInputError(uat('id'), 'a non-empty string', describe(u.id));
      if (typeof u.speaker !== 'string' || u.speaker.trim().length === 0) throw new EmojeInputError(uat('speaker'), 'a speaker name', describe(u.speaker));
      if (u.text !== undefined && typeof u.text !== 'string') throw new EmojeInputError(uat('text'), 'a string', describe(u.text));
      let label: number | null = null;
      if (u.label !== undefined && u.label !== null) {
        label = header.classes.indexOf(u.label);
        if (label < 0) throw new EmojeInputError(uat('label'), `one of ${header.classes.join(', ')} (or null)`, describe(u.label));
      }
      const features: Utterance['features'] = {};
      if (textModality) {
        if (u.text !== undefined && u.text.trim().length === 0) throw new EmojeInputError(uat('text'), 'a non-empty utterance text (leave it out when missing)', describe(u.text));
        features[textModality.name] = u.text ?? null;
      }
      if (u.features !== undefined && !isObject(u.features)) throw new EmojeInputError(uat('features'), 'an object keyed by modality', describe(u.features));
      for (const [name, values] of Object.entries(u.features ?? {})) {
        const spec = kinds.get(name);
        if (!spec || spec.kind !== 'vector') {
          throw new EmojeInputError(uat(`features.${name}`), `a vector modality of the header (${header.modalities.filter((m) => m.kind === 'vector').map((m) => m.name).join(', ') || 'none'})`, 'a modality the header does not declare');
        }
        if (values === null) {
          features[name] = null;
          continue;
        }
        if (!Array.isArray(values) || values.length !== spec.dim || values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
          throw new EmojeInputError(uat(`features.${name}`), `an array of ${spec.dim} finite numbers, or null when missing`, describe(values));
        }
        features[name] = Float32Array.from(values);
      }
      const refs: UtteranceMedia = {};
      for (const key of MEDIA_KEYS) {
        const value = (u as unknown as Record<string, unknown>)[key];
        if (value === undefined || value === null) continue;
        if (typeof value !== 'string' || value.length === 0) throw new EmojeInputError(uat(key), 'a file path', describe(value));
        refs[key] = value;
      }
      if (Object.keys(refs).length > 0) {
        media.set(id, refs);
        locations.set(id, uat(''));
      }
      const utterance: Utterance = { id, speaker: u.speaker, label, features };
      if (u.text !== undefined) utterance.text = u.text;
      return utterance;
    });
    splits[split].push({ id: line.id, utterances });
  }
  const dataset: DialogueDataset = {
    name: header.name,
    classes: [...header.classes],
    modalities: header.modalities.map((m) => ({ ...m })),
    ...splits,
    license: header.license ?? 'unknown',
    source: header.source ?? file,
  };
  if (dataset.train.length === 0) throw new EmojeInputError(file, 'at least one dialogue with split "train" (the default)', 'none');
  try {
    validateDataset(dataset);
  } catch (error) {
    if (error instanceof EmojeInputError) throw new EmojeInputError(`${file} ${error.field}`, error.expected, error.received);
    throw error;
  }
  return { dataset, media, locations };
}

/** Writes a dataset as a dialogue JSON Lines file (the inverse of {@link parseDialogueJsonl}, without media). */
export function formatDialogueJsonl(dataset: DialogueDataset): string {
  validateDataset(dataset);
  const header: DialogueJsonlHeader = {
    format: DIALOGUE_JSONL_FORMAT,
    version: DIALOGUE_JSONL_VERSION,
    name: dataset.name,
    classes: dataset.classes,
    modalities: dataset.modalities,
    license: dataset.license,
    source: dataset.source,
  };
  const lines = [JSON.stringify(header)];
  const text = dataset.modalities.find((m) => m.kind === 'text')?.name;
  for (const split of SPLITS) {
    for (const d of dataset[split]) {
      lines.push(
        JSON.stringify({
          id: d.id,
          split,
          utterances: d.utterances.map((u) => {
            const features: Record<string, number[] | null> = {};
            for (const m of dataset.modalities) {
              if (m.kind !== 'vector' || !(m.name in u.features)) continue;
              const v = u.features[m.name];
              features[m.name] = v instanceof Float32Array ? Array.from(v) : null;
            }
            const t = text ? u.features[text] : u.text;
            return {
              id: u.id,
              speaker: u.speaker,
              ...(typeof t === 'string' ? { text: t } : u.text !== undefined ? { text: u.text } : {}),
              label: u.label === null ? null : dataset.classes[u.label],
              ...(Object.keys(features).length ? { features } : {}),
            };
          }),
        }),
      );
    }
  }
  return lines.join('\n') + '\n';
}

function parseHeader(value: unknown, where: string, maxDim: number): DialogueJsonlHeader {
  if (!isObject(value)) throw new EmojeInputError(where, `a header object {"format": "${DIALOGUE_JSONL_FORMAT}", ...}`, describe(value));
  if (value.format !== DIALOGUE_JSONL_FORMAT) throw new EmojeInputError(`${where} format`, `"${DIALOGUE_JSONL_FORMAT}"`, describe(value.format));
  if (value.version !== DIALOGUE_JSONL_VERSION) throw new EmojeInputError(`${where} version`, String(DIALOGUE_JSONL_VERSION), describe(value.version));
  if (typeof value.name !== 'string' || value.name.length === 0) throw new EmojeInputError(`${where} name`, 'a dataset name', describe(value.name));
  if (!Array.isArray(value.classes) || value.classes.length < 2) throw new EmojeInputError(`${where} classes`, 'an array of at least 2 class names', describe(value.classes));
  const classes = new Set<string>();
  value.classes.forEach((c: unknown, k: number) => {
    if (typeof c !== 'string' || c.length === 0) throw new EmojeInputError(`${where} classes[${k}]`, 'a non-empty class name', describe(c));
    if (classes.has(c)) throw new EmojeInputError(`${where} classes[${k}]`, 'a class name not listed before', 'a repeated name');
    classes.add(c);
  });
  if (!Array.isArray(value.modalities) || value.modalities.length === 0) {
    throw new EmojeInputError(`${where} modalities`, 'a non-empty array of {name, kind: "text"} or {name, kind: "vector", dim}', describe(value.modalities));
  }
  value.modalities.forEach((m: unknown, k: number) => {
    const at = `${where} modalities[${k}]`;
    if (!isObject(m)) throw new EmojeInputError(at, 'a modality {name, kind: "text"} or {name, kind: "vector", dim}', describe(m));
    if (typeof m.name !== 'string' || m.name.length === 0) throw new EmojeInputError(`${at}.name`, 'a non-empty modality name', describe(m.name));
    if (m.kind !== 'text' && m.kind !== 'vector') throw new EmojeInputError(`${at}.kind`, '"text" or "vector"', describe(m.kind));
    if (m.kind !== 'vector') return;
    if (typeof m.dim !== 'number' || !Number.isInteger(m.dim) || m.dim < 1 || m.dim > maxDim) {
      throw new EmojeInputError(`${at}.dim`, `an integer in 1..${maxDim} (raise the limit with option maxDim)`, describe(m.dim));
    }
  });
  if (value.modalities.filter((m: { kind?: string }) => m.kind === 'text').length > 1) {
    throw new EmojeInputError(`${where} modalities`, 'at most one modality of kind "text" (it reads each utterance\'s text)', 'several');
  }
  for (const key of ['license', 'source'] as const) {
    if (value[key] !== undefined && typeof value[key] !== 'string') throw new EmojeInputError(`${where} ${key}`, 'a string', describe(value[key]));
  }
  return value as unknown as DialogueJsonlHeader;
}

function parseLine(line: string, where: string): unknown {
  return parseJsonText(line, where, 'one JSON object per line');
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
