export { decodeWav, type DecodedWav } from './wav';
export { resample, Resampler, type ResampleOptions } from './resample';
export { ComplexFft, RealFft, rfft, powerSpectrum, isPowerOfTwo, nextPowerOfTwo } from './fft';
export { WINDOW_KINDS, analysisWindow, frameCount, frameSignal, type WindowKind } from './window';
export { hzToMel, melToHz, melFilterbank, applyMelFilterbank, type MelFilterbank } from './mel';
export { dct, dctMatrix } from './dct';
export {
  SpectralAnalyzer,
  logMelSpectrogram,
  mfcc,
  resolveSpectralOptions,
  type SpectralOptions,
  type ResolvedSpectralOptions,
} from './spectrogram';
export {
  PitchAnalyzer,
  pitchTrack,
  frameEnergyDb,
  resolvePitchOptions,
  ENERGY_FLOOR_DB,
  type PitchOptions,
  type ResolvedPitchOptions,
  type FramePitch,
  type PitchTrack,
} from './pitch';
export { prosodyStatistics, PROSODY_VECTOR_KEYS, type ProsodyStatistics, type ProsodyStatisticsOptions } from './prosody';
export {
  AudioFeatureExtractor,
  extractAudioFeatures,
  audioUtteranceVectorLayout,
  audioUtteranceVectorWidth,
  AUDIO_UTTERANCE_VECTOR_WIDTH,
  type AudioFeatureOptions,
  type AudioFeatures,
  type AudioFrames,
  type VectorSegment,
} from './audio';
export {
  poseFeatures,
  poseUtteranceVector,
  POSE_LAYOUTS,
  POSE_JOINTS,
  POSE_ANGLES,
  POSE_LAYOUT_INDICES,
  POSE_FEATURE_DIM,
  POSE_FEATURE_LAYOUT,
  POSE_UTTERANCE_VECTOR_WIDTH,
  type Keypoint,
  type PoseFrame,
  type PoseLayout,
  type PoseJoint,
  type PoseFeatureOptions,
} from './pose';
export {
  faceFeatures,
  faceUtteranceVector,
  FACE_API_EXPRESSIONS,
  FACE_EYE_INDICES,
  type FacePoint,
  type FaceFrame,
  type FaceFeatureOptions,
} from './face';
export {
  frameSequenceUtteranceVector,
  frameSequenceUtteranceVectorWidth,
  type FrameFeatures,
} from './common';
export {
  audioFunctionals,
  audioFunctionalsWidth,
  audioFrameFeatures,
  deltas,
  speechVector,
  AUDIO_FUNCTIONAL_KEYS,
  AUDIO_FUNCTIONALS_WIDTH,
} from './functionals';
export { tokenize, Vocabulary, type VocabularyBuildOptions } from './text';
