/**
 * `@emoje/face-api-adapter`: face features for emoje from `@vladmandic/face-api` (an optional peer dependency).
 * This entry runs anywhere (browser or Node) and never imports face-api itself: pass it the face-api module.
 * In Node, `@emoje/face-api-adapter/node` loads face-api's non-tfjs-node build and its weights from disk.
 */
export {
  FACE_API_EXPRESSIONS,
  FACE_API_EXPRESSION_COUNT,
  FACE_API_LANDMARK_COUNT,
  FACE_API_PARTS,
  FACE_API_UTTERANCE_VECTOR_WIDTH,
  faceApiFrames,
  faceApiFeatures,
  faceApiFrameWidth,
  faceApiUtteranceVector,
  faceApiUtteranceVectorLayout,
  faceApiUtteranceVectorWidth,
  type FaceApiFrameOptions,
  type FaceApiFrames,
  type FaceApiParts,
  type FaceApiResult,
  type FaceApiVectorSegment,
} from './results';
export {
  FACE_API_MODEL_NAMES,
  assertFaceApiModule,
  createFaceApiNets,
  decodeFaceApiWeights,
  disposeFaceApiNets,
  loadFaceApiNets,
  runFaceApiNets,
  type FaceApiModule,
  type FaceApiNet,
  type FaceApiNetChoice,
  type FaceApiNets,
  type RunFaceApiNetsOptions,
  type WeightsManifestGroup,
} from './nets';
