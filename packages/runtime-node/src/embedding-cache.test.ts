import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EmojeInputError } from '@emoje/core';
import { prepareTexts, type SentenceEncoder } from '@emoje/sentence-encoder';
import { useBackend } from '@emoje/test-utils';
import { EMBEDDING_CACHE_ENV, decodeShard, defaultEmbeddingCacheDir, embedWithCache, encodeShard, encoderCacheDir, textKey } from './embedding-cache';

/** A deterministic encoder that counts the texts it embeds: vector[j] = charCode sum * (j + 1) / 1000. */
function countingEncoder(id = 'fake@1', dim = 4): SentenceEncoder & { embedded: string[] } {
  const embedded: string[] = [];
  return {
    id,
    dim,
    embedded,
    async embed(texts, options = {}) {
      const prepared = prepareTexts(texts);
      embedded.push(...prepared);
      options.onProgress?.({ done: prepared.length, total: prepared.length });
      const out = prepared.flatMap((t) => Array.from({ length: dim }, (_, j) => ([...t].reduce((n, c) => n + c.charCodeAt(0), 0) * (j + 1)) / 1000));
      return tf.tensor2d(out, [prepared.length, dim]);
    },
    dispose() {},
  };
}

let dir: string;
beforeAll(() => useBackend('cpu'));
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emoje-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('embedWithCache', () => {
  it('embeds misses once, then serves every text from the cache (hit), also in a new process-like call', async () => {
    const encoder = countingEncoder();
    const first = await embedWithCache(encoder, ['hello', 'bye', 'hello'], { dir });
    expect(first).toMatchObject({ hits: 0, misses: 2 });
    expect(encoder.embedded).toEqual(['hello', 'bye']);
    expect(first.vectors[0]).toEqual(first.vectors[2]);
    const second = await embedWithCache(encoder, ['bye', 'hello', 'new one'], { dir });
    expect(second).toMatchObject({ hits: 2, misses: 1 });
    expect(encoder.embedded).toEqual(['hello', 'bye', 'new one']);
    expect(Array.from(second.vectors[0])).toEqual(Array.from(first.vectors[1]));
    const fresh = countingEncoder();
    const third = await embedWithCache(fresh, ['hello', 'bye', 'new one'], { dir });
    expect(third).toMatchObject({ hits: 3, misses: 0 });
    expect(fresh.embedded).toEqual([]);
    expect(third.dir).toBe(encoderCacheDir(dir, 'fake@1'));
  });

  it('keeps encoders apart: another id never reads these vectors', async () => {
    await embedWithCache(countingEncoder('a@1'), ['same text'], { dir });
    const other = countingEncoder('b@1');
    expect(await embedWithCache(other, ['same text'], { dir })).toMatchObject({ hits: 0, misses: 1 });
  });

  it('detects a truncated or altered shard, reports it, removes it and embeds its texts again', async () => {
    const encoder = countingEncoder();
    await embedWithCache(encoder, ['one', 'two'], { dir });
    const sub = encoderCacheDir(dir, encoder.id);
    const [shard] = await readdir(sub);
    const bytes = await readFile(join(sub, shard));
    await truncate(join(sub, shard), bytes.length - 7);
    const log: string[] = [];
    const again = await embedWithCache(encoder, ['one', 'two'], { dir, log: (l) => log.push(l) });
    expect(again).toMatchObject({ hits: 0, misses: 2 });
    expect(log.join('\n')).toMatch(/is damaged \(\d+ bytes where its header implies \d+/);
    // A flipped byte inside a vector: same size, wrong checksum.
    const [rewritten] = (await readdir(sub)).filter((n) => n.endsWith('.eec'));
    const good = await readFile(join(sub, rewritten));
    good[good.length - 40] ^= 0xff;
    await writeFile(join(sub, rewritten), good);
    const log2: string[] = [];
    expect(await embedWithCache(encoder, ['one'], { dir, log: (l) => log2.push(l) })).toMatchObject({ hits: 0, misses: 1 });
    expect(log2.join('\n')).toMatch(/checksum mismatch/);
  });

  it('survives a kill mid-write: a stray temporary file is never read, and other files are never touched', async () => {
    const encoder = countingEncoder();
    await embedWithCache(encoder, ['kept'], { dir });
    const sub = encoderCacheDir(dir, encoder.id);
    const [shard] = await readdir(sub);
    // What a kill between write and rename leaves: a partial temporary file beside the shards.
    const partial = (await readFile(join(sub, shard))).subarray(0, 20);
    await writeFile(join(sub, `${shard}.tmp-abc123`), partial);
    await writeFile(join(sub, 'notes.txt'), 'mine');
    const result = await embedWithCache(encoder, ['kept', 'added'], { dir });
    expect(result).toMatchObject({ hits: 1, misses: 1 });
    const names = await readdir(sub);
    expect(names).toContain(`${shard}.tmp-abc123`);
    expect(await readFile(join(sub, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('writes a shard every flushEvery vectors, so a run killed later keeps what it embedded', async () => {
    const encoder = countingEncoder();
    await embedWithCache(encoder, ['a', 'b', 'c', 'd', 'e'], { dir, flushEvery: 2 });
    expect((await readdir(encoderCacheDir(dir, encoder.id))).filter((n) => n.endsWith('.eec'))).toHaveLength(3);
  });

  it('is safe to delete', async () => {
    const encoder = countingEncoder();
    await embedWithCache(encoder, ['x'], { dir });
    await rm(dir, { recursive: true });
    expect(await embedWithCache(encoder, ['x'], { dir })).toMatchObject({ hits: 0, misses: 1 });
  });

  it('checks every text before embedding any, and leaks no tensor', async () => {
    const encoder = countingEncoder();
    const before = tf.memory().numTensors;
    const error = await embedWithCache(encoder, ['fine', '  '], { dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmojeInputError);
    expect((error as EmojeInputError).field).toBe('texts[1]');
    expect(encoder.embedded).toEqual([]);
    await embedWithCache(encoder, ['fine', 'also fine'], { dir });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('runs without a cache when dir is null', async () => {
    const encoder = countingEncoder();
    const r = await embedWithCache(encoder, ['q'], { dir: null });
    expect(r).toMatchObject({ hits: 0, misses: 1, dir: null });
  });
});

describe('shards and locations', () => {
  it('round-trips a shard and refuses one written for another encoder or width', () => {
    const v = new Float32Array([0.5, -1, 2, 3.25]);
    const bytes = encodeShard('fake@1', 4, [[textKey('hi'), v]]);
    const decoded = decodeShard(bytes, 'fake@1', 4);
    expect(decoded).toBeInstanceOf(Map);
    expect(Array.from((decoded as Map<string, Float32Array>).get(textKey('hi'))!)).toEqual([0.5, -1, 2, 3.25]);
    expect(decodeShard(bytes, 'other@1', 4)).toMatch(/written by encoder 'fake@1'/);
    expect(decodeShard(bytes, 'fake@1', 8)).toMatch(/width 4, not 8/);
    expect(decodeShard(new Uint8Array(10), 'fake@1', 4)).toMatch(/bad magic/);
  });

  it('defaults to $EMOJE_CACHE_DIR, else node_modules/.cache/emoje, else the user cache folder', async () => {
    expect(defaultEmbeddingCacheDir({ [EMBEDDING_CACHE_ENV]: 'my-cache' }, '/work/x')).toBe('/work/x/my-cache');
    const withModules = await mkdtemp(join(tmpdir(), 'proj-'));
    try {
      await writeFile(join(withModules, 'package.json'), '{}');
      expect(defaultEmbeddingCacheDir({ XDG_CACHE_HOME: '/xdg' }, withModules, 'linux')).toBe('/xdg/emoje');
      await (await import('node:fs/promises')).mkdir(join(withModules, 'node_modules'));
      expect(defaultEmbeddingCacheDir({}, withModules, 'linux')).toBe(join(withModules, 'node_modules', '.cache', 'emoje'));
    } finally {
      await rm(withModules, { recursive: true, force: true });
    }
  });
});
