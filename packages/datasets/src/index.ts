/**
 * `@emoje/datasets`: dialogue data for emoje in plain JavaScript (no tensors), browser-safe.
 * The Node file loader lives in `@emoje/datasets/node`.
 *
 * @packageDocumentation
 */
export {
  SPLITS,
  type ModalitySpec,
  type VectorModalitySpec,
  type TextModalitySpec,
  type FeatureValue,
  type Utterance, type Dialogue, type DialogueDataset, type SplitName } from './types';
export {
  parseMosi,
  MOSI_FILES,
  MOSI_MODALITIES,
  MOSI_TOKEN_MODALITIES,
  MOSI_TEXT_INPUTS,
  MOSI_ROW_WIDTH,
  MOSI_CLASSES,
  MOSI_LICENSE,
  MOSI_SOURCE,
  type MosiIndexRow,
  type MosiIndexFile,
  type MosiOptions,
  type MosiTextInput,
} from './mosi';
export { holdOutDialogues, type HoldOutOptions, type HoldOut } from './split';
export { decodeFloat32LE } from './binary';
export { datasetSummary, validateDataset, withoutModalities, type SplitSummary, type DatasetSummary } from './utils';
export {
  parseMeld,
  parseMeldSplit,
  parseMeldTimestamp,
  MELD_EMOTIONS,
  MELD_SENTIMENTS,
  MELD_COLUMNS,
  MELD_FILES,
  MELD_MODALITIES,
  MELD_LICENSE,
  MELD_SOURCE,
  type MeldOptions,
  type MeldCsvTexts,
} from './meld';
export {
  encodeWordVectors,
  decodeWordVectors,
  embeddingMatrix,
  float16ToFloat32,
  float32ToFloat16,
  WORD_VECTORS_MAGIC,
  type WordVectors,
  type EmbeddingMatrix,
  type EmbeddingMatrixOptions,
} from './word-vectors';
export {
  parseDialogueJsonl,
  formatDialogueJsonl,
  DIALOGUE_JSONL_FORMAT,
  DIALOGUE_JSONL_VERSION,
  type DialogueJsonlHeader,
  type DialogueJsonlLine,
  type DialogueJsonlUtterance,
  type DialogueJsonlOptions,
  type ParsedDialogueJsonl,
  type UtteranceMedia,
} from './jsonl';
export { leaveOneSpeakerOutFolds, splitBySpeaker, type SpeakerFold, type SpeakerFoldOptions } from './speaker-folds';
export {
  EMODB_CLASSES,
  EMODB_EMOTION_LETTERS,
  EMODB_SPEAKERS,
  EMODB_SAMPLE_RATE,
  EMODB_FILES,
  EMODB_LICENSE,
  EMODB_SOURCE,
  parseEmodbFileName,
  decodeEmodb,
  emodbFoldDataset,
  type EmodbIndexRow,
  type EmodbIndexFile,
  type EmodbUtterance,
  type EmodbCorpus,
} from './emodb';
