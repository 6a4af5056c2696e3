/**
 * The dev-only search behind SENTENCE_PRESET (MELD, text as USE-lite sentence vectors): trains one model per call on
 * MELD's train split with early stopping on dev and records its **dev** scores (never test) in
 * benchmarks/results/meld-sentence-dev-search.json (one entry per label; a rerun with the same label replaces it).
 *
 *   npx tsx --conditions=@emoje/source benchmarks/meld-sentence-search.ts --label base
 *   npx tsx --conditions=@emoje/source benchmarks/meld-sentence-search.ts --label no-context --config '{"blocks":{"dialogueContext":false}}'
 *   ... --config '{"units":256}' --train '{"learningRate":2e-3}' --class-weight-power 0.7 --seed 1
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadMeld } from '@emoje/datasets/node';
import { evaluate, train, type ModelConfig } from '@emoje/model';
import { SENTENCE_PRESET, createModelForDataset, embedTextModality, initBackend, presetTrainOptions, writeFileAtomic, type Preset } from '@emoje/runtime-node';
import { loadUseLite } from '@emoje/sentence-encoder/node';

const OUT = 'benchmarks/results/meld-sentence-dev-search.json';
const { values } = parseArgs({
  options: {
    label: { type: 'string' },
    config: { type: 'string', default: '{}' },
    train: { type: 'string', default: '{}' },
    'class-weight-power': { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});
if (!values.label) throw new Error('--label: required (names the run in the results file)');
const config = JSON.parse(values.config) as Partial<ModelConfig>;
const trainOverrides = JSON.parse(values.train) as Record<string, unknown>;
const preset: Preset = {
  ...SENTENCE_PRESET,
  model: { ...SENTENCE_PRESET.model, ...SENTENCE_PRESET.singleModality, ...config, blocks: { ...SENTENCE_PRESET.model.blocks, ...config.blocks } },
  singleModality: undefined,
  classWeightPower: values['class-weight-power'] !== undefined ? Number(values['class-weight-power']) : SENTENCE_PRESET.classWeightPower,
  train: { ...SENTENCE_PRESET.train, ...trainOverrides },
};
const seed = Number(values.seed);
await initBackend();
const encoder = await loadUseLite();
const { dataset, stats } = await embedTextModality(await loadMeld(), encoder, {});
encoder.dispose();
console.log(`embeddings: ${stats!.hits} cached, ${stats!.misses} embedded (${stats!.cacheDir})`);
const started = Date.now();
const { model } = await createModelForDataset(dataset, { preset, seed });
const result = await train(model, { train: dataset.train, dev: dataset.dev }, {
  ...presetTrainOptions(preset, preset.train.epochs ?? 12),
  seed,
  onEpochEnd: (e) => console.log(`${values.label} epoch ${e.epoch}: dev wF1 ${e.dev?.weightedF1.toFixed(4)} loss ${e.loss.toFixed(4)} (${e.seconds.toFixed(0)} s)`),
});
const dev = evaluate(model.networks, dataset.dev);
const entry = {
  label: values.label,
  seed,
  devWeightedF1: dev.weightedF1,
  devWeightedF1WithoutBias: result.bestDevWeightedF1,
  devPerClassF1: dev.perClassF1,
  bestEpoch: result.bestEpoch,
  epochs: result.epochs,
  minutes: (Date.now() - started) / 60000,
  preset: { model: preset.model, classWeightPower: preset.classWeightPower, train: preset.train },
  overrides: { config, train: trainOverrides, classWeightPower: values['class-weight-power'] ?? null },
  date: new Date().toISOString(),
};
model.dispose();
console.log(JSON.stringify({ label: entry.label, dev: entry.devWeightedF1, devWithoutBias: entry.devWeightedF1WithoutBias, bestEpoch: entry.bestEpoch, perClass: entry.devPerClassF1 }));
let runs: (typeof entry)[] = [];
try {
  runs = JSON.parse(await readFile(OUT, 'utf8')).runs;
} catch {
  runs = [];
}
runs = [...runs.filter((r) => r.label !== entry.label), entry];
await writeFileAtomic(OUT, `${JSON.stringify({ note: 'MELD dev split only: the search that chose SENTENCE_PRESET (runtime-node/src/presets.ts). No test score is computed here.', runs }, null, 2)}\n`);
