import { lstat, mkdtemp, readdir, readFile, rmdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { EmojeInputError } from '@emoje/core';
import { CHECKPOINT_FILES } from './checkpoint-store';
import { MODEL_JSON_FILE, WEIGHTS_BIN_FILE } from './fs-io';

/** What a folder that emoje may replace holds: nothing yet, or what a save or a checkpoint write left there. */
export type OutputFolderState = 'missing' | 'empty' | 'model' | 'checkpoint';

/** What {@link checkOutputFolder} replaces besides a missing or empty folder. */
export type OutputFolderKind = 'model' | 'checkpoint';

/** Options of {@link checkOutputFolder}. */
export interface CheckOutputFolderOptions {
  /**
   * Proves that emoje can create files in the existing folder `dir`. Defaults to {@link probeWritable}: creating
   * and removing an empty folder `.emoje-write-probe-<random>` there (tests inject failures such as EACCES with it).
   */
  probe?: (dir: string) => Promise<void>;
  /** The working directory, which is never replaced. Defaults to `process.cwd()`. */
  cwd?: string;
}

/** The largest model.json read to recognise a saved model (a larger one is not ours to replace). */
const MAX_MODEL_JSON_BYTES = 256 * 1024 * 1024;

const MODEL_FORMATS = new Set(['emoje-model', 'emoje-ensemble']);

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Creates and removes an empty folder in `dir`, touching nothing else there. */
export async function probeWritable(dir: string): Promise<void> {
  const probe = await mkdtemp(join(dir, '.emoje-write-probe-'));
  await rmdir(probe);
}

function describeEntries(names: readonly string[]): string {
  const shown = names.slice(0, 3).map((n) => JSON.stringify(n));
  return `${shown.join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}`;
}

async function isSavedModel(dir: string, names: readonly string[]): Promise<boolean> {
  if (!names.includes(MODEL_JSON_FILE) || !names.every((n) => n === MODEL_JSON_FILE || n === WEIGHTS_BIN_FILE)) return false;
  const path = join(dir, MODEL_JSON_FILE);
  const info = await stat(path);
  if (!info.isFile() || info.size > MAX_MODEL_JSON_BYTES) return false;
  try {
    const json = JSON.parse(await readFile(path, 'utf8')) as { format?: unknown; modelTopology?: { format?: unknown } };
    return MODEL_FORMATS.has(String(json.format)) || MODEL_FORMATS.has(String(json.modelTopology?.format));
  } catch {
    return false;
  }
}

async function isCheckpoint(dir: string, names: readonly string[]): Promise<boolean> {
  const [meta, weights] = CHECKPOINT_FILES;
  if (!names.includes(meta) || !names.every((n) => n === meta || n === weights)) return false;
  return (await stat(join(dir, meta))).isFile();
}

/** The nearest existing ancestor of `path` (itself excluded). */
async function existingAncestor(flag: string, path: string): Promise<string> {
  let dir = dirname(path);
  for (;;) {
    try {
      const info = await stat(dir);
      if (!info.isDirectory()) throw new EmojeInputError(flag, 'a folder path whose parents are folders', `${JSON.stringify(path)}, below the file ${JSON.stringify(dir)}`);
      return dir;
    } catch (error) {
      if (error instanceof EmojeInputError) throw error;
      const code = errnoCode(error);
      if (code === 'ENOTDIR') {
        dir = dirname(dir);
        continue;
      }
      if (code !== 'ENOENT' || dirname(dir) === dir) throw error;
      dir = dirname(dir);
    }
  }
}

/**
 * Checks, before any long work, that emoje may write the folder `path` given with the option `flag`
 * (`--out`, `--checkpoint`): it must be missing, empty, or hold what emoje writes there (a saved model or ensemble
 * for `kind: 'model'`, a training checkpoint for `kind: 'checkpoint'`), and its parent must be writable (proved by
 * creating and removing a probe folder in the nearest existing parent; no existing file is touched). Never the
 * root folder, the working directory or a folder above it, and never a symbolic link.
 *
 * @returns the absolute path and what it holds now.
 * @throws EmojeInputError naming `flag` and what was found (file names only, never their content).
 * @example
 * await checkOutputFolder('--out', 'models/mosi', 'model'); // { path: '/home/me/models/mosi', state: 'missing' }
 */
export async function checkOutputFolder(
  flag: string,
  path: string,
  kind: OutputFolderKind,
  options: CheckOutputFolderOptions = {},
): Promise<{ path: string; state: OutputFolderState }> {
  const what = kind === 'model' ? 'a saved emoje model' : 'an emoje checkpoint';
  const expected = `a folder that is missing, empty or holds ${what}`;
  if (typeof path !== 'string' || path.length === 0) throw new EmojeInputError(flag, expected, JSON.stringify(path));
  const target = resolve(path);
  if (dirname(target) === target) throw new EmojeInputError(flag, expected, `${JSON.stringify(path)}, the root folder`);
  const cwd = resolve(options.cwd ?? process.cwd());
  const fromTarget = relative(target, cwd);
  if (fromTarget === '' || !(fromTarget === '..' || fromTarget.startsWith(`..${sep}`))) {
    throw new EmojeInputError(flag, `${expected}, other than the working directory and the folders above it`, JSON.stringify(path));
  }

  let state: OutputFolderState;
  let info;
  try {
    info = await lstat(target);
  } catch (error) {
    const code = errnoCode(error);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
  }
  if (info === undefined) state = 'missing';
  else if (info.isSymbolicLink()) throw new EmojeInputError(flag, expected, `${JSON.stringify(path)}, a symbolic link`);
  else if (!info.isDirectory()) throw new EmojeInputError(flag, expected, `${JSON.stringify(path)}, which is a file`);
  else {
    const names = (await readdir(target)).sort();
    if (names.length === 0) state = 'empty';
    else if (kind === 'model' && (await isSavedModel(target, names))) state = 'model';
    else if (kind === 'checkpoint' && (await isCheckpoint(target, names))) state = 'checkpoint';
    else {
      throw new EmojeInputError(
        flag,
        expected,
        `${JSON.stringify(path)}, which holds ${describeEntries(names)}`,
        'emoje replaces only a folder it wrote; choose a new folder',
      );
    }
  }

  const parent = await existingAncestor(flag, target);
  try {
    await (options.probe ?? probeWritable)(parent);
  } catch (error) {
    throw new EmojeInputError(flag, 'a folder emoje can write in', `${JSON.stringify(path)}: cannot create files in ${JSON.stringify(parent)} (${errnoCode(error) ?? (error as Error).message})`);
  }
  return { path: target, state };
}

/**
 * Checks that two output folders (say `--out` and `--checkpoint`) are neither the same nor one inside the other.
 * @throws EmojeInputError naming `flagB`.
 */
export function assertSeparateFolders(flagA: string, a: string, flagB: string, b: string): void {
  const ra = resolve(a);
  const rb = resolve(b);
  const inside = (x: string, y: string) => x === y || x.startsWith(`${y}${sep}`);
  if (inside(ra, rb) || inside(rb, ra)) {
    throw new EmojeInputError(flagB, `a folder apart from ${flagA} (${JSON.stringify(a)})`, JSON.stringify(b));
  }
}
