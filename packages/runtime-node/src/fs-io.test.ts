import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { EmojeInputError } from '@emoje/core';
import { expectClose, leakedTensors, useBackend } from '@emoje/test-utils';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fileSystem, loadLayersModel, registerFileSystemRouters, saveModel, writeFileDurable, type FileWriter } from './index';

let root: string;

function tinyModel(seed: number): tfl.LayersModel {
  const model = tfl.sequential();
  model.add(tfl.layers.dense({ units: 8, inputShape: [5], activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }));
  model.add(tfl.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }));
  return model;
}

const input = () => tf.tensor2d([[0.1, -0.2, 0.3, 0.4, -0.5], [1, 2, -3, 0.5, 0]]);

/** Fails while writing weights.bin, after writing part of it. */
const failOnWeights: FileWriter = async (path, data) => {
  if (path.endsWith('weights.bin')) {
    await writeFileDurable(path, new Uint8Array(4));
    throw new Error('EIO: i/o error, write');
  }
  await writeFileDurable(path, data);
};

beforeAll(() => useBackend('wasm'));

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'emoje-fs-io-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('fileSystem model I/O', () => {
  let model: tfl.LayersModel;
  beforeAll(() => {
    model = tinyModel(3);
  });
  afterAll(() => model.dispose());

  it('saves model.json + weights.bin and loads a model with equal predictions', async () => {
    const dir = join(root, 'model');
    const result = await saveModel(model, dir);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe((5 * 8 + 8 + 8 * 3 + 3) * 4);
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['./weights.bin']);
    expect(json.weightsManifest[0].weights).toHaveLength(4);

    const loaded = await loadLayersModel(dir);
    const x = input();
    expectClose(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 1e-6);
    const viaJson = await tfl.loadLayersModel(fileSystem(join(dir, 'model.json')));
    expectClose(viaJson.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 1e-6);
    tf.dispose(x);
    loaded.dispose();
    viaJson.dispose();
  });

  it('replaces an existing model folder atomically', async () => {
    const dir = join(root, 'model');
    await saveModel(model, dir);
    const other = tinyModel(11);
    await saveModel(other, dir);
    const loaded = await loadLayersModel(dir);
    const x = input();
    expectClose(loaded.predict(x) as tf.Tensor, other.predict(x) as tf.Tensor, 1e-6);
    expect(await readdir(root)).toEqual(['model']);
    tf.dispose(x);
    loaded.dispose();
    other.dispose();
  });

  it('a failed save leaves the previous model intact and no temp folder behind', async () => {
    const dir = join(root, 'model');
    await saveModel(model, dir);
    const before = await readFile(join(dir, 'weights.bin'));
    const other = tinyModel(11);
    await expect(saveModel(other, dir, { writeFile: failOnWeights })).rejects.toThrow('EIO');
    expect(await readdir(root)).toEqual(['model']);
    expect(await readFile(join(dir, 'weights.bin'))).toEqual(before);
    const loaded = await loadLayersModel(dir);
    const x = input();
    expectClose(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 1e-6);
    tf.dispose(x);
    loaded.dispose();
    other.dispose();
  });

  it('a failed first save leaves nothing behind', async () => {
    await expect(saveModel(model, join(root, 'fresh'), { writeFile: failOnWeights })).rejects.toThrow('EIO');
    expect(await readdir(root)).toEqual([]);
  });

  it('routes file:// URLs through model.save and tf.loadLayersModel', async () => {
    expect(registerFileSystemRouters()).toBe(false); // already registered when the package was imported
    const dir = join(root, 'routed');
    await model.save(`file://${dir}`);
    const loaded = await tfl.loadLayersModel(`file://${join(dir, 'model.json')}`);
    const x = input();
    expectClose(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 1e-6);
    tf.dispose(x);
    loaded.dispose();
  });

  it('gives clear errors for a missing model and for saving to a .json path', async () => {
    await expect(loadLayersModel(join(root, 'nope'))).rejects.toThrow(EmojeInputError);
    await expect(loadLayersModel(join(root, 'nope'))).rejects.toThrow('which does not exist');
    await expect(saveModel(model, join(root, 'model.json'))).rejects.toThrow(EmojeInputError);
    expect(() => fileSystem('')).toThrow(EmojeInputError);
  });

  it('save leaks no tensors, and a loaded model frees all its tensors on dispose', async () => {
    const dir = join(root, 'leak');
    expect(await leakedTensors(() => saveModel(model, dir))).toBe(0);
    const warm = await loadLayersModel(dir);
    warm.dispose();
    const before = tf.memory().numTensors;
    const loaded = await loadLayersModel(dir);
    expect(tf.memory().numTensors).toBe(before + 4);
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
