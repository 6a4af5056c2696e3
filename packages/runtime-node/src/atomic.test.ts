import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmojeInputError } from '@emoje/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replaceDirAtomic, writeFileAtomic, writeFileDurable, type FileWriter } from './atomic';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'emoje-atomic-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A writer that writes half the data, then fails (a full disk, a crash mid-write). */
const failingHalfway: FileWriter = async (path, data) => {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data as ArrayBuffer);
  await writeFileDurable(path, bytes.subarray(0, bytes.length >> 1));
  throw new Error('ENOSPC: no space left on device, write');
};

describe('writeFileAtomic', () => {
  it('creates missing folders and writes text and bytes', async () => {
    const path = join(root, 'a', 'b', 'result.json');
    await writeFileAtomic(path, '{"ok":true}');
    expect(await readFile(path, 'utf8')).toBe('{"ok":true}');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect([...(await readFile(path))]).toEqual([1, 2, 3]);
    await writeFileAtomic(path, new Uint8Array([4, 5]).buffer);
    expect([...(await readFile(path))]).toEqual([4, 5]);
    expect(await readdir(join(root, 'a', 'b'))).toEqual(['result.json']);
  });

  it('leaves the previous file intact and no temp file when the write fails', async () => {
    const path = join(root, 'checkpoint.json');
    await writeFileAtomic(path, 'old content');
    await expect(writeFileAtomic(path, 'new content that fails', { writeFile: failingHalfway })).rejects.toThrow('ENOSPC');
    expect(await readFile(path, 'utf8')).toBe('old content');
    expect(await readdir(root)).toEqual(['checkpoint.json']);
  });

  it('leaves no temp file when the rename fails', async () => {
    const path = join(root, 'taken');
    await mkdir(path);
    await writeFile(join(path, 'keep.txt'), 'kept');
    await expect(writeFileAtomic(path, 'data')).rejects.toThrow();
    expect(await readdir(root)).toEqual(['taken']);
    expect(await readFile(join(path, 'keep.txt'), 'utf8')).toBe('kept');
  });
});

describe('replaceDirAtomic', () => {
  it('creates, then replaces a folder, removing the old one', async () => {
    const dir = join(root, 'model');
    await replaceDirAtomic(dir, (tmp) => writeFile(join(tmp, 'v.txt'), '1'));
    await replaceDirAtomic(dir, (tmp) => writeFile(join(tmp, 'w.txt'), '2'));
    expect(await readdir(dir)).toEqual(['w.txt']);
    expect(await readdir(root)).toEqual(['model']);
  });

  it('keeps the previous folder and removes the temp folder when filling fails', async () => {
    const dir = join(root, 'model');
    await replaceDirAtomic(dir, (tmp) => writeFile(join(tmp, 'v.txt'), 'old'));
    await expect(
      replaceDirAtomic(dir, async (tmp) => {
        await writeFile(join(tmp, 'v.txt'), 'new');
        throw new Error('interrupted');
      }),
    ).rejects.toThrow('interrupted');
    expect(await readFile(join(dir, 'v.txt'), 'utf8')).toBe('old');
    expect(await readdir(root)).toEqual(['model']);
  });

  it('refuses to replace a file with a folder', async () => {
    const path = join(root, 'file');
    await writeFile(path, 'x');
    await expect(replaceDirAtomic(path, async () => undefined)).rejects.toThrow(EmojeInputError);
    expect(await readdir(root)).toEqual(['file']);
  });
});
