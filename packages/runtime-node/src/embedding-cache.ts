import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { EmojeInputError } from '@emoje/core';
import { prepareTexts, type EmbedProgress, type SentenceEncoder } from '@emoje/sentence-encoder';
import { writeFileAtomic } from './atomic';

/** The environment variable that sets the embedding cache's folder (the `--embedding-cache` flag wins over it). */
export const EMBEDDING_CACHE_ENV = 'EMOJE_CACHE_DIR';

/** File name ending of the cache's shards. Only files with it are read, and only those are ever removed. */
export const EMBEDDING_SHARD_EXTENSION = '.eec';

const MAGIC = 'EEC1';
const HASH_BYTES = 32;

/**
 * Where the embedding cache lives when nothing says otherwise: `$EMOJE_CACHE_DIR` when set; else
 * `node_modules/.cache/emoje` in the working folder when it has a `node_modules` (the convention of babel, eslint,
 * webpack); else the user's cache folder (`$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on macOS,
 * `%LOCALAPPDATA%` on Windows) + `/emoje`. The embeddings go in a sub-folder per encoder id.
 */
export function defaultEmbeddingCacheDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), platform = process.platform): string {
  const fromEnv = env[EMBEDDING_CACHE_ENV];
  if (fromEnv && fromEnv.trim()) return resolve(cwd, fromEnv);
  if (existsSync(join(cwd, 'node_modules'))) return join(cwd, 'node_modules', '.cache', 'emoje');
  const home = homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'emoje');
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'emoje', 'Cache');
  return join(env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.trim() ? env.XDG_CACHE_HOME : join(home, '.cache'), 'emoje');
}

/** The sub-folder of `cacheDir` for one encoder: its id with anything but `[A-Za-z0-9._-]` as `_`, plus a short hash of the id. */
export function encoderCacheDir(cacheDir: string, encoderId: string): string {
  const safe = encoderId.replace(/[^A-Za-z0-9._-]/g, '_');
  return join(cacheDir, `${safe}-${createHash('sha256').update(encoderId).digest('hex').slice(0, 8)}`);
}

