import type { TextDialogue, TextEmotionModel } from '@emoje/pretrained';
import type { ModelChoice } from './model-choice';
import type { BackendSelection, DialogueInput, EmojeModel, UtterancePrediction } from '@emoje/runtime-web';

/** What the page exposes for the end-to-end tests and the curious (`window.emojeDemo`). */
export interface DemoState {
  ready: Promise<void>;
  /** The model chosen on the page (`?model=`): the real MELD text model (default) or the synthetic demo. */
  choice: ModelChoice;
  /** With MELD: the text model (its `model` is also {@link DemoState.model}). */
  textModel?: TextEmotionModel;
  /** With MELD: how many of USE-lite's files came from the browser's Cache API. */
  encoderFromCache?: number;
  selection?: BackendSelection;
  model?: EmojeModel;
  modelSource?: 'indexeddb' | 'http';
  /** The dialogue of the last prediction, as the model read it. */
  lastDialogue?: DialogueInput | TextDialogue;
  lastPredictions?: UtterancePrediction[];
  /** Backends that started but could not run the model, with the error (the page then tried the next one). */
  fallbacks: string[];
  /** Why the shown predictions are out of date (the conversation or the privacy switch changed since), if they are. */
  stale?: string;
}
