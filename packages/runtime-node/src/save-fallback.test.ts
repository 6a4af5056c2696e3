import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { useBackend } from '@emoje/test-utils';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeFileDurable, type FileWriter } from './atomic';
import { saveModelWithFallback } from './save-fallback';

let root: string;
beforeAll(() => useBackend('cpu'));
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'emoje-rescue-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** A writer that fails with `code` for every file under `prefix` (a full disk, a folder made read-only mid-run). */
function failingUnder(prefix: string, code: string): FileWriter {
  return async (path, data) => {
    if (path.startsWith(prefix)) throw Object.assign(new Error(`${code}: simulated`), { code });
    await writeFileDurable(path, data);
  };
}

function tinyModel() {
  return tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3] })] });
}

describe('saveModelWithFallback', () => {
  it('saves to the folder asked for when it can', async () => {
    const model = tinyModel();
    const outcome = await saveModelWithFallback(model, join(root, 'out'), { fallbackRoots: [join(root, 'rescue')] });
    expect(outcome).toEqual({ path: join(root, 'out') });
    expect((await readdir(join(root, 'out'))).sort()).toEqual(['model.json', 'weights.bin']);
    model.dispose();
  });

  it('keeps the model in a new fallback folder when the save fails (ENOSPC), and says where', async () => {
    const model = tinyModel();
    const out = join(root, 'out');
    const rescueRoot = join(root, 'rescue');
    await mkdir(rescueRoot);
    const outcome = await saveModelWithFallback(model, out, { writeFile: failingUnder(out, 'ENOSPC'), fallbackRoots: [rescueRoot] });
    expect(outcome.failure?.message).toContain('ENOSPC');
    expect(outcome.path.startsWith(join(rescueRoot, 'emoje-unsaved-model-'))).toBe(true);
    expect(JSON.parse(await readFile(join(outcome.path, 'model.json'), 'utf8')).modelTopology).toBeTruthy();
    expect(await readdir(root)).toEqual(['rescue']); // nothing half-written at --out
    model.dispose();
  });

  it('tries the next fallback root and, when none works, lists every place tried', async () => {
    const model = tinyModel();
    const out = join(root, 'out');
    const second = join(root, 'second');
    await mkdir(second);
    const missing = join(root, 'missing-root');
    const outcome = await saveModelWithFallback(model, out, { writeFile: failingUnder(out, 'EACCES'), fallbackRoots: [missing, second] });
    expect(outcome.path.startsWith(second)).toBe(true);
    await expect(saveModelWithFallback(model, out, { writeFile: failingUnder(root, 'EACCES'), fallbackRoots: [second] })).rejects.toThrow(
      /could not be saved anywhere: tried .*out \(EACCES\), .*second \(EACCES\)/,
    );
    expect((await readdir(second)).length).toBe(1); // the failed rescue folder was removed
    model.dispose();
  });
});
