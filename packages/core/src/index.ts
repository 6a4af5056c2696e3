export { EmojeInputError, isEmojeInputError, formatShape } from './errors';
export { describeJsonSyntaxError, parseJsonText, describeFileValue } from './json';
export {
  assertShape,
  assertTensorShape,
  assertInteger,
  assertNumberInRange,
  assertOneOf,
  type ExpectedDim,
} from './validate';
export { SeededRandom } from './random';
export { aleaNext, aleaState, type AleaState } from './alea';
export { matMul, recordingGradients } from './matmul';
export { withoutTape, mulByConstant, divByConstant, addSameShape, sumOfOthers, weightedTotal } from './tape';
export { MASKED_LOGIT, zeroMasked, maskedMean, maskedSoftmax, finiteMask, stopGradient, logSumExp, reduceMax } from './masks';
export { InitializerSource, type Initializer, type WeightFactory } from './weights';
export {
  ACTIVATIONS,
  activate,
  gelu,
  tanh,
  dropout,
  type DropoutSeed,
  createLinear,
  applyLinear,
  sumToShape,
  gatherRows,
  applyStreamLinear,
  applyStreamLayerNorm,
  createLayerNorm,
  applyLayerNorm,
  layerNorm,
  createFeedForward,
  applyFeedForward,
  createAttention,
  applyAttention,
  attentionCore,
  fusedAttentionProbabilities,
  positionalEncoding,
  type ActivationName,
  type LinearWeights,
  type LayerNormWeights,
  type FeedForwardWeights,
  type AttentionWeights,
} from './ops';
export { BLOCK_CLASS_PREFIX } from './constants';
export { ACTIVATION_CODES, FusedKernel, fusedKernelsEnabled, hasFusedKernel, runFused, setFusedKernelsEnabled, streamInputs, type FusedKernelName } from './fused';
export { BackendAbsentError, BackendSkippedError, BackendUnavailableError, createBackendInitializer, defaultBackendLogger, errorCause, formatBackendSelection, isBackendAbsentError, isBackendSkippedError, isBackendUnavailableError, orderCandidates, selectBackend, type BackendAttempt, type BackendCandidate, type BackendInitializer, type CachedInitOptions, type BackendDetails, type BackendLogger, type BackendSelection, type SelectBackendOptions } from './backend-selection';
