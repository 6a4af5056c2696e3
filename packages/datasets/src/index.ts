/**
 * `@emoje/datasets`: dialogue data for emoje in plain JavaScript (no tensors), browser-safe.
 * The Node file loader lives in `@emoje/datasets/node`.
 *
 * @packageDocumentation
 */
export { SPLITS, type ModalitySpec, type Utterance, type Dialogue, type DialogueDataset, type SplitName } from './types';
export {
  parseMosi,
  MOSI_FILES,
  MOSI_MODALITIES,
  MOSI_ROW_WIDTH,
  MOSI_CLASSES,
  MOSI_LICENSE,
  MOSI_SOURCE,
  type MosiIndexRow,
  type MosiIndexFile,
  type MosiOptions,
} from './mosi';
export { holdOutDialogues, type HoldOutOptions, type HoldOut } from './split';
export { decodeFloat32LE } from './binary';
export { datasetSummary, validateDataset, withoutModalities, type SplitSummary, type DatasetSummary } from './utils';
