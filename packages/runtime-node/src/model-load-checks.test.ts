/**
 * Named regression cases of model loading that the fuzz (loaders.fuzz.test.ts) found, and issue 19 item 5 for
 * model.json: each of these crashed with a TypeError or a tfjs message, or quoted the file, before.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmojeInputError } from '@emoje/core';
import { createModel } from '@emoje/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadModelOrEnsemble, saveModel } from './index';

describe('model loading checks the files before tfjs reads them', () => {
  let dir: string;
  let json: Record<string, any>;
  let weights: Buffer;
  beforeAll(async () => {
    await initBackend();
    dir = await mkdtemp(join(tmpdir(), 'emoje-load-'));
    const model = createModel({ modalities: [{ name: 'a', kind: 'vector', dim: 3 }], classes: ['x', 'y'], units: 8, contextUnits: 8, numHeads: 2 });
    await saveModel(model, join(dir, 'model'));
    model.dispose();
    json = JSON.parse(await readFile(join(dir, 'model', 'model.json'), 'utf8'));
    weights = await readFile(join(dir, 'model', 'weights.bin'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function loadWith(modelJson: string, bytes: Buffer = weights): Promise<EmojeInputError> {
    await writeFile(join(dir, 'model', 'model.json'), modelJson);
    await writeFile(join(dir, 'model', 'weights.bin'), bytes);
    try {
      (await loadModelOrEnsemble(join(dir, 'model'))).dispose();
    } catch (error) {
      if (error instanceof EmojeInputError) return error;
      throw error;
    }
    throw new Error('expected an EmojeInputError, the model loaded');
  }

  it('a model.json that is not JSON is named without quoting it (V8 quoted its first bytes)', async () => {
    const error = await loadWith('root:x:0:0:ZQXJ:/root:/bin/bash');
    expect(error.message).toMatch(/model\.json", not valid JSON/);
    expect(error.message).not.toMatch(/root|ZQXJ/);
  });

  it('fuzz regression: weightsManifest[0].weights that is not an array (was a TypeError)', async () => {
    const error = await loadWith(JSON.stringify({ ...json, weightsManifest: [{ ...json.weightsManifest[0], weights: 1e308 }] }));
    expect(error.field).toBe('model.json weightsManifest[0].weights');
  });

  it('fuzz regression: a weight with dtype "" (was tfjs "Unsupported dtype" without the file)', async () => {
    const specs = json.weightsManifest[0].weights.map((w: object, k: number) => (k === 3 ? { ...w, dtype: '' } : w));
    const error = await loadWith(JSON.stringify({ ...json, weightsManifest: [{ ...json.weightsManifest[0], weights: specs }] }));
    expect(error.field).toBe('model.json weightsManifest[0].weights[3]');
  });

  it('weights that do not fill the manifest name the weights file and both sizes', async () => {
    const error = await loadWith(JSON.stringify(json), weights.subarray(0, weights.length - 8));
    expect(error.message).toMatch(new RegExp(`weights\\.bin: expected ${weights.length} bytes.*received ${weights.length - 8} bytes`));
    await writeFile(join(dir, 'model', 'weights.bin'), weights);
  });

  it('a model.json that is a FIFO is refused without being opened (reading it would hang)', async () => {
    const fifoDir = join(dir, 'fifo-model');
    await rm(fifoDir, { recursive: true, force: true });
    execFileSync('mkdir', [fifoDir]);
    try {
      execFileSync('mkfifo', [join(fifoDir, 'model.json')]);
    } catch {
      return; // no mkfifo here
    }
    await expect(loadModelOrEnsemble(fifoDir)).rejects.toThrow(/path: expected a regular file model\.json, received .*which is not a regular file/);
  });
});
