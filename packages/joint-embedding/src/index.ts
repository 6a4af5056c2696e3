export { COMPENSATION_MODES, JointEmbedding, jointEmbedding, type CompensationMode, type JointEmbeddingArgs, type Compensation } from './joint-embedding';
export { jointContrastiveLoss, checkTemperature } from './contrastive-loss';
export { reconstructionLoss, type ReconstructionLossOptions } from './reconstruction-loss';
export { RECONSTRUCT_FROM, binaryAvailability, sourceMask, sourceWeights, type ReconstructFrom } from './sources';
export { NORM_EPSILON, applyHead, createHead, l2Normalize, type HeadWeights } from './heads';
