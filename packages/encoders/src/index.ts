export { VectorEncoder, vectorEncoder, type VectorEncoderArgs } from './vector-encoder';
export { SequenceEncoder, sequenceEncoder, type SequenceEncoderArgs } from './sequence-encoder';
export { TokenTextEncoder, tokenTextEncoder, type TokenTextEncoderArgs } from './token-text-encoder';
export { SequenceEncoderBase } from './sequence-base';
export {
  TEMPORAL_KINDS,
  POOLING_KINDS,
  type PoolingKind,
  resolveTemporalArgs,
  temporalConvolution,
  multiWidthConvolution,
  kernelWidths,
  kernelChannels,
  type TemporalKind,
  type TemporalEncoderArgs,
  type ResolvedTemporalArgs,
} from './temporal';
export { embeddingLookup, assertIdsInRange } from './embedding';
export * from './features';
