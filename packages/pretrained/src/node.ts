import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { loadModel, type EmojeModel } from '@emoje/model';
import { pretrainedInfo } from './catalog';

export { PRETRAINED, pretrainedInfo, type PretrainedInfo, type PretrainedName } from './catalog';

/** The folder holding the bundled model files (works from the sources and from dist). */
export function assetsDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'assets');
}

/**
 * Loads a bundled pretrained model from this package's files, with no network.
 * @example
 * import { loadPretrained } from '@emoje/pretrained/node';
 * const model = await loadPretrained('mosi');
 * const predictions = await model.predict(dialogue);
 */
export async function loadPretrained(name: string): Promise<EmojeModel> {
  const info = pretrainedInfo(name);
  const modelPath = join(assetsDir(), info.files.model);
  const json = JSON.parse(await readFile(modelPath, 'utf8')) as { modelTopology: unknown; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const specs = json.weightsManifest.flatMap((group) => group.weights);
  const buffers = await Promise.all(
    json.weightsManifest.flatMap((group) => group.paths).map(async (p) => {
      const bytes = await readFile(join(dirname(modelPath), p));
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    }),
  );
  return loadModel(tf.io.fromMemory({ modelTopology: json.modelTopology as object, weightSpecs: specs, weightData: tf.io.concatenateArrayBuffers(buffers) }));
}
