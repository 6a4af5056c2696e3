export { fusedWidth, modalityPairs } from './common';
export {
  AdaptiveCrossAttention,
  adaptiveCrossAttention,
  type AdaptiveCrossAttentionArgs,
} from './adaptive-cross-attention';
export {
  QueryAdaptiveFusion,
  queryAdaptiveFusion,
  type QueryAdaptiveFusionArgs,
} from './query-adaptive-fusion';
