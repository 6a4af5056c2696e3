import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { EmojeInputError } from '@emoje/core';

/** The kinds of media file a manifest or a dialogue JSON Lines file can name. */
export type MediaKind = 'wav' | 'keypoints' | 'face';

/** The media kinds, in the order loaders visit them. */
export const MEDIA_KINDS: readonly MediaKind[] = ['wav', 'keypoints', 'face'];

const MIB = 1024 * 1024;

/**
 * The default size caps of media files, in bytes: 256 MiB for a WAV (about 70 minutes of 16-bit mono 32 kHz audio),
 * 64 MiB for a keypoints or face JSON file. Raise them with {@link MediaAccessOptions.maxBytes} or the CLI's
 * `--max-media-mb wav=1024,face=128`.
 */
export const DEFAULT_MEDIA_LIMITS: Readonly<Record<MediaKind, number>> = { wav: 256 * MIB, keypoints: 64 * MIB, face: 64 * MIB };

/** The default size cap of a data file the CLI reads whole (a dialogue JSON Lines file, a manifest, an `--input` file): 256 MiB. */
export const DEFAULT_DATA_FILE_LIMIT = 256 * MIB;

/** How media paths are checked before they are read. */
export interface MediaAccessOptions {
  /**
   * Read media files wherever they are. Defaults to `false`: a media path must resolve, symlinks followed, to a
   * file inside the data file's folder (or `baseDir`); anything else is an error naming the field.
   * The CLI's `--allow-media-outside` sets it.
   */
  allowOutside?: boolean;
  /** Size caps per kind in bytes, over {@link DEFAULT_MEDIA_LIMITS}. */
  maxBytes?: Partial<Record<MediaKind, number>>;
}

/** Where {@link resolveMediaFile} found a media file: its real path (symlinks resolved) and size. */
export interface ResolvedMediaFile {
  path: string;
  size: number;
}

/** Why {@link resolveMediaFile} found no file: the error code only (`ENOENT`, `EACCES`, `ELOOP`, ...). */
export interface AbsentMediaFile {
  absent: string;
}

/** The cap of `kind` under `options`, validated. */
export function mediaLimit(kind: MediaKind, options: MediaAccessOptions = {}): number {
  const cap = options.maxBytes?.[kind] ?? DEFAULT_MEDIA_LIMITS[kind];
  if (typeof cap !== 'number' || !Number.isFinite(cap) || cap < 1) {
    throw new EmojeInputError(`maxBytes.${kind}`, 'a positive number of bytes', String(cap));
  }
  return cap;
}

