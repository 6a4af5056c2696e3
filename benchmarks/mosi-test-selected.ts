/**
 * How much choosing the epoch on the test split is worth on CMU-MOSI: the protocol of the public bc-LSTM code
 * (soujanyaporia/multimodal-sentiment-analysis, run.py), which scores the test split after every epoch and reports the
 * best test accuracy seen. This script trains the full model with the MOSI preset (the same runs as bench:mosi's
 * single models), scores the test split (all three modalities) after every epoch, and reports both the preset's own
 * result (the average of the last epochs' weights, chosen without the test split) and the best test accuracy of any
 * epoch (chosen on the test split: a reference for reading bc-LSTM's figures, never a result of this model).
 * Writes benchmarks/results/mosi-diagnostics/test-selected-epoch.json.
 *
 *   npx tsx --conditions=@emoje/source benchmarks/mosi-test-selected.ts [--seeds 1,2,3] [--epochs 18]
 */
import { parseArgs } from 'node:util';
import { loadMosi } from '@emoje/datasets/node';
import { allScenarios, createModel, evaluate, meanStd, train } from '@emoje/model';
import { initBackend, MOSI_PRESET, presetTrainOptions, writeFileAtomic } from '@emoje/runtime-node';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    epochs: { type: 'string', default: String(MOSI_PRESET.train.epochs) },
    out: { type: 'string', default: 'benchmarks/results/mosi-diagnostics/test-selected-epoch.json' },
  },
});
const seeds = values.seeds.split(',').map(Number);
const epochs = Number(values.epochs);
if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs: expected a positive integer, got '${values.epochs}'`);
for (const s of seeds) if (!Number.isInteger(s)) throw new Error(`--seeds: expected integers separated by commas, got '${values.seeds}'`);

await initBackend({ backend: 'wasm' });
const dataset = await loadMosi();
const tav = allScenarios(dataset.modalities).at(-1)!;
const started = Date.now();
const perSeed = [];
for (const seed of seeds) {
  const model = createModel({ ...MOSI_PRESET.model, modalities: dataset.modalities, classes: dataset.classes, seed });
  const testAccuracyPerEpoch: number[] = [];
  await train(model, { train: dataset.train, dev: dataset.dev }, {
    ...presetTrainOptions(MOSI_PRESET, epochs),
    seed,
    onEpochEnd: () => void testAccuracyPerEpoch.push(evaluate(model.network, dataset.test, { scenario: tav.keep }).accuracy),
  });
  const presetAccuracy = evaluate(model.network, dataset.test, { scenario: tav.keep }).accuracy;
  const best = Math.max(...testAccuracyPerEpoch);
  perSeed.push({ seed, presetAccuracy, bestEpochTestAccuracy: best, bestEpoch: testAccuracyPerEpoch.indexOf(best) + 1, testAccuracyPerEpoch });
  console.log(`seed ${seed}: the preset's weights (average of the last epochs) ${presetAccuracy.toFixed(4)}; best epoch on test ${best.toFixed(4)} (epoch ${testAccuracyPerEpoch.indexOf(best) + 1} of ${epochs})`);
  model.dispose();
}
const report = {
  dataset: 'cmu-mosi',
  scenario: tav.name,
  what: 'Full model, MOSI preset; test accuracy with all modalities after every epoch. presetAccuracy: the weights the preset keeps (chosen without the test split). bestEpochTestAccuracy: the best epoch on the test split (the bc-LSTM code protocol; test-selected).',
  seeds,
  epochs,
  presetAccuracy: meanStd(perSeed.map((r) => r.presetAccuracy)),
  bestEpochTestAccuracy: meanStd(perSeed.map((r) => r.bestEpochTestAccuracy)),
  perSeed,
  minutes: (Date.now() - started) / 60000,
  generatedAt: new Date().toISOString(),
};
await writeFileAtomic(values.out, JSON.stringify(report, null, 2) + '\n');
console.log(`mean over seeds ${seeds.join(', ')}: preset ${report.presetAccuracy.mean.toFixed(4)}, best epoch on test ${report.bestEpochTestAccuracy.mean.toFixed(4)}; wrote ${values.out}`);
