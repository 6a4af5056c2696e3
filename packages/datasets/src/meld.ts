import { parse } from 'csv-parse/sync';
import { EmojeInputError } from '@emoje/core';
import { describe } from './describe';
import type { Dialogue, DialogueDataset, SplitName, TextModalitySpec, Utterance } from './types';

/** MELD's seven emotions, in the order of the MELD paper; a label `k` means `MELD_EMOTIONS[k]`. */
export const MELD_EMOTIONS: readonly string[] = Object.freeze(['neutral', 'surprise', 'fear', 'sadness', 'joy', 'disgust', 'anger']);

/** MELD's three sentiments. */
export const MELD_SENTIMENTS: readonly string[] = Object.freeze(['neutral', 'positive', 'negative']);

/** The columns a MELD CSV must have (more are allowed and ignored). */
export const MELD_COLUMNS: readonly string[] = Object.freeze([
  'Sr No.',
  'Utterance',
  'Speaker',
  'Emotion',
  'Sentiment',
  'Dialogue_ID',
  'Utterance_ID',
  'Season',
  'Episode',
  'StartTime',
  'EndTime',
]);

/** The file names of the bundled MELD CSVs, inside the package's `data/meld/` folder. */
export const MELD_FILES: Readonly<Record<SplitName, string>> = Object.freeze({
  train: 'train_sent_emo.csv',
  dev: 'dev_sent_emo.csv',
  test: 'test_sent_emo.csv',
});

/** MELD's one modality here: the transcript of each utterance. */
export const MELD_MODALITIES: readonly TextModalitySpec[] = Object.freeze([Object.freeze({ name: 'text', kind: 'text' } as TextModalitySpec)]);

export const MELD_LICENSE = 'GPL-3.0 (declare-lab/MELD); transcripts of the TV series Friends';

export const MELD_SOURCE =
  'declare-lab/MELD, data/MELD/{train,dev,test}_sent_emo.csv: Poria et al., "MELD: A Multimodal Multi-Party Dataset for ' +
  'Emotion Recognition in Conversations", ACL 2019';

/** Options of {@link parseMeld} (and of `loadMeld` in `@emoje/datasets/node`). */
export interface MeldOptions {
  /** Which label to read: the 7 emotions (default) or the 3 sentiments. */
  labels?: 'emotion' | 'sentiment';
}

/** The text of each split's CSV file, and the names used for them in errors. */
export type MeldCsvTexts = Record<SplitName, string>;

/**
 * Parses MELD's three CSV files into a {@link DialogueDataset} with one text modality. Each `Dialogue_ID` is one
 * dialogue (id `meld-<split>-<Dialogue_ID>`), its utterances ordered by `Utterance_ID` numerically (gaps are
 * kept as they are); `Speaker` is kept as the speaker name (the model maps a dialogue's speakers to local ids);
 * `StartTime`/`EndTime` in either `H:MM:SS,mmm` or `HH:MM:SS,mmm` become seconds. Curly quotes stay in the text
 * (the tokenizer maps them). The CSV is read with `csv-parse` (RFC 4180 quoting).
 *
 * Nothing is returned half-loaded: the first problem throws an {@link EmojeInputError} whose field names the
 * file, the line and the column, e.g. `train_sent_emo.csv:12 Emotion`.
 */
export function parseMeld(files: MeldCsvTexts, options: MeldOptions = {}): DialogueDataset {
  const labels = options.labels ?? 'emotion';
  if (labels !== 'emotion' && labels !== 'sentiment') {
    throw new EmojeInputError('labels', "'emotion' or 'sentiment'", describe(labels));
  }
  const classes = labels === 'emotion' ? MELD_EMOTIONS : MELD_SENTIMENTS;
  const splits = {} as Record<SplitName, Dialogue[]>;
  for (const split of ['train', 'dev', 'test'] as const) {
    if (typeof files?.[split] !== 'string') throw new EmojeInputError(`files.${split}`, 'the text of a MELD CSV file', describe(files?.[split]));
    splits[split] = parseMeldSplit(files[split], split, MELD_FILES[split], labels, classes);
  }
  return {
    name: labels === 'emotion' ? 'meld' : 'meld-sentiment',
    classes: [...classes],
    modalities: MELD_MODALITIES.map((m) => ({ ...m })),
    ...splits,
    license: MELD_LICENSE,
    source: MELD_SOURCE,
  };
}

