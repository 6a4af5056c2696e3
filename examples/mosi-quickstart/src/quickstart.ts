import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMosi } from '@emoje/datasets/node';
import { createModel, evaluate, train, type UtterancePrediction } from '@emoje/model';
import { initBackend, loadModel, saveModel } from '@emoje/runtime-node';

export interface QuickstartResult {
  backend: string;
  /** Test accuracy with all modalities, with text only, and with audio + visual only. */
  accuracy: { TAV: number; T: number; AV: number };
  /** Predictions for the first test dialogue with audio and visual removed from every utterance. */
  textOnlyPredictions: UtterancePrediction[];
  /** True when the reloaded model predicts the same probabilities. */
  reloadedMatches: boolean;
}

/**
 * The whole path a newcomer takes: pick a backend, load data, create, train,
 * evaluate with missing modalities, predict, save and reload.
 */
export async function quickstart({ epochs = 10, log = console.log }: { epochs?: number; log?: (line: string) => void } = {}): Promise<QuickstartResult> {
  const backend = await initBackend();
  log(`backend: ${backend.backend}`);

  const data = await loadMosi();
  const model = createModel({ modalities: data.modalities, classes: data.classes, dropout: 0.3 });
  log(`model: ${model.countParams()} parameters`);

  await train(model, data, {
    epochs,
    batchSize: 4,
    onEpochEnd: (e) => log(`epoch ${e.epoch}: loss ${e.loss.toFixed(3)}, dev weighted F1 ${e.dev?.weightedF1.toFixed(3)}`),
  });

  const accuracy = {
    TAV: evaluate(model.network, data.test).accuracy,
    T: evaluate(model.network, data.test, { scenario: ['text'] }).accuracy,
    AV: evaluate(model.network, data.test, { scenario: ['audio', 'visual'] }).accuracy,
  };
  log(`test accuracy: all ${accuracy.TAV.toFixed(3)}, text only ${accuracy.T.toFixed(3)}, audio+visual ${accuracy.AV.toFixed(3)}`);

  const dialogue = {
    utterances: data.test[0].utterances.map((u) => ({ speaker: u.speaker, features: { text: u.features.text } })),
  };
  const textOnlyPredictions = await model.predict(dialogue);
  for (const [i, p] of textOnlyPredictions.slice(0, 3).entries()) {
    if (p.status !== 'predicted') continue; // every utterance here has its text
    log(`utterance ${i}: ${p.label} (${p.probabilities[p.label].toFixed(2)}), imputed ${p.imputed.join(', ') || 'nothing'}, weights ${JSON.stringify(p.modalityWeights)}`);
  }

  const dir = await mkdtemp(join(tmpdir(), 'emoje-quickstart-'));
  try {
    await saveModel(model, join(dir, 'mosi'));
    const reloaded = await loadModel(join(dir, 'mosi'));
    const again = await reloaded.predict(dialogue);
    reloaded.dispose();
    const reloadedMatches = again.every((p, i) => Math.abs(p.probabilities.positive - textOnlyPredictions[i].probabilities.positive) < 1e-5);
    log(`saved to ${join(dir, 'mosi')} and reloaded: ${reloadedMatches ? 'same predictions' : 'DIFFERENT predictions'}`);
    return { backend: backend.backend, accuracy, textOnlyPredictions, reloadedMatches };
  } finally {
    model.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}
