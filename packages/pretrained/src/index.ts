import * as tf from '@tensorflow/tfjs-core';
import { loadModel, type EmojeModel } from '@emoje/model';
import { pretrainedInfo } from './catalog';

export { PRETRAINED, pretrainedInfo, type PretrainedInfo, type PretrainedName } from './catalog';
export { predictSpeechEmotion, type SpeechEmotion } from './speech';

/**
 * Loads a pretrained model over HTTP (browsers, or any runtime with `fetch`) from
 * `baseUrl`, the URL where this package's `assets/` folder is served.
 * In Node, `@emoje/pretrained/node`'s `loadPretrained(name)` reads the bundled files instead.
 * @example
 * const model = await loadPretrainedFromUrl('mosi', '/emoje-assets');
 */
export async function loadPretrainedFromUrl(name: string, baseUrl: string, init?: RequestInit): Promise<EmojeModel> {
  const info = pretrainedInfo(name);
  return loadModel(tf.io.http(`${baseUrl.replace(/\/$/, '')}/${info.files.model}`, { requestInit: init }));
}
