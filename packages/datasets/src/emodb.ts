import { EmojeInputError } from '@emoje/core';
import type { SpeakerFold } from './speaker-folds';
import type { Dialogue, DialogueDataset, VectorModalitySpec } from './types';

/** EmoDB's seven emotions in label order (label k = `EMODB_CLASSES[k]`). */
export const EMODB_CLASSES = ['anger', 'boredom', 'disgust', 'fear', 'happiness', 'sadness', 'neutral'] as const;

/** The emotion letter of an EmoDB file name (German initials) -> class name. */
export const EMODB_EMOTION_LETTERS: Readonly<Record<string, (typeof EMODB_CLASSES)[number]>> = Object.freeze({
  W: 'anger', // Wut
  L: 'boredom', // Langeweile
  E: 'disgust', // Ekel
  A: 'fear', // Angst
  F: 'happiness', // Freude
  T: 'sadness', // Trauer
  N: 'neutral',
});

/** The ten EmoDB speakers (5 female, 5 male), in id order. */
export const EMODB_SPEAKERS = ['03', '08', '09', '10', '11', '12', '13', '14', '15', '16'] as const;

/** Sample rate of the vendored samples. */
export const EMODB_SAMPLE_RATE = 16000;

/** File names of the vendored copy, inside its folder (the repository's `data/emodb/`). */
export const EMODB_FILES = {
  /** Little-endian int16 samples at 16 kHz, every utterance one after the other. */
  samples: 'emodb-16k.i16',
  /** {@link EmodbIndexFile} as JSON. */
  index: 'emodb_index.json',
} as const;

export const EMODB_LICENSE = 'CC0-1.0 (EmoDB as published by audEERING; see data/emodb/LICENSE)';
export const EMODB_SOURCE =
  'EmoDB, Burkhardt et al., INTERSPEECH 2005; public copy cut or zero-padded to 2.0 s at 22,050 Hz (GitHub sylaschacko/voice-emotion-analysis wav/ @4b0f64c), trailing padding trimmed and resampled to 16 kHz';

/** One row of `emodb_index.json`. */
export interface EmodbIndexRow {
  /** The source file name, `SSTTTEV.wav`. */
  file: string;
  /** Speaker id, file name characters 1-2. */
  speaker: string;
  /** Sentence code, characters 3-5. */
  sentence: string;
  /** Emotion letter, character 6 (see {@link EMODB_EMOTION_LETTERS}). */
  emotion: string;
  /** Version letter, character 7. */
  version: string;
  /** First sample in the samples file. */
  offset: number;
  /** Number of samples. */
  length: number;
}

/** The whole `emodb_index.json`. */
export interface EmodbIndexFile {
  source: string;
  /** Sample rate of the samples file (16000). */
  sampleRate: number;
  /** Sample rate of the WAV files it was made from. */
  sourceSampleRate: number;
  /** Total samples in the samples file. */
  samples: number;
  utterances: EmodbIndexRow[];
}

/** One EmoDB utterance with its audio. */
export interface EmodbUtterance {
  /** The file name without `.wav`, e.g. `03a01Fa`; unique. */
  id: string;
  speaker: string;
  sentence: string;
  /** The class name, e.g. `'happiness'`. */
  emotion: (typeof EMODB_CLASSES)[number];
  /** Index into {@link EMODB_CLASSES}. */
  label: number;
  /** Mono samples in [-1, 1] at {@link EmodbCorpus.sampleRate}. */
  samples: Float32Array;
}

/** The decoded corpus. */
export interface EmodbCorpus {
  sampleRate: number;
  classes: string[];
  /** In file-name order. */
  utterances: EmodbUtterance[];
  license: string;
  source: string;
}

const FILE_NAME = /^(\d\d)([a-z]\d\d)([A-Z])([a-z])\.wav$/;

/**
 * Speaker, sentence, emotion letter and version from an EmoDB file name `SSTTTEV.wav` (e.g. `03a01Fa.wav`: speaker 03,
 * sentence a01, F = happiness, version a).
 * @param where - What errors name as the place (e.g. the index file and row).
 * @throws {@link EmojeInputError} naming `where` unless the name has that form and a known emotion letter.
 */
export function parseEmodbFileName(name: string, where = 'file'): { speaker: string; sentence: string; emotion: string; version: string } {
  const m = typeof name === 'string' ? FILE_NAME.exec(name) : null;
  if (!m) throw new EmojeInputError(where, "an EmoDB file name 'SSTTTEV.wav' (e.g. 03a01Fa.wav)", JSON.stringify(name));
  if (!(m[3] in EMODB_EMOTION_LETTERS)) {
    throw new EmojeInputError(where, `an emotion letter (6th character) among ${Object.keys(EMODB_EMOTION_LETTERS).join(', ')}`, JSON.stringify(m[3]));
  }
  return { speaker: m[1], sentence: m[2], emotion: m[3], version: m[4] };
}

