/**
 * `@emoje/datasets/node`: loads the data bundled with the package (CMU-MOSI, MELD, GloVe vectors), and EmoDB from
 * the repository's `data/emodb/` (or any folder), from the file system (Node only).
 *
 * @packageDocumentation
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmojeInputError } from '@emoje/core';
import { decodeFloat32LE } from './binary';
import { EMODB_FILES, decodeEmodb, type EmodbCorpus, type EmodbIndexFile } from './emodb';
import { MELD_FILES, parseMeld, type MeldOptions } from './meld';
import { MOSI_FILES, parseMosi, type MosiIndexFile, type MosiOptions } from './mosi';
import { decodeWordVectors, type WordVectors } from './word-vectors';
import type { DialogueDataset, VectorModalitySpec } from './types';

/** Options of {@link loadMosi}: the split options of `parseMosi`, and where the files are. */
export interface LoadMosiOptions extends MosiOptions {
  /** A folder holding `mosi_features_t100_a73_v100.f32` and `mosi_index.json`. Default: the bundled copy. */
  dataDir?: string;
}

/** The raw MOSI files, decoded: what {@link readMosiFiles} returns. */
export interface MosiFiles {
  /** The feature matrix, 2,199 x 273 float32, row-major. */
  features: Float32Array;
  /** The parsed `mosi_index.json`. */
  index: MosiIndexFile;
}

/**
 * The absolute path of the bundled `data/mosi` folder. Resolved from this module's URL, so it works from the
 * sources (`src/node.ts`) and from the build (`dist/node.js`, `dist/node.cjs`), both one level below the package.
 */
export function mosiDataDir(): string {
  return fileURLToPath(new URL('../data/mosi/', import.meta.url));
}

/** Reads and decodes the two MOSI files (synchronously) from `dataDir` (default: the bundled copy). */
export function readMosiFiles(dataDir: string = mosiDataDir()): MosiFiles {
  return decodeFiles(
    readFileSync(join(dataDir, MOSI_FILES.features)),
    readFileSync(join(dataDir, MOSI_FILES.index), 'utf8'),
    dataDir,
  );
}

/**
 * Loads CMU-MOSI (2,199 utterances in 93 videos; train / dev / test) from the files bundled with the package,
 * or from `options.dataDir`. See `parseMosi` for the format and the dev split. With `{ text: 'tokens' }` the text
 * modality is each utterance's transcript (a `'text'` modality read word by word; {@link loadMosiWordVectors} has
 * the GloVe vectors of its words) instead of bc-LSTM's text vector.
 *
 * @example
 * ```ts
 * const mosi = await loadMosi({ text: 'tokens' });
 * mosi.modalities; // [{ name: 'text', kind: 'text' }, { name: 'audio', kind: 'vector', dim: 73 }, { name: 'visual', ... }]
 * ```
 */
export async function loadMosi(options?: LoadMosiOptions & { text?: 'vector' }): Promise<DialogueDataset<VectorModalitySpec>>;
export async function loadMosi(options: LoadMosiOptions): Promise<DialogueDataset>;
export async function loadMosi(options: LoadMosiOptions = {}): Promise<DialogueDataset> {
  const dir = options.dataDir ?? mosiDataDir();
  const [bytes, json] = await Promise.all([
    readFile(join(dir, MOSI_FILES.features)),
    readFile(join(dir, MOSI_FILES.index), 'utf8'),
  ]);
  const { features, index } = decodeFiles(bytes, json, dir);
  return parseMosi(features, index.utterances, options);
}

/** The synchronous {@link loadMosi}. */
export function loadMosiSync(options?: LoadMosiOptions & { text?: 'vector' }): DialogueDataset<VectorModalitySpec>;
export function loadMosiSync(options: LoadMosiOptions): DialogueDataset;
export function loadMosiSync(options: LoadMosiOptions = {}): DialogueDataset {
  const { features, index } = readMosiFiles(options.dataDir ?? mosiDataDir());
  return parseMosi(features, index.utterances, options);
}

function decodeFiles(bytes: Uint8Array, json: string, dir: string): MosiFiles {
  const features = decodeFloat32LE(bytes, join(dir, MOSI_FILES.features));
  let index: MosiIndexFile;
  try {
    index = JSON.parse(json) as MosiIndexFile;
  } catch (error) {
    throw new EmojeInputError(join(dir, MOSI_FILES.index), 'valid JSON', (error as Error).message);
  }
  if (typeof index !== 'object' || index === null || !Array.isArray(index.utterances)) {
    throw new EmojeInputError(`${join(dir, MOSI_FILES.index)}: utterances`, 'an array of index rows', typeof index);
  }
  return { features, index };
}