/** The cache key of a text: SHA-256 of its UTF-8 bytes (after the encoder's documented truncation). */
export function textKey(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Options of {@link embedWithCache}. */
export interface EmbedWithCacheOptions {
  /** The cache's folder. Defaults to {@link defaultEmbeddingCacheDir}. `null` turns the cache off. */
  dir?: string | null;
  /** Texts per encoder call. Defaults to 64. */
  batchSize?: number;
  /** New vectors are written to a new shard every this many (so a killed run keeps most of its work). Defaults to 2048. */
  flushEvery?: number;
  /** Progress of the texts not found in the cache. */
  onProgress?: (progress: EmbedProgress) => void;
  /** Receives one line per notable event (a damaged shard dropped). Defaults to none. */
  log?: (line: string) => void;
}

/** What {@link embedWithCache} returns. */
export interface CachedEmbeddings {
  /** One vector per input text, in input order (equal texts share one array). */
  vectors: Float32Array[];
  /** Distinct texts found in the cache / embedded now. */
  hits: number;
  misses: number;
  /** The encoder's folder inside the cache, or `null` when the cache is off. */
  dir: string | null;
  /** Seconds spent embedding the misses. */
  embedSeconds: number;
}

/**
 * Embeds `texts` with `encoder`, reading the vectors of texts embedded before from an on-disk cache and adding the
 * new ones to it. The cache is keyed by the encoder's id (a folder per encoder) and the SHA-256 of each text.
 *
 * - **Atomic**: vectors are added as new shard files written with {@link writeFileAtomic} (temporary file, fsync,
 *   rename), so a kill mid-write leaves at worst a stray temporary file, which is never read.
 * - **Checked**: each shard carries its size and a SHA-256 of its content; a shard that fails either check is
 *   reported through `log`, removed, and its texts are embedded again.
 * - **Safe to delete**: the cache holds nothing else; a deleted cache is rebuilt on the next run.
 *
 * @throws EmojeInputError before any work when a text is not a non-blank string (field `texts[i]`).
 */
export async function embedWithCache(encoder: SentenceEncoder, texts: readonly string[], options: EmbedWithCacheOptions = {}): Promise<CachedEmbeddings> {
  const prepared = prepareTexts(texts);
  const keys = prepared.map(textKey);
  const dir = options.dir === null ? null : encoderCacheDir(options.dir ?? defaultEmbeddingCacheDir(), encoder.id);
  const known = dir ? await readShards(dir, encoder, options.log) : new Map<string, Float32Array>();
  const missing = new Map<string, string>();
  prepared.forEach((text, i) => {
    if (!known.has(keys[i])) missing.set(keys[i], text);
  });
  const hits = new Set(keys).size - missing.size;
  const started = performance.now();
  const flushEvery = options.flushEvery ?? 2048;
  const todo = [...missing.entries()];
  for (let start = 0; start < todo.length; start += flushEvery) {
    const chunk = todo.slice(start, start + flushEvery);
    const tensor = await encoder.embed(
      chunk.map(([, text]) => text),
      { batchSize: options.batchSize, onProgress: options.onProgress && ((p) => options.onProgress!({ done: start + p.done, total: todo.length })) },
    );
    const flat = (await tensor.data()) as Float32Array;
    tensor.dispose();
    const fresh = chunk.map(([key], i) => [key, flat.slice(i * encoder.dim, (i + 1) * encoder.dim)] as const);
    for (const [key, vector] of fresh) known.set(key, vector);
    if (dir) await writeShard(dir, encoder, fresh);
  }
  return {
    vectors: keys.map((key) => known.get(key)!),
    hits,
    misses: missing.size,
    dir,
    embedSeconds: (performance.now() - started) / 1000,
  };
}

/** Encodes one shard: magic, id length + id, dim, count, the keys, the vectors (float32 LE), then SHA-256 of all that. */
export function encodeShard(encoderId: string, dim: number, entries: readonly (readonly [string, Float32Array])[]): Uint8Array {
  const id = Buffer.from(encoderId, 'utf8');
  const headerBytes = 4 + 4 + id.length + 8;
  const body = Buffer.alloc(headerBytes + entries.length * (HASH_BYTES + 4 * dim));
  body.write(MAGIC, 0, 'latin1');
  body.writeUInt32LE(id.length, 4);
  id.copy(body, 8);
  body.writeUInt32LE(dim, 8 + id.length);
  body.writeUInt32LE(entries.length, 12 + id.length);
  let offset = headerBytes;
  for (const [key] of entries) {
    Buffer.from(key, 'hex').copy(body, offset);
    offset += HASH_BYTES;
  }
  for (const [, vector] of entries) {
    for (let j = 0; j < dim; j++) body.writeFloatLE(vector[j], offset + 4 * j);
    offset += 4 * dim;
  }
  const digest = createHash('sha256').update(body).digest();
  return Buffer.concat([body, digest]);
}

/**
 * Decodes one shard, checking its magic, encoder id, width, size and checksum.
 * @returns the entries, or the reason the shard is unusable (as a string).
 */
export function decodeShard(bytes: Uint8Array, encoderId: string, dim: number): Map<string, Float32Array> | string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 16 + HASH_BYTES || buf.toString('latin1', 0, 4) !== MAGIC) return 'not an emoje embedding shard (bad magic)';
  const idLength = buf.readUInt32LE(4);
  if (8 + idLength + 8 > buf.length) return 'truncated header';
  const id = buf.toString('utf8', 8, 8 + idLength);
  if (id !== encoderId) return `written by encoder '${id}', not '${encoderId}'`;
  const width = buf.readUInt32LE(8 + idLength);
  const count = buf.readUInt32LE(12 + idLength);
  if (width !== dim) return `vectors of width ${width}, not ${dim}`;
  const headerBytes = 16 + idLength;
  const expected = headerBytes + count * (HASH_BYTES + 4 * dim) + HASH_BYTES;
  if (buf.length !== expected) return `${buf.length} bytes where its header implies ${expected} (truncated or padded)`;
  const body = buf.subarray(0, buf.length - HASH_BYTES);
  if (!createHash('sha256').update(body).digest().equals(buf.subarray(buf.length - HASH_BYTES))) return 'checksum mismatch (damaged content)';
  const out = new Map<string, Float32Array>();
  const vectorsAt = headerBytes + count * HASH_BYTES;
  for (let i = 0; i < count; i++) {
    const key = buf.toString('hex', headerBytes + i * HASH_BYTES, headerBytes + (i + 1) * HASH_BYTES);
    const vector = new Float32Array(dim);
    const at = vectorsAt + i * 4 * dim;
    for (let j = 0; j < dim; j++) vector[j] = buf.readFloatLE(at + 4 * j);
    out.set(key, vector);
  }
  return out;
}

async function readShards(dir: string, encoder: SentenceEncoder, log?: (line: string) => void): Promise<Map<string, Float32Array>> {
  const known = new Map<string, Float32Array>();
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(EMBEDDING_SHARD_EXTENSION)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return known;
    throw error;
  }
  for (const name of names) {
    const path = join(dir, name);
    const decoded = decodeShard(await readFile(path), encoder.id, encoder.dim);
    if (typeof decoded === 'string') {
      log?.(`embedding cache: ${path} is damaged (${decoded}); removed, its texts will be embedded again`);
      await rm(path, { force: true });
      continue;
    }
    for (const [key, vector] of decoded) known.set(key, vector);
  }
  return known;
}

async function writeShard(dir: string, encoder: SentenceEncoder, entries: readonly (readonly [string, Float32Array])[]): Promise<void> {
  if (entries.length === 0) return;
  const name = `${Date.now().toString(36).padStart(9, '0')}-${randomBytes(4).toString('hex')}${EMBEDDING_SHARD_EXTENSION}`;
  await writeFileAtomic(join(dir, name), encodeShard(encoder.id, encoder.dim, entries));
}

