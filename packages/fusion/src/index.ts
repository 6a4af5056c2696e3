export { fusedWidth, modalityPairs } from './common';
export {
  AdaptiveCrossAttention,
  adaptiveCrossAttention,
  type AdaptiveCrossAttentionArgs,
  type AcnAttentionWeights,
} from './adaptive-cross-attention';
export { attentionProbabilities } from './attention-probabilities';
export {
  QueryAdaptiveFusion,
  queryAdaptiveFusion,
  type QueryAdaptiveFusionArgs,
} from './query-adaptive-fusion';
