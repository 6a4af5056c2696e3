import './register-routers';

export {
  NATIVE_PACKAGES,
  NODE_BACKENDS,
  defaultImporter,
  describeBackend,
  initBackend,
  isModuleNotFound,
  nodeBackendCandidates,
  resetBackendCache,
  type InitBackendOptions,
  type ModuleImporter,
  type NodeBackendName,
} from './backend';
export { SIBLING_PATTERN, replaceDirAtomic, writeFileAtomic, writeFileDurable, type AtomicWriteOptions, type FileData, type FileWriter, type ReplaceDirOptions } from './atomic';
export {
  FILE_SCHEME,
  MODEL_JSON_FILE,
  WEIGHTS_BIN_FILE,
  fileSystem,
  loadLayersModel,
  loadModel,
  loadModelOrEnsemble,
  registerFileSystemRouters,
  saveModel,
  type FileSystemOptions,
  type SavableModel,
} from './fs-io';
export {
  cliContext,
  createProgram,
  registerCommand,
  runCli,
  type CliContext,
  type CliIO,
  type CommandRegistrar,
  type CreateProgramOptions,
  type GlobalOptions,
} from './program';
export { BUILTIN_COMMANDS, registerInfoCommand } from './commands';
export { formatInfo, infoReport, type InfoReport } from './commands/info';
export { VERSION } from './version';
export {
  BackendAbsentError,
  BackendUnavailableError,
  isBackendUnavailableError,
  type BackendAttempt,
  type BackendLogger,
  type BackendSelection,
} from '@emoje/core';
export { createEnsembleProgress, createTrainingProgress, type EnsembleProgressCallbacks, type EnsembleTrainingProgress, type TrainingProgress, type TrainingProgressOptions } from './progress';
export { MOSI_PRESET, TEXT_PRESET, AUDIO_PRESET, SENTENCE_PRESET, presetFor, presetTrainOptions, classWeightsFromLabels, type Preset } from './presets';
export { CHECKPOINT_FILES, fileCheckpointStore, type CheckpointRecovery, type FileCheckpointStore, type FileCheckpointStoreOptions } from './checkpoint-store';
export { assertSeparateFolders, checkOutputFolder, probeWritable, type CheckOutputFolderOptions, type OutputFolderKind, type OutputFolderState } from './output-folder';
export { saveModelWithFallback, type SaveOutcome, type SaveWithFallbackOptions } from './save-fallback';
export { createInferencePool, type InferenceError, type InferencePool, type InferencePoolOptions, type SettledPrediction } from './inference-pool';
export { featurizeManifest, featurizeManifestFile, type DialogueManifest, type FeaturizeManifestOptions, type ManifestUtterance, type ManifestModalities } from './manifest';
export {
  DEFAULT_DATA_FILE_LIMIT,
  DEFAULT_MEDIA_LIMITS,
  MEDIA_KINDS,
  isInside,
  mediaLimit,
  readDataFile,
  readRegularFile,
  resolveMediaFile,
  type AbsentMediaFile,
  type MediaAccessOptions,
  type MediaKind,
  type ResolvedMediaFile,
} from './user-files';
export { modelModalities, createModelForDataset, type ModelModalities, type ModelModalitiesOptions, type ModelForDatasetOptions } from './text-modality';
export { loadDialogueJsonl, type LoadDialogueJsonlOptions, type LoadedDialogueFile } from './dialogue-file';
export {
  EMBEDDING_CACHE_ENV,
  EMBEDDING_SHARD_EXTENSION,
  defaultEmbeddingCacheDir,
  encoderCacheDir,
  textKey,
  embedWithCache,
  encodeShard,
  decodeShard,
  type EmbedWithCacheOptions,
  type CachedEmbeddings,
} from './embedding-cache';
export {
  embedTextModality,
  embedDialogueTexts,
  datasetForModel,
  loadSentenceEncoder,
  sentenceModalities,
  KNOWN_SENTENCE_ENCODERS,
  type TextEmbeddingStats,
} from './sentence-features';
export { loadMosiSentences, type LoadMosiSentencesOptions } from './mosi-sentences';
