/**
 * Trains the bundled pretrained CMU-MOSI model and writes it to assets/mosi/ (model.json,
 * weights.bin) with the test results beside it (metrics.json). Run from the repo root:
 *   npm run pretrain:mosi
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadMosi } from '@emoje/datasets/node';
import { createModel, evaluateProtocols, train } from '@emoje/model';
import { MOSI_PRESET, createTrainingProgress, initBackend, saveModel, writeFileAtomic } from '@emoje/runtime-node';
import { assetsDir } from '../src/node';

const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' } } });
const seed = Number(values.seed);
const backend = await initBackend();
const dataset = await loadMosi();
const model = createModel({ ...MOSI_PRESET.model, modalities: dataset.modalities, classes: dataset.classes, seed });
const epochs = MOSI_PRESET.train.epochs ?? 40;
const progress = createTrainingProgress('pretrain mosi', epochs);
const result = await train(model, dataset, { ...MOSI_PRESET.train, seed, onStep: progress.onStep, onEpochEnd: progress.onEpochEnd });
progress.stop();
const test = evaluateProtocols(model.network, dataset.test, { seed });
const dir = join(assetsDir(), 'mosi');
await saveModel(model, dir);
const summary = Object.fromEntries(
  [...Object.entries(test.scenarios), ...Object.entries(test.missingRate).map(([k, v]) => [`missingRate ${k}`, v] as const)].map(([k, m]) => [k, { accuracy: m.accuracy, weightedF1: m.weightedF1 }]),
);
await writeFileAtomic(
  join(dir, 'metrics.json'),
  JSON.stringify({ dataset: 'cmu-mosi', split: 'test', seed, backend: backend.backend, epochs: result.epochs, bestEpoch: result.bestEpoch, params: model.countParams(), config: MOSI_PRESET, results: summary }, null, 2) + '\n',
);
console.log(`saved ${dir}: TAV accuracy ${test.scenarios.TAV.accuracy.toFixed(4)}, T ${test.scenarios.T.accuracy.toFixed(4)}, ${model.countParams()} parameters`);
model.dispose();
