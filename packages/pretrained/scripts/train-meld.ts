/**
 * Makes the bundled pretrained MELD model (assets/meld/): SENTENCE_PRESET of @emoje/runtime-node on MELD's train split
 * (text as USE-lite sentence vectors, through the embedding cache), early stopping and decision bias on dev, seed 1.
 * Writes model.json + weights.bin, metrics.json (test-split figures) and sample.json (the recorded predictions of a
 * fixed sample of test dialogues, which the package test reproduces). Run from the repo root:
 *
 *   npm run pretrain:meld                         # trains seed 1 (about 10 minutes alone on 2 cores)
 *   npm run pretrain:meld -- --from <dir>         # uses a model already trained with the same recipe instead,
 *                                                 # e.g. bench:meld --save-models <dir>'s full-seed1
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadMeld } from '@emoje/datasets/node';
import { evaluate, train, type EmojeModel } from '@emoje/model';
import { SENTENCE_PRESET, createModelForDataset, embedTextModality, initBackend, presetTrainOptions, saveModel, writeFileAtomic, loadModel as loadModelFile } from '@emoje/runtime-node';
import { loadUseLite } from '@emoje/sentence-encoder/node';
import { assetsDir } from '../src/node';

/** How many test dialogues `sample.json` records (the first ones of the test split, in order). */
export const SAMPLE_DIALOGUES = 4;

const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, from: { type: 'string' } } });
const seed = Number(values.seed);
const backend = await initBackend();
const encoder = await loadUseLite();
const { dataset, stats } = await embedTextModality(await loadMeld(), encoder, {});
console.log(`embedding cache ${stats!.cacheDir}: ${stats!.hits} cached, ${stats!.misses} embedded`);
let model: EmojeModel;
let training: unknown = null;
if (values.from) {
  model = await loadModelFile(values.from);
  training = { from: values.from };
} else {
  const preset = { ...SENTENCE_PRESET, model: { ...SENTENCE_PRESET.model, ...SENTENCE_PRESET.singleModality }, singleModality: undefined };
  model = (await createModelForDataset(dataset, { preset, seed })).model;
  const result = await train(model, { train: dataset.train, dev: dataset.dev }, { ...presetTrainOptions(preset, preset.train.epochs ?? 12), seed });
  training = { epochs: result.epochs, bestEpoch: result.bestEpoch, bestDevWeightedF1: result.bestDevWeightedF1, decisionBias: result.decisionBias };
}
const test = evaluate(model.networks, dataset.test);
const dev = evaluate(model.networks, dataset.dev);
const dir = join(assetsDir(), 'meld');
await saveModel(model, dir);
const sampleDialogues = dataset.test.slice(0, SAMPLE_DIALOGUES);
const sampleText = (await loadMeld()).test.slice(0, SAMPLE_DIALOGUES);
const predictions = await model.predictBatch(sampleDialogues.map((d) => ({ utterances: d.utterances.map((u) => ({ speaker: u.speaker, features: u.features })) })));
const sample = sampleText.map((d, i) => ({
  id: d.id,
  utterances: d.utterances.map((u, k) => ({ speaker: u.speaker, text: u.text, gold: dataset.classes[u.label!], label: predictions[i][k].label, probabilities: predictions[i][k].probabilities })),
}));
await writeFileAtomic(join(dir, 'sample.json'), `${JSON.stringify({ note: `the first ${SAMPLE_DIALOGUES} MELD test dialogues and this model's predictions (wasm)`, dialogues: sample }, null, 2)}\n`);
const pick = (m: typeof test) => ({ weightedF1: m.weightedF1, accuracy: m.accuracy, macroF1: m.macroF1, perClassF1: m.perClassF1 });
await writeFileAtomic(
  join(dir, 'metrics.json'),
  `${JSON.stringify({ dataset: 'meld', split: 'test', seed, backend: backend.backend, encoder: encoder.id, params: model.countParams(), training, preset: SENTENCE_PRESET, test: pick(test), dev: pick(dev) }, null, 2)}\n`,
);
console.log(`saved ${dir}: test weighted F1 ${test.weightedF1.toFixed(4)}, accuracy ${test.accuracy.toFixed(4)}, ${model.countParams()} parameters`);
encoder.dispose();
model.dispose();