/** The absolute path of the bundled `data/meld` folder (the three CSVs and their GPL-3.0 licence). */
export function meldDataDir(): string {
  return fileURLToPath(new URL('../data/meld/', import.meta.url));
}

/** Options of {@link loadMeld}: the label choice of `parseMeld`, and where the CSVs are. */
export interface LoadMeldOptions extends MeldOptions {
  /** A folder holding `train_sent_emo.csv`, `dev_sent_emo.csv` and `test_sent_emo.csv`. Default: the bundled copy. */
  dataDir?: string;
}

/**
 * Loads MELD's transcripts and labels (9,989 / 1,109 / 2,610 utterances in 1,038 / 114 / 280 dialogues; 7 emotions
 * or 3 sentiments) with one text modality. See `parseMeld`.
 */
export async function loadMeld(options: LoadMeldOptions = {}): Promise<DialogueDataset> {
  const dir = options.dataDir ?? meldDataDir();
  const [train, dev, test] = await Promise.all(
    (['train', 'dev', 'test'] as const).map((split) => readFile(join(dir, MELD_FILES[split]), 'utf8')),
  );
  return parseMeld({ train, dev, test }, options);
}

/** The bundled GloVe 6B 100-d vectors of MELD's 5,906 word types (see `data/glove/PROVENANCE.md`). */
export const GLOVE_MELD_FILE = 'glove-6b-100d-meld.ewv';

/** The bundled GloVe 6B 100-d vectors of CMU-MOSI's word types (2,866 of the transcripts' 3,107; see `data/glove/PROVENANCE.md`). */
export const GLOVE_MOSI_FILE = 'glove-6b-100d-mosi.ewv';

/**
 * Loads the bundled GloVe 6B 100-d vectors of the words of MOSI's transcripts (for `loadMosi({ text: 'tokens' })`),
 * or a word-vector file written by `encodeWordVectors`.
 */
export async function loadMosiWordVectors(path: string = fileURLToPath(new URL(`../data/glove/${GLOVE_MOSI_FILE}`, import.meta.url))): Promise<WordVectors> {
  return decodeWordVectors(await readFile(path), path);
}

/** Loads the bundled GloVe vectors of MELD's vocabulary, or a word-vector file written by `encodeWordVectors`. */
export async function loadWordVectors(path: string = fileURLToPath(new URL(`../data/glove/${GLOVE_MELD_FILE}`, import.meta.url))): Promise<WordVectors> {
  return decodeWordVectors(await readFile(path), path);
}

/**
 * The repository's `data/emodb/` folder (EmoDB is 33 MB, so it is kept out of the npm package). Resolved from this
 * module's URL: `packages/datasets/{src,dist}/` -> `data/emodb/` of the checkout.
 */
export function emodbDataDir(): string {
  return fileURLToPath(new URL('../../../data/emodb/', import.meta.url));
}

/** Options of {@link loadEmodb}. */
export interface LoadEmodbOptions {
  /** A folder holding `emodb-16k.i16` and `emodb_index.json`. Default: the repository's `data/emodb/`. */
  dataDir?: string;
}

/**
 * Loads EmoDB (535 utterances, 10 speakers, 7 emotions, 16 kHz mono) from the repository's `data/emodb/` or
 * `options.dataDir`. Labels come from the file names. Build speaker-independent folds with
 * `leaveOneSpeakerOutFolds(EMODB_SPEAKERS)` and datasets with `emodbFoldDataset`.
 * @throws {@link EmojeInputError} naming the folder when the files are not there (an npm install has no copy: pass
 * `dataDir`), or the file, row and field when the index is inconsistent.
 */
export async function loadEmodb(options: LoadEmodbOptions = {}): Promise<EmodbCorpus> {
  const dir = options.dataDir ?? emodbDataDir();
  const samplesPath = join(dir, EMODB_FILES.samples);
  const indexPath = join(dir, EMODB_FILES.index);
  if (!existsSync(samplesPath) || !existsSync(indexPath)) {
    throw new EmojeInputError(
      'dataDir',
      `a folder holding ${EMODB_FILES.samples} and ${EMODB_FILES.index}`,
      JSON.stringify(dir),
      'EmoDB lives in the repository (data/emodb/), not in the npm package; pass dataDir, or rebuild it with packages/datasets/scripts/vendor-emodb.ts',
    );
  }
  const [bytes, json] = await Promise.all([readFile(samplesPath), readFile(indexPath, 'utf8')]);
  let index: EmodbIndexFile;
  try {
    index = JSON.parse(json) as EmodbIndexFile;
  } catch (error) {
    throw new EmojeInputError(indexPath, 'valid JSON', (error as Error).message);
  }
  return decodeEmodb(bytes, index, { samples: samplesPath, index: indexPath });
}