interface Row {
  line: number;
  utteranceId: number;
  utterance: Utterance;
}

/** Parses one MELD CSV (the text of `fileName`) into dialogues. See {@link parseMeld}. */
export function parseMeldSplit(
  text: string,
  split: SplitName,
  fileName: string,
  labels: 'emotion' | 'sentiment',
  classes: readonly string[],
): Dialogue[] {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, { columns: true, bom: true, info: true, skip_empty_lines: true, trim: false });
  } catch (error) {
    const e = error as Error & { lines?: number; code?: string };
    throw new EmojeInputError(`${fileName}${e.lines ? `:${e.lines}` : ''}`, 'valid CSV (RFC 4180 quoting)', e.message);
  }
  const header = parse(text.split(/\r?\n/, 1)[0] ?? '', { bom: true })[0] as string[] | undefined;
  for (const column of MELD_COLUMNS) {
    if (!header || !header.includes(column)) {
      throw new EmojeInputError(`${fileName}:1`, `a header with the column "${column}" (${MELD_COLUMNS.join(', ')})`, JSON.stringify(header ?? []));
    }
  }
  const labelColumn = labels === 'emotion' ? 'Emotion' : 'Sentiment';
  const byDialogue = new Map<number, Row[]>();
  for (const { record, info } of records) {
    const line = info.lines;
    const at = (column: string): string => `${fileName}:${line} ${column}`;
    const dialogueId = integer(record.Dialogue_ID, at('Dialogue_ID'));
    const utteranceId = integer(record.Utterance_ID, at('Utterance_ID'));
    const words = record.Utterance;
    if (typeof words !== 'string' || words.trim().length === 0) {
      throw new EmojeInputError(at('Utterance'), 'a non-empty utterance', describe(words));
    }
    const speaker = record.Speaker?.trim();
    if (!speaker) throw new EmojeInputError(at('Speaker'), 'a speaker name', describe(record.Speaker));
    const name = record[labelColumn]?.trim().toLowerCase();
    const label = classes.indexOf(name);
    if (label < 0) throw new EmojeInputError(at(labelColumn), `one of ${classes.join(', ')}`, describe(record[labelColumn]));
    const utterance: Utterance = {
      id: `meld-${split}-${dialogueId}-${utteranceId}`,
      speaker,
      text: words,
      label,
      start: timestamp(record.StartTime, at('StartTime')),
      end: timestamp(record.EndTime, at('EndTime')),
      features: { text: words },
    };
    const rows = byDialogue.get(dialogueId) ?? [];
    if (rows.some((r) => r.utteranceId === utteranceId)) {
      throw new EmojeInputError(at('Utterance_ID'), `an id not used before in dialogue ${dialogueId}`, String(utteranceId));
    }
    rows.push({ line, utteranceId, utterance });
    byDialogue.set(dialogueId, rows);
  }
  return [...byDialogue.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([id, rows]) => ({
      id: `meld-${split}-${id}`,
      utterances: rows.sort((a, b) => a.utteranceId - b.utteranceId).map((r) => r.utterance),
    }));
}

function integer(value: string | undefined, field: string): number {
  const n = value !== undefined && /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new EmojeInputError(field, 'a non-negative integer', describe(value));
  return n;
}

/** `H:MM:SS,mmm` or `HH:MM:SS,mmm` (a `.` before the milliseconds is accepted too) to seconds. */
export function parseMeldTimestamp(value: string, field = 'timestamp'): number {
  return timestamp(value, field);
}

function timestamp(value: string | undefined, field: string): number {
  const match = value === undefined ? null : /^\s*(\d{1,2}):(\d{2}):(\d{2})[,.](\d{1,3})\s*$/.exec(value);
  if (!match) throw new EmojeInputError(field, 'a time H:MM:SS,mmm or HH:MM:SS,mmm', describe(value));
  const [, h, m, s, ms] = match;
  if (Number(m) > 59 || Number(s) > 59) throw new EmojeInputError(field, 'minutes and seconds below 60', describe(value));
  return Number(h) * 3600 + Number(m) * 60 + Number(s) + Number(ms.padEnd(3, '0')) / 1000;
}
