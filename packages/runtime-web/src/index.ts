export {
  DEFAULT_LOADERS,
  WEB_BACKENDS,
  WEB_BACKEND_PACKAGES,
  describeBackend,
  initBackend,
  resetBackendCache,
  webBackendCandidates,
  type BackendModuleLoader,
  type WasmPaths,
  type WebBackendName,
  type WebInitBackendOptions,
} from './backend';
export {
  BackendAbsentError,
  BackendUnavailableError,
  isBackendUnavailableError,
  type BackendAttempt,
  type BackendLogger,
  type BackendSelection,
} from '@emoje/core';
export {
  INDEXED_DB_SCHEME,
  hasModelInIndexedDB,
  indexedDbUrl,
  loadModelCached,
  loadModelFromIndexedDB,
  loadModelFromUrl,
  removeModelFromIndexedDB,
  saveModelToIndexedDB,
  type CachedLoadOptions,
  type HttpLoadOptions,
  type ModelSource,
} from './io';
// The prediction API of @emoje/model, so a page needs only this package.
export {
  createModel,
  loadModel,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type DialogueInput,
  type EmojeModel,
  type FeatureInput,
  type ModalityConfig,
  type ModelConfig,
  type PredictOptions,
  type ResolvedModelConfig,
  type UtteranceInput,
  type UtterancePrediction,
  type PredictedUtterance,
  type UnusableUtterance,
} from '@emoje/model';
export { PRETRAINED, loadPretrainedFromUrl, pretrainedInfo, type PretrainedInfo, type PretrainedName } from '@emoje/pretrained';
