import * as tf from '@tensorflow/tfjs-core';
import { AudioFeatureExtractor } from '@emoje/encoders';
import { loadModelFromIndexedDB, loadModelFromUrl, removeModelFromIndexedDB, saveModelToIndexedDB, type BackendSelection, type DialogueInput, type EmojeModel, type UtterancePrediction } from '@emoje/runtime-web';
import { requestedBackend, startBackend } from './runtime';

/** A dialogue as JSON can carry it: feature vectors as plain arrays. */
export interface JsonDialogue {
  utterances: { speaker: string | number; features: Record<string, number[] | string | null> }[];
}

function toDialogue(json: JsonDialogue): DialogueInput {
  return {
    utterances: json.utterances.map((u) => ({
      speaker: u.speaker,
      features: Object.fromEntries(Object.entries(u.features).map(([k, v]) => [k, Array.isArray(v) ? Float32Array.from(v) : v])),
    })),
  };
}

/** The page's API for the driver (`window.emojeHarness`); the backend is chosen by `?backend=` once per page. */
export interface Harness {
  selection: Promise<BackendSelection>;
  /** Loads the model at `url` (replacing any loaded one); resolves to the milliseconds it took. */
  load(url: string): Promise<number>;
  predict(dialogue: JsonDialogue): Promise<UtterancePrediction[]>;
  /** Milliseconds of each of `runs` predictions of `dialogue`, after `warmup` untimed ones. */
  time(dialogue: JsonDialogue, runs: number, warmup: number): Promise<number[]>;
  /** Saves the loaded model to IndexedDB, loads it back, predicts with the copy and deletes it. */
  indexedDbRoundTrip(key: string, dialogue: JsonDialogue): Promise<{ predictions: UtterancePrediction[]; removed: boolean }>;
  /** Live tensors (leak check). */
  numTensors(): number;
  /**
   * The page's audio features of `samples` at `sampleRate`, pushed into the streaming `AudioFeatureExtractor` in
   * blocks of `chunk` samples, as the microphone does: the utterance vector, the per-frame MFCCs and pitch.
   */
  audioFeatures(samples: number[], sampleRate: number, chunk: number): { utteranceVector: number[]; mfcc: number[][]; pitch: number[] };
}

let model: EmojeModel | null = null;
const selection = startBackend({ backend: requestedBackend() });

const harness: Harness = {
  selection,
  async load(url) {
    await selection;
    model?.dispose();
    const started = performance.now();
    model = await loadModelFromUrl(url);
    // the first prediction compiles the backend's kernels; it is part of what a page pays before the first answer
    return performance.now() - started;
  },
  async predict(dialogue) {
    if (!model) throw new Error('load a model first');
    return model.predict(toDialogue(dialogue));
  },
  async time(dialogue, runs, warmup) {
    if (!model) throw new Error('load a model first');
    const input = toDialogue(dialogue);
    for (let i = 0; i < warmup; i++) await model.predict(input);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      await model.predict(input); // resolves after the probabilities are read back from the device
      times.push(performance.now() - started);
    }
    return times;
  },
  async indexedDbRoundTrip(key, dialogue) {
    if (!model) throw new Error('load a model first');
    await saveModelToIndexedDB(model, key);
    const copy = await loadModelFromIndexedDB(key);
    try {
      return { predictions: await copy.predict(toDialogue(dialogue)), removed: await removeModelFromIndexedDB(key) };
    } finally {
      copy.dispose();
    }
  },
  numTensors: () => tf.memory().numTensors,
  audioFeatures(samples, sampleRate, chunk) {
    const extractor = new AudioFeatureExtractor(sampleRate);
    const all = Float32Array.from(samples);
    for (let i = 0; i < all.length; i += chunk) extractor.push(all.subarray(i, i + chunk));
    const f = extractor.flush();
    return { utteranceVector: Array.from(f.utteranceVector), mfcc: f.mfcc.map((m) => Array.from(m)), pitch: Array.from(f.pitch) };
  },
};
(window as unknown as { emojeHarness: Harness }).emojeHarness = harness;