/** `true` when `child` is `root` or lies below it (both real, absolute paths). */
export function isInside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function typeOf(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

function outside(field: string, ref: string, root: string): EmojeInputError {
  return new EmojeInputError(
    field,
    `a file inside ${root} (the data file's folder)`,
    `${JSON.stringify(ref)}, which resolves outside it`,
    'Move the file there, or allow other places explicitly (option allowOutside, CLI --allow-media-outside)',
  );
}

function megabytes(bytes: number): string {
  return bytes >= MIB ? `${(bytes / MIB).toFixed(bytes % MIB === 0 ? 0 : 1)} MiB` : `${bytes} bytes`;
}

/**
 * Checks a media path before anything reads it: resolves it against `baseDir` and resolves symlinks (of the folder
 * and the file), then requires, unless `allowOutside`, that the file lies inside `baseDir`; then that it is a
 * regular file (a FIFO, a device such as `/dev/zero` or a folder is refused without being opened) no larger than the
 * cap of its kind. A file that does not exist (or cannot be reached) is not an error: it comes back as
 * `{ absent: code }`, and the caller treats that modality as missing.
 * @param field - where the path was written, for errors: e.g. `calls.jsonl:4 utterances[2].wav`.
 * @throws EmojeInputError naming `field` when the file is outside the folder, not a regular file, or too large.
 */
export async function resolveMediaFile(
  ref: string,
  kind: MediaKind,
  baseDir: string,
  field: string,
  options: MediaAccessOptions = {},
): Promise<ResolvedMediaFile | AbsentMediaFile> {
  const cap = mediaLimit(kind, options);
  let root: string;
  try {
    root = await realpath(baseDir);
  } catch (error) {
    throw new EmojeInputError(field, `a path inside an existing data folder`, `${JSON.stringify(ref)} in ${JSON.stringify(baseDir)} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  if (!options.allowOutside && !isInside(root, resolve(root, ref))) throw outside(field, ref, root);
  let real: string;
  try {
    real = await realpath(resolve(root, ref));
  } catch (error) {
    return { absent: (error as NodeJS.ErrnoException).code ?? 'unreadable' };
  }
  if (!options.allowOutside && !isInside(root, real)) throw outside(field, ref, root);
  const info = await stat(real);
  if (!info.isFile()) throw new EmojeInputError(field, 'a regular file', `${JSON.stringify(ref)}, ${typeOf(info)}`);
  if (info.size > cap) {
    throw new EmojeInputError(
      field,
      `a ${kind} file of at most ${megabytes(cap)}`,
      `${JSON.stringify(ref)}, ${megabytes(info.size)}`,
      `Raise the cap with maxBytes.${kind} (CLI --max-media-mb ${kind}=<MiB>)`,
    );
  }
  return { path: real, size: info.size };
}

/**
 * Reads a file whole, but only a regular file no larger than `maxBytes`: it is opened non-blocking (a FIFO swapped in
 * after a check cannot hang the read), checked again on the open handle, and read up to `maxBytes` (a file that grew
 * past the cap is an error, not a partial read).
 * @param field - how errors name the file, e.g. `--dataset` or `calls.jsonl:4 utterances[2].wav`.
 * @throws EmojeInputError naming `field` when the file is not a regular file or is larger than `maxBytes`; the
 * errors of `open` (ENOENT, EACCES, ...) pass through.
 */
export async function readRegularFile(path: string, field: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new EmojeInputError(field, 'a regular file', `${JSON.stringify(path)}, ${typeOf(info)}`);
    if (info.size > maxBytes) throw new EmojeInputError(field, `a file of at most ${megabytes(maxBytes)}`, `${JSON.stringify(path)}, ${megabytes(info.size)}`);
    const buffer = Buffer.alloc(info.size);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    const extra = Buffer.alloc(1);
    if ((await handle.read(extra, 0, 1, filled)).bytesRead > 0) {
      throw new EmojeInputError(field, `a file that does not change while it is read`, `${JSON.stringify(path)}, which grew`);
    }
    return filled === buffer.length ? buffer : buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a data file named on the command line (or passed to a loader) as UTF-8: a regular file no larger than
 * `maxBytes` (default {@link DEFAULT_DATA_FILE_LIMIT}); a FIFO or a device is refused before it is opened.
 * @throws EmojeInputError naming `field` and the path when the file is missing, unreadable, not a regular file or too
 * large; the message gives the error code, never the file's content.
 */
export async function readDataFile(path: string, field: string, expected: string, maxBytes = DEFAULT_DATA_FILE_LIMIT): Promise<string> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (error) {
    throw new EmojeInputError(field, expected, `${JSON.stringify(path)} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  if (!info.isFile()) throw new EmojeInputError(field, `${expected}, a regular file`, `${JSON.stringify(path)}, ${typeOf(info)}`);
  if (info.size > maxBytes) throw new EmojeInputError(field, `${expected} of at most ${megabytes(maxBytes)}`, `${JSON.stringify(path)}, ${megabytes(info.size)}`);
  try {
    return (await readRegularFile(path, field, maxBytes)).toString('utf8');
  } catch (error) {
    if (error instanceof EmojeInputError) throw error;
    throw new EmojeInputError(field, expected, `${JSON.stringify(path)} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}
