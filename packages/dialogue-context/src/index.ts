export { DialogueContext, dialogueContext, type DialogueContextKwargs } from './dialogue-context';
export {
  DIALOGUE_CONTEXT_DEFAULTS,
  resolveDialogueContextOptions,
  type DialogueContextArgs,
  type DialogueContextOptions,
  type ResolvedDialogueContextOptions,
  type LayerArgs,
} from './options';
export { realUtterances, cleanSpeakerIds, speakerOneHot, causalMask, contextMasks } from './masks';
export { createEncoder, applyEncoder, applyEncoderStack, type EncoderWeights, type EncoderLayerWeights, type EncoderRunOptions } from './encoder';
export { validateInputShapes, validateSpeakerIds, INPUT_NAMES, type MaybeShape } from './validate';
