import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Checkpoint } from '@emoje/model';
import { fileCheckpointStore } from './checkpoint-store';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'emoje-ckpt-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

function checkpoint(epoch: number): Checkpoint {
  const weights = new Float32Array([epoch, epoch + 0.5, -epoch]);
  return { meta: { epoch }, weightSpecs: [{ name: 'weight/0', shape: [3], dtype: 'float32' }], weightData: weights.buffer };
}

/** A simulated kill between the two renames of a checkpoint swap. */
class Killed extends Error {}

describe('fileCheckpointStore', () => {
  it('writes and reads a checkpoint; read on an empty store gives null', async () => {
    const store = fileCheckpointStore(join(root, 'ck'));
    expect(await store.read()).toBeNull();
    await store.write(checkpoint(1));
    await store.write(checkpoint(2));
    const back = await store.read();
    expect(back?.meta.epoch).toBe(2);
    expect([...new Float32Array(back!.weightData)]).toEqual([2, 2.5, -2]);
    expect(await readdir(root)).toEqual(['ck']);
  });

  it('recovers the newest complete copy after a kill between the renames, and cleans the leftovers', async () => {
    const dir = join(root, 'ck');
    await fileCheckpointStore(dir).write(checkpoint(3));
    const killing = fileCheckpointStore(dir, {
      replace: {
        betweenRenames: () => {
          throw new Killed('killed');
        },
      },
    });
    await expect(killing.write(checkpoint(4))).rejects.toBeInstanceOf(Killed);
    // What the kill leaves (the state the issue reproduced): no ck/, an old and a new complete copy beside it.
    const left = (await readdir(root)).sort();
    expect(left).toHaveLength(2);
    expect(left.some((n) => /^ck\.old-[0-9a-f]{12}$/.test(n))).toBe(true);
    expect(left.some((n) => /^ck\.tmp-[0-9a-f]{12}$/.test(n))).toBe(true);

    const store = fileCheckpointStore(dir);
    const back = await store.read();
    expect(back?.meta.epoch).toBe(4); // the newer copy (before: null, and --resume started from epoch 1)
    expect([...new Float32Array(back!.weightData)]).toEqual([4, 4.5, -4]);
    expect(await readdir(root)).toEqual(['ck']);
  });

  it('prefers a complete older copy to an incomplete newer one, and never touches other folders', async () => {
    const dir = join(root, 'ck');
    await fileCheckpointStore(dir).write(checkpoint(5));
    // A kill during the fill: a temporary folder with weights but no checkpoint.json.
    await mkdir(join(root, 'ck.tmp-0123456789ab'));
    await writeFile(join(root, 'ck.tmp-0123456789ab', 'checkpoint.bin'), new Uint8Array(12));
    // A truncated copy of a later epoch: checkpoint.json says 12 bytes of weights, 4 are there.
    await mkdir(join(root, 'ck.old-aaaaaaaaaaaa'));
    await writeFile(join(root, 'ck.old-aaaaaaaaaaaa', 'checkpoint.json'), JSON.stringify({ meta: { epoch: 9 }, weightSpecs: [], weightBytes: 12 }));
    await writeFile(join(root, 'ck.old-aaaaaaaaaaaa', 'checkpoint.bin'), new Uint8Array(4));
    await mkdir(join(root, 'ck.old-notes'));
    await writeFile(join(root, 'ck.old-notes', 'mine.txt'), 'user data');

    const recovery = await fileCheckpointStore(dir).recover();
    expect(recovery.epoch).toBe(5);
    expect(recovery.restored).toBeUndefined();
    expect(recovery.removed).toHaveLength(2);
    expect((await readdir(root)).sort()).toEqual(['ck', 'ck.old-notes']);
    expect(await readFile(join(root, 'ck.old-notes', 'mine.txt'), 'utf8')).toBe('user data');
  });

  it('names the file, never its content, when checkpoint.json is not JSON', async () => {
    const dir = join(root, 'ck');
    await mkdir(dir);
    await writeFile(join(dir, 'checkpoint.json'), 'root:x:0:0:root:/root:/bin/bash');
    await writeFile(join(dir, 'checkpoint.bin'), new Uint8Array(0));
    const error = await fileCheckpointStore(dir).read().catch((e: Error) => e);
    expect(String(error)).toContain('checkpoint.json');
    expect(String(error)).not.toContain('root:x');
  });
});