/**
 * Decodes the vendored copy: `bytes` the samples file (little-endian int16), `index` the parsed index. Labels come
 * from the file names (every row's `speaker`, `sentence` and `emotion` must agree with its `file`).
 * @param files - The paths errors name.
 * @throws {@link EmojeInputError} naming the file, the row and the field when a row is inconsistent or points outside the samples.
 */
export function decodeEmodb(bytes: ArrayBuffer | ArrayBufferView, index: EmodbIndexFile, files: { samples: string; index: string } = { samples: EMODB_FILES.samples, index: EMODB_FILES.index }): EmodbCorpus {
  const view = bytes instanceof ArrayBuffer ? new DataView(bytes) : new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.byteLength % 2 !== 0) throw new EmojeInputError(files.samples, 'a byte length that is a multiple of 2 (int16)', `${view.byteLength} bytes`);
  const total = view.byteLength / 2;
  if (typeof index !== 'object' || index === null || !Array.isArray(index.utterances)) {
    throw new EmojeInputError(`${files.index}: utterances`, 'an array of index rows', typeof index);
  }
  if (typeof index.sampleRate !== 'number' || !(index.sampleRate > 0)) {
    throw new EmojeInputError(`${files.index}: sampleRate`, 'a positive number', JSON.stringify(index.sampleRate));
  }
  const ids = new Set<string>();
  const utterances = index.utterances.map((row, i): EmodbUtterance => {
    const at = `${files.index}: utterances[${i}]`;
    const parsed = parseEmodbFileName(row?.file, `${at}.file`);
    for (const key of ['speaker', 'sentence', 'emotion', 'version'] as const) {
      if (row[key] !== parsed[key]) throw new EmojeInputError(`${at}.${key}`, `${JSON.stringify(parsed[key])} (from the file name ${row.file})`, JSON.stringify(row[key]));
    }
    if (!Number.isInteger(row.offset) || row.offset < 0 || !Number.isInteger(row.length) || row.length < 1 || row.offset + row.length > total) {
      throw new EmojeInputError(`${at}.offset/length`, `a non-empty range inside the ${total} samples of ${files.samples}`, `${row.offset} / ${row.length}`);
    }
    const id = row.file.slice(0, -4);
    if (ids.has(id)) throw new EmojeInputError(`${at}.file`, 'a file not listed before', JSON.stringify(row.file));
    ids.add(id);
    const samples = new Float32Array(row.length);
    for (let k = 0; k < row.length; k++) samples[k] = view.getInt16(2 * (row.offset + k), true) / 32768;
    const emotion = EMODB_EMOTION_LETTERS[parsed.emotion];
    return { id, speaker: parsed.speaker, sentence: parsed.sentence, emotion, label: EMODB_CLASSES.indexOf(emotion), samples };
  });
  utterances.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { sampleRate: index.sampleRate, classes: [...EMODB_CLASSES], utterances, license: EMODB_LICENSE, source: EMODB_SOURCE };
}

/**
 * A {@link DialogueDataset} for one speaker-independent fold: every utterance its own one-turn dialogue (EmoDB has
 * no conversations), with one vector modality, `audio`, from `features(utterance)`.
 * @param dim - The width every feature vector must have.
 * @throws {@link EmojeInputError} naming the utterance when a feature vector has another width.
 */
export function emodbFoldDataset(
  corpus: EmodbCorpus,
  fold: SpeakerFold,
  features: (utterance: EmodbUtterance) => Float32Array,
  dim: number,
  modality = 'audio',
): DialogueDataset<VectorModalitySpec> {
  const train = new Set(fold.train);
  const toDialogues = (keep: (u: EmodbUtterance) => boolean): Dialogue[] =>
    corpus.utterances.filter(keep).map((u) => {
      const f = features(u);
      if (!(f instanceof Float32Array) || f.length !== dim) {
        throw new EmojeInputError(`features(${u.id})`, `a Float32Array of ${dim} values`, f instanceof Float32Array ? `${f.length} values` : typeof f);
      }
      return { id: u.id, utterances: [{ id: u.id, speaker: u.speaker, label: u.label, features: { [modality]: f } }] };
    });
  return {
    name: 'emodb',
    classes: [...corpus.classes],
    modalities: [{ name: modality, kind: 'vector', dim }],
    train: toDialogues((u) => train.has(u.speaker)),
    dev: toDialogues((u) => u.speaker === fold.dev),
    test: toDialogues((u) => u.speaker === fold.test),
    license: corpus.license,
    source: corpus.source,
  };
}
