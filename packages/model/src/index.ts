export {
  resolveModelConfig,
  DEFAULT_MODEL_CONFIG,
  type ModelConfig,
  type ModalityConfig,
  type VectorModalityConfig,
  type TokenModalityConfig,
  type FrameModalityConfig,
  type ResolvedModalityConfig,
  DEFAULT_TOKEN_MODALITY,
  DEFAULT_FRAME_MODALITY,
  type BlockSwitches,
  type LossWeights,
  type ResolvedModelConfig,
  ACE_MODES,
  type AceMode,
} from './config';
export {
  collate,
  modalityVocabulary,
  disposeBatch,
  validateDialogue,
  scenarioPolicy,
  missingRatePolicy,
  allScenarios,
  type Batch,
  type DialogueInput,
  type UtteranceInput,
  type FeatureInput,
  type AvailabilityPolicy,
  type TokenDropout,
} from './batch';
export { crossModalInstanceLoss, focalLoss, guidedContrastiveLoss, type GuidedContrastiveHost } from './losses';
export { FlatAdamW, type FlatAdamWOptions } from './optimizer';
export { classificationMetrics, meanStd, type ClassificationMetrics } from './metrics';
export { ClassifierHead, ModalityHeads, type ClassifierHeadArgs, type ModalityHeadsArgs } from './heads';
export { FeatureNormalizer, presentFrames, presentVectors, type FeatureNormalizerArgs } from './normalizer';
export { EmojeNetwork, type ForwardOutput, type InferenceOutput, type LossTerms } from './network';
export {
  createModel,
  loadModel,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  ENSEMBLE_FORMAT,
  type EmojeModel,
  type EmojePredictor,
  type UtterancePrediction,
  type PredictedUtterance,
  type UnusableUtterance,
  type PredictOptions,
} from './model';
export { checkWeightData, weightByteLength } from './io';
export { hasUsableModality, withoutUnusableUtterances, type UsableDialogues } from './usable';
export { createEnsemble, isEnsemble, loadEnsemble, loadModelOrEnsemble, type EmojeEnsemble } from './ensemble';
export { trainEnsemble, memberSeeds, type TrainEnsembleOptions } from './train-ensemble';
export { meanOutputs, type MeanOutputs } from './inference';
export { assertDatasetMatchesModel, schemaDifferences, type DatasetSchema, type ModelSchema } from './compatibility';
export {
  assertEvaluable,
  evaluate,
  evaluateProtocols,
  predictLabels,
  labeledScores,
  argmaxRows,
  type EvaluateOptions,
  type EvaluationTarget,
  type LabeledScores,
  type ProtocolResults,
} from './evaluate';
export { assertModalityEncoders, type ModalitySpecLike } from './encoder-check';
export { fitClassBias, fitDecisionBias, type ClassBiasFit, type ClassBiasSearchOptions } from './calibration';
export { memoryCheckpointStore, packCheckpoint, unpackCheckpoint, type Checkpoint, type CheckpointStore } from './checkpoint';
export {
  train,
  scheduledLearningRate,
  LEARNING_RATE_SCHEDULES,
  type LearningRateSchedule,
  type TrainOptions,
  type TrainResult,
  type StepInfo,
  type EpochInfo,
  type ModalityDropoutOptions,
} from './trainer';
