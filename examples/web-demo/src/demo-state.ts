import type { BackendSelection, DialogueInput, EmojeModel, UtterancePrediction } from '@emoje/runtime-web';

/** What the page exposes for the end-to-end tests and the curious (`window.emojeDemo`). */
export interface DemoState {
  ready: Promise<void>;
  selection?: BackendSelection;
  model?: EmojeModel;
  modelSource?: 'indexeddb' | 'http';
  /** The dialogue of the last prediction, as the model read it. */
  lastDialogue?: DialogueInput;
  lastPredictions?: UtterancePrediction[];
  /** Backends that started but could not run the model, with the error (the page then tried the next one). */
  fallbacks: string[];
  /** Why the shown predictions are out of date (the conversation or the privacy switch changed since), if they are. */
  stale?: string;
}
