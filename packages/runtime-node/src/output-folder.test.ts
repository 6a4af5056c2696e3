import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmojeInputError } from '@emoje/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertSeparateFolders, checkOutputFolder } from './output-folder';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'emoje-out-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('checkOutputFolder', () => {
  it('accepts a missing or empty folder, a saved model for --out and a checkpoint for --checkpoint', async () => {
    expect((await checkOutputFolder('--out', join(root, 'new', 'deeper'), 'model')).state).toBe('missing');
    await mkdir(join(root, 'empty'));
    expect((await checkOutputFolder('--out', join(root, 'empty'), 'model')).state).toBe('empty');
    await mkdir(join(root, 'model'));
    await writeFile(join(root, 'model', 'model.json'), JSON.stringify({ modelTopology: { format: 'emoje-model' }, format: 'emoje-model' }));
    await writeFile(join(root, 'model', 'weights.bin'), new Uint8Array(4));
    expect((await checkOutputFolder('--out', join(root, 'model'), 'model')).state).toBe('model');
    await mkdir(join(root, 'ck'));
    await writeFile(join(root, 'ck', 'checkpoint.json'), '{}');
    await writeFile(join(root, 'ck', 'checkpoint.bin'), new Uint8Array(0));
    expect((await checkOutputFolder('--checkpoint', join(root, 'ck'), 'checkpoint')).state).toBe('checkpoint');
    // Neither kind stands in for the other.
    await expect(checkOutputFolder('--out', join(root, 'ck'), 'model')).rejects.toThrow(/^--out: /);
    await expect(checkOutputFolder('--checkpoint', join(root, 'model'), 'checkpoint')).rejects.toThrow(/^--checkpoint: /);
    // The probe left nothing behind.
    expect((await readdir(root)).sort()).toEqual(['ck', 'empty', 'model']);
  });

  it('refuses a folder with other files, naming the flag and the files but not their content', async () => {
    const data = join(root, 'data');
    await mkdir(data);
    await writeFile(join(data, 'notes.txt'), 'secret notes');
    await writeFile(join(data, 'model.json'), JSON.stringify({ format: 'something-else' }));
    const error = await checkOutputFolder('--out', data, 'model').catch((e) => e);
    expect(error).toBeInstanceOf(EmojeInputError);
    expect(error.message).toMatch(/^--out: expected a folder that is missing, empty or holds a saved emoje model/);
    expect(error.message).toContain('"notes.txt"');
    expect(error.message).not.toContain('secret');
    expect(await readFile(join(data, 'notes.txt'), 'utf8')).toBe('secret notes');
  });

  it('refuses the working directory, a folder above it, the root folder, a file and a path below a file', async () => {
    const cwd = join(root, 'work');
    await mkdir(cwd);
    await expect(checkOutputFolder('--out', cwd, 'model', { cwd })).rejects.toThrow(/working directory/);
    await expect(checkOutputFolder('--out', root, 'model', { cwd })).rejects.toThrow(/working directory/);
    await expect(checkOutputFolder('--out', '/', 'model')).rejects.toThrow(/root folder/);
    await writeFile(join(root, 'file'), 'x');
    await expect(checkOutputFolder('--checkpoint', join(root, 'file'), 'checkpoint')).rejects.toThrow(/^--checkpoint: .*which is a file/);
    await expect(checkOutputFolder('--out', join(root, 'file', 'sub'), 'model')).rejects.toThrow(/^--out: .*below the file/);
  });

  it('refuses a parent emoje cannot write in (the probe fails as EACCES or EROFS would)', async () => {
    const probe = async () => {
      throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
    };
    await expect(checkOutputFolder('--out', join(root, 'm'), 'model', { probe })).rejects.toThrow(/^--out: expected a folder emoje can write in.*EROFS/);
  });
});

describe('assertSeparateFolders', () => {
  it('refuses the same folder or one inside the other', () => {
    expect(() => assertSeparateFolders('--out', 'a/m', '--checkpoint', 'a/m')).toThrow(/^--checkpoint: /);
    expect(() => assertSeparateFolders('--out', 'a/m', '--checkpoint', 'a/m/ck')).toThrow(EmojeInputError);
    expect(() => assertSeparateFolders('--out', 'a/m', '--checkpoint', 'a/m-ck')).not.toThrow();
  });
});
