import { fileURLToPath } from 'node:url';
import { loadMosi } from '@emoje/datasets/node';
import type { UtterancePrediction } from '@emoje/model';
import { loadPretrained, type TextDialogue } from '@emoje/pretrained/node';
import { initBackend, loadModel as loadModelFromDisk } from '@emoje/runtime-node';
import type { JsonDialogue } from '../src/harness';

/** Where the pretrained package's assets are (served to the browser under `/pretrained/`). */
export const PRETRAINED_ASSETS = fileURLToPath(new URL('../../../packages/pretrained/assets/', import.meta.url));

/**
 * A 10-utterance, 3-modality dialogue (text 100, audio 73, visual 100) from the vendored CMU-MOSI test split:
 * the first test video with at least `utterances` utterances, cut to that many. With `dropSome`, every third
 * utterance loses its audio and every fourth its visual features, so the imputation path runs too.
 */
export async function mosiDialogue(utterances = 10, dropSome = false): Promise<JsonDialogue> {
  const data = await loadMosi();
  const source = data.test.find((d) => d.utterances.length >= utterances);
  if (!source) throw new Error(`no MOSI test dialogue has ${utterances} utterances`);
  return {
    utterances: source.utterances.slice(0, utterances).map((u, i) => ({
      speaker: u.speaker,
      features: Object.fromEntries(
        data.modalities.map((m) => {
          const v = u.features[m.name];
          const drop = dropSome && ((m.name === 'audio' && i % 3 === 1) || (m.name === 'visual' && i % 4 === 2));
          return [m.name, drop || v == null ? null : typeof v === 'string' ? v : Array.from(v)];
        }),
      ),
    })),
  };
}

function toInput(dialogue: JsonDialogue) {
  return {
    utterances: dialogue.utterances.map((u) => ({
      speaker: u.speaker,
      features: Object.fromEntries(Object.entries(u.features).map(([k, v]) => [k, Array.isArray(v) ? Float32Array.from(v) : v])),
    })),
  };
}

/** The Node runtime's predictions (wasm backend) for `dialogue`: the pretrained MOSI model, or a model folder. */
export async function nodePredictions(dialogue: JsonDialogue, model: 'mosi' | { dir: string } = 'mosi'): Promise<UtterancePrediction[]> {
  await initBackend({ backend: 'wasm' });
  const loaded = model === 'mosi' ? await loadPretrained('mosi') : await loadModelFromDisk(model.dir);
  try {
    return await loaded.predict(toInput(dialogue));
  } finally {
    loaded.dispose();
  }
}

/** The largest absolute difference between two prediction lists, over class probabilities (and QAF weights). */
export function maxDifference(a: UtterancePrediction[], b: UtterancePrediction[]): { probabilities: number; modalityWeights: number } {
  if (a.length !== b.length) throw new Error(`prediction counts differ: ${a.length} vs ${b.length}`);
  let probabilities = 0;
  let modalityWeights = 0;
  a.forEach((p, i) => {
    for (const [k, v] of Object.entries(p.probabilities)) probabilities = Math.max(probabilities, Math.abs(v - b[i].probabilities[k]));
    for (const [k, v] of Object.entries(p.modalityWeights)) modalityWeights = Math.max(modalityWeights, Math.abs(v - b[i].modalityWeights[k]));
  });
  return { probabilities, modalityWeights };
}

/** The Node runtime's predictions (wasm backend) of the pretrained MELD model, `loadPretrained('meld')`, for a plain-text dialogue. */
export async function nodeMeldPredictions(dialogue: TextDialogue): Promise<UtterancePrediction[]> {
  await initBackend({ backend: 'wasm' });
  const meld = await loadPretrained('meld');
  try {
    return await meld.predict(dialogue);
  } finally {
    meld.dispose();
  }
}
