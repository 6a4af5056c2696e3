import { readFile } from 'node:fs/promises';
import { EmojeInputError, isEmojeInputError } from '@emoje/core';
import { decodeWav } from '@emoje/encoders';
import type { EmojePredictor } from '@emoje/model';
import { predictSpeechEmotion, type SpeechEmotion } from './speech';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { loadModel, type EmojeModel } from '@emoje/model';
import { pretrainedInfo } from './catalog';

export { PRETRAINED, pretrainedInfo, type PretrainedInfo, type PretrainedName } from './catalog';
export { predictSpeechEmotion, type SpeechEmotion } from './speech';

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

/**
 * The emotion of the speech in a WAV file (any sample rate, mono or mixed down; see `predictSpeechEmotion`).
 * @example
 * ```ts
 * const model = await loadPretrained('emodb');
 * (await predictSpeechEmotionFromWav(model, 'clip.wav')).label; // 'sadness'
 * ```
 * @throws EmojeInputError naming the file (and the WAV field at fault) when it cannot be read or decoded.
 */
export async function predictSpeechEmotionFromWav(model: EmojePredictor, path: string): Promise<SpeechEmotion> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new EmojeInputError(path, 'a readable WAV file', (error as NodeJS.ErrnoException).code ?? 'unreadable');
  }
  let wav;
  try {
    wav = decodeWav(bytes);
  } catch (error) {
    if (isEmojeInputError(error)) throw new EmojeInputError(`${path}: ${error.field}`, error.expected, error.received);
    throw error;
  }
  try {
    return await predictSpeechEmotion(model, wav.samples, wav.sampleRate);
  } catch (error) {
    if (isEmojeInputError(error) && error.field === 'samples') throw new EmojeInputError(`${path}: ${error.field}`, error.expected, error.received);
    throw error;
  }
}
