import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel } from '@emoje/model';
import { useBackend } from '@emoje/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelOrEnsemble, runCli, saveModel, type CliIO } from './index';

function capture(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t) };
}

let root: string;
beforeAll(async () => {
  await useBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'emoje-model-checks-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function saveTextModel(dir: string) {
  const model = createModel({
    modalities: [{ name: 'text', kind: 'tokens', vocabulary: ['<pad>', '<unk>', 'good', 'bad'], embeddingDim: 4 }],
    classes: ['neutral', 'joy', 'anger'],
    units: 8,
    contextUnits: 8,
    embeddingDim: 4,
    numHeads: 2,
    acnLayers: 1,
    seed: 1,
  });
  await saveModel(model, dir);
  model.dispose();
}

describe('emoje eval compares the model with the dataset (issue 19, item 7)', () => {
  it('a 3-class text model on the 2-class MOSI vectors is an error listing every difference, not a score', async () => {
    const dir = join(root, 'text-model');
    await saveTextModel(dir);
    const io = capture();
    expect(await runCli(['node', 'emoje', 'eval', '--model', dir, '--dataset', 'mosi', '--backend', 'cpu'], { io })).toBe(1);
    const message = io.stderr.join('');
    expect(io.stdout.join('')).toBe('');
    expect(message).toContain('dataset: expected the model\'s classes and modalities, received 4 differences');
    expect(message).toContain('classes: the model has [neutral, joy, anger], the dataset [negative, positive]');
    expect(message).toContain("modality 'text': the model reads text (tokens), the dataset gives a vector of width 100");
    expect(message).toContain("modality 'audio' of the dataset (a vector of width 73): the model has no such input");
    expect(message).toContain("modality 'visual' of the dataset (a vector of width 100): the model has no such input");
  }, 60_000);
});

describe('loading a saved model checks its weights file (issue 19, item 8)', () => {
  it('a truncated weights.bin is named with both sizes', async () => {
    const dir = join(root, 'truncated');
    await saveTextModel(dir);
    const file = join(dir, 'weights.bin');
    const size = (await readFile(file)).byteLength;
    await truncate(file, size - 10);
    await expect(loadModelOrEnsemble(dir)).rejects.toThrow(`${file}: expected ${size} bytes, as the manifest lists`);
  });

  it('a NaN in weights.bin is named with the file and the weight', async () => {
    const dir = join(root, 'nan');
    await saveTextModel(dir);
    const file = join(dir, 'weights.bin');
    const bytes = await readFile(file);
    new DataView(bytes.buffer, bytes.byteOffset).setFloat32(40, Number.NaN, true);
    await writeFile(file, bytes);
    await expect(loadModelOrEnsemble(dir)).rejects.toThrow(new RegExp(`^${file.replace(/[.]/g, '\\.')}: weight .+\\[\\d+\\]: expected a finite number, received NaN`));
  });

  it('a model.json that is not JSON is named, and its content is not echoed', async () => {
    const dir = join(root, 'not-json');
    await saveTextModel(dir);
    await writeFile(join(dir, 'model.json'), 'root:x:0:0:root:/root:/bin/bash\n');
    const error = await loadModelOrEnsemble(dir).catch((e: Error) => e);
    expect(String(error)).toContain(join(dir, 'model.json'));
    expect(String(error)).not.toContain('root:x');
  });
});
