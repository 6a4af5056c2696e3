/**
 * Checks that the fused wasm kernels (@emoje/wasm-kernels) change nothing the models compute beyond float
 * reassociation: the bundled pretrained models (MOSI, MELD) are evaluated on their test splits with the fused kernels
 * on and off, beside the figures recorded when they were trained (packages/pretrained/assets/<name>/metrics.json), and
 * the largest difference in any class probability between the two paths is reported.
 * Writes benchmarks/results/fused-equivalence.json.
 *
 *   npx tsx --conditions=@emoje/source benchmarks/fused-equivalence.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setFusedKernelsEnabled } from '@emoje/core';
import { loadMeld, loadMosi } from '@emoje/datasets/node';
import { evaluate, evaluateProtocols, type DialogueInput, type EmojeModel } from '@emoje/model';
import { assetsDir, loadPretrained } from '@emoje/pretrained/node';
import { datasetForModel, describeBackend, initBackend, writeFileAtomic } from '@emoje/runtime-node';

const selection = await initBackend({ backend: 'wasm' });
if (!selection.fusedKernels) throw new Error('the fused kernels are not registered: nothing to compare');

/** Class probabilities of every utterance of `dialogues`, flattened. */
async function probabilities(model: EmojeModel, dialogues: readonly DialogueInput[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < dialogues.length; i += 32) {
    const batch = await model.predictBatch(dialogues.slice(i, i + 32).map((d) => ({ utterances: d.utterances.map((u) => ({ speaker: u.speaker, features: u.features })) })));
    for (const d of batch) for (const u of d) out.push(...Object.values(u.probabilities ?? {}));
  }
  return out;
}
const maxAbsDiff = (a: number[], b: number[]) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
function onAndOff<T>(f: () => T): { fused: T; unfused: T } {
  setFusedKernelsEnabled(false);
  const unfused = f();
  setFusedKernelsEnabled(true);
  return { fused: f(), unfused };
}
async function onAndOffAsync<T>(f: () => Promise<T>): Promise<{ fused: T; unfused: T }> {
  setFusedKernelsEnabled(false);
  const unfused = await f();
  setFusedKernelsEnabled(true);
  return { fused: await f(), unfused };
}
const recorded = (name: string) => JSON.parse(readFileSync(join(assetsDir(), name, 'metrics.json'), 'utf8'));

// MOSI: every modality subset and missing rate of evaluateProtocols (seed 1, as the model's metrics.json).
const mosi = await loadMosi();
const mosiModel = await loadPretrained('mosi');
const mosiScores = onAndOff(() => evaluateProtocols(mosiModel.network, mosi.test, { seed: 1 }));
const mosiProbs = await onAndOffAsync(() => probabilities(mosiModel, mosi.test));
const mosiRecorded = recorded('mosi').results as Record<string, { accuracy: number; weightedF1: number }>;
const mosiRows = Object.entries(mosiScores.fused.scenarios).map(([scenario, m]) => ({
  scenario,
  recorded: mosiRecorded[scenario]?.weightedF1 ?? null,
  unfused: mosiScores.unfused.scenarios[scenario].weightedF1,
  fused: m.weightedF1,
}));
mosiModel.dispose();

// MELD: the text model on sentence vectors (embedded through the embedding cache).
const meldText = await loadPretrained('meld');
const { dataset: meld } = await datasetForModel(await loadMeld(), meldText.model.config.modalities);
const meldScores = onAndOff(() => evaluate(meldText.model.networks, meld.test));
const meldProbs = await onAndOffAsync(() => probabilities(meldText.model, meld.test));
const meldRecorded = recorded('meld').test as { weightedF1: number; accuracy: number };
meldText.dispose();

const report = {
  backend: describeBackend(),
  generatedAt: new Date().toISOString(),
  tolerance: 'float reassociation: the fused kernels sum in a different order (4-lane SIMD partial sums) and use their own exp; every probability within 1e-5 of the op-by-op path, and the same test scores',
  mosi: {
    scenarios: mosiRows,
    maxProbabilityDifference: maxAbsDiff(mosiProbs.fused, mosiProbs.unfused),
    utterances: mosiProbs.fused.length / 2,
  },
  meld: {
    test: { recorded: meldRecorded.weightedF1, unfused: meldScores.unfused.weightedF1, fused: meldScores.fused.weightedF1 },
    accuracy: { recorded: meldRecorded.accuracy, unfused: meldScores.unfused.accuracy, fused: meldScores.fused.accuracy },
    maxProbabilityDifference: maxAbsDiff(meldProbs.fused, meldProbs.unfused),
  },
  numTensors: tf.memory().numTensors,
};
await writeFileAtomic('benchmarks/results/fused-equivalence.json', JSON.stringify(report, null, 2) + '\n');
console.log(JSON.stringify(report, null, 2));
