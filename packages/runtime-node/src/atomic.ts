import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { EmojeInputError } from '@emoje/core';

/** Bytes or text to write. */
export type FileData = string | Uint8Array | ArrayBuffer;

/**
 * Writes `data` to `path` and makes it durable. The default ({@link writeFileDurable}) opens,
 * writes, fsyncs and closes. Options accept another writer (to add a layer, or in tests to inject
 * a failure mid-write).
 */
export type FileWriter = (path: string, data: FileData) => Promise<void>;

/** Options of the atomic writers. */
export interface AtomicWriteOptions {
  /** Writes each file. Defaults to {@link writeFileDurable}. */
  writeFile?: FileWriter;
}

function toBytes(data: FileData): Uint8Array | string {
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/** Writes a new file (fails if it exists), fsyncs it and closes it. */
export async function writeFileDurable(path: string, data: FileData): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(toBytes(data));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A random suffix for temporary names next to `path`. */
function tempName(path: string, tag: string): string {
  return `${path}.${tag}-${randomBytes(6).toString('hex')}`;
}

/** fsyncs a directory so a rename inside it survives a crash; best effort (not every platform allows it). */
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Directory fsync is not supported everywhere (e.g. Windows); the rename itself is still atomic.
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Replaces the file at `path` with `data` atomically: the data goes to a temporary file beside it
 * (`<path>.tmp-<random>`), which is fsynced and then renamed over `path`. Readers see the old file
 * or the new one, never a partial one. On failure the temporary file is removed and any previous
 * file at `path` is left untouched. Missing parent folders are created.
 *
 * @example
 * await writeFileAtomic('results/mosi.json', JSON.stringify(metrics));
 */
export async function writeFileAtomic(path: string, data: FileData, options: AtomicWriteOptions = {}): Promise<void> {
  const target = resolve(path);
  const write = options.writeFile ?? writeFileDurable;
  await mkdir(dirname(target), { recursive: true });
  const temp = tempName(target, 'tmp');
  try {
    await write(temp, data);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDir(dirname(target));
}

/** The names {@link replaceDirAtomic} gives its sibling folders: `<dir>.tmp-<12 hex>` and `<dir>.old-<12 hex>`. */
export const SIBLING_PATTERN = /\.(tmp|old)-[0-9a-f]{12}$/;

/** Options of {@link replaceDirAtomic}. */
export interface ReplaceDirOptions {
  /**
   * Called after the existing folder was renamed aside and before the new one is renamed into place, with the three
   * paths: a fault-injection point for tests. A hook that throws leaves both folders where they are, as a kill of the
   * process at that moment would (nothing is cleaned up or restored). Defaults to none.
   */
  betweenRenames?: (paths: { target: string; old: string; temp: string }) => Promise<void> | void;
}

/**
 * Creates or replaces the folder `dir` atomically: `fill` writes the new content into a sibling
 * temporary folder (`<dir>.tmp-<random>`), which is then renamed into place. If `dir` exists it
 * is first renamed aside (`<dir>.old-<random>`), the new folder is swapped in, and the old one is
 * removed. On any failure the temporary folder is removed and the previous `dir` is left intact.
 * A kill between the two renames leaves no `dir` but two complete copies beside it; a reader that
 * knows the content (as `fileCheckpointStore` does) recovers the newer one.
 *
 * @throws EmojeInputError when `dir` exists and is not a folder.
 */
export async function replaceDirAtomic(dir: string, fill: (tempDir: string) => Promise<void>, options: ReplaceDirOptions = {}): Promise<void> {
  const target = resolve(dir);
  if (basename(target) === '' || target === dirname(target)) {
    throw new EmojeInputError('dir', 'a folder path below a parent folder', JSON.stringify(dir));
  }
  let existed = false;
  try {
    const info = await stat(target);
    if (!info.isDirectory()) throw new EmojeInputError('dir', 'a folder (or a path that does not exist yet)', `the file ${JSON.stringify(dir)}`);
    existed = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const temp = tempName(target, 'tmp');
  await mkdir(temp);
  try {
    await fill(temp);
    await syncDir(temp);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }

  if (!existed) {
    try {
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      throw error;
    }
    await syncDir(parent);
    return;
  }

  const old = tempName(target, 'old');
  try {
    await rename(target, old);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  await options.betweenRenames?.({ target, old, temp });
  try {
    await rename(temp, target);
  } catch (error) {
    if (!(await exists(target))) await rename(old, target);
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  await syncDir(parent);
  await rm(old, { recursive: true, force: true });
}

