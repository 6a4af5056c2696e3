/**
 * MELD text benchmark: AM²-EmoJE on MELD's transcripts alone (a token modality started from GloVe 6B 100-d vectors)
 * with the speaker-aware dialogue context, and the no-context ablation, over several seeds, trained on all of MELD's
 * train split with early stopping on its dev split, scored on its test split. Writes
 * benchmarks/results/meld.json and the `meld` section of BENCHMARKS.md.
 *
 *   npm run bench:meld                          # 3 seeds x (full, no-context), each seed's model an ensemble of 3
 *                                               # members (seeds s, s+1000, s+2000), each with its decision bias
 *   npm run bench:meld -- --seeds 1 --variants full --no-markdown --out /tmp/m.json
 *   npm run bench:meld -- --ensemble 1        # one model per seed
 *
 * On a machine with spare cores the variants can run as separate processes and be merged afterwards:
 *
 *   npm run bench:meld -- --variants full --no-markdown --out /tmp/full.json &
 *   npm run bench:meld -- --variants no-context --no-markdown --out /tmp/no-context.json
 *   npm run bench:meld -- --merge /tmp/full.json,/tmp/no-context.json
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadMeld } from '@emoje/datasets/node';
import { evaluate, meanStd, trainEnsemble, type ClassificationMetrics, type ModelConfig } from '@emoje/model';
import { TEXT_PRESET, createModelForDataset, createEnsembleProgress, initBackend, presetTrainOptions, writeFileAtomic, type Preset } from '@emoje/runtime-node';
import { renderMeldMarkdown, updateBenchmarksSection, type MeldReport } from './report';

const VARIANTS = ['full', 'no-context'] as const;
type Variant = (typeof VARIANTS)[number];

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    variants: { type: 'string', default: VARIANTS.join(',') },
    epochs: { type: 'string' },
    out: { type: 'string', default: 'benchmarks/results/meld.json' },
    'no-markdown': { type: 'boolean', default: false },
    config: { type: 'string' },
    tokens: { type: 'string' },
    train: { type: 'string' },
    'class-weight-power': { type: 'string' },
    merge: { type: 'string' },
    'train-on-dev': { type: 'boolean', default: false },
    ensemble: { type: 'string', default: '3' },
    // The BENCHMARKS.md section to write (`<!-- name:start -->`), e.g. a second table beside the published one.
    section: { type: 'string', default: 'meld' },
  },
});
/** Parses a JSON-object flag, naming the flag when it is not one. */
function jsonFlag(name: string, text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`--${name}: expected a JSON object, got '${text}' (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`--${name}: expected a JSON object, got '${text}'`);
  return parsed as Record<string, unknown>;
}
const seeds = values.seeds.split(',').map(Number);
const variants = values.variants.split(',') as Variant[];
for (const v of variants) if (!VARIANTS.includes(v)) throw new Error(`--variants: unknown variant '${v}' (known: ${VARIANTS.join(', ')})`);
const preset: Preset = {
  ...TEXT_PRESET,
  // MELD has one modality: the preset's single-modality settings are folded into the model (so the report shows them).
  model: { ...TEXT_PRESET.model, ...TEXT_PRESET.singleModality, ...(jsonFlag('config', values.config) as Partial<ModelConfig>) },
  singleModality: undefined,
  tokens: { ...TEXT_PRESET.tokens, ...jsonFlag('tokens', values.tokens) },
  classWeightPower: values['class-weight-power'] !== undefined ? Number(values['class-weight-power']) : TEXT_PRESET.classWeightPower,
  train: { ...TEXT_PRESET.train, ...jsonFlag('train', values.train) },
};
const epochs = Number(values.epochs ?? preset.train.epochs);
const members = Number(values.ensemble);
if (!Number.isInteger(members) || members < 1) throw new Error(`--ensemble: expected a positive integer, got '${values.ensemble}'`);
for (const s of seeds) if (!Number.isInteger(s)) throw new Error(`--seeds: expected integers separated by commas, got '${values.seeds}'`);
if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs: expected a positive integer, got '${values.epochs}'`);
if (!(Number.isFinite(preset.classWeightPower) && preset.classWeightPower! >= 0)) throw new Error(`--class-weight-power: expected a number >= 0, got '${values['class-weight-power']}'`);

/** Trains and scores every variant and seed in this process. */
async function runBenchmark(): Promise<MeldReport> {
  const backend = await initBackend();
  console.log(`backend: ${backend.backend} (${backend.reason})`);
  const dataset = await loadMeld();
  const started = Date.now();
  type Runs = {
    metrics: ClassificationMetrics[]; single: ClassificationMetrics[]; dev: number[]; epochs: number[]; bestEpochs: number[]; seconds: number[];
    /** With a decision bias: the test metrics and dev weighted F1 of the same networks without it, and the biases. */
    unbiased: ClassificationMetrics[]; devUnbiased: number[]; biases: (readonly number[] | null)[][];
  };
  const runs: Record<string, Runs> = {};
  let coverage: unknown = null;
  for (const variant of variants) {
    const r: Runs = (runs[variant] = { metrics: [], single: [], dev: [], epochs: [], bestEpochs: [], seconds: [], unbiased: [], devUnbiased: [], biases: [] });
    for (const seed of seeds) {
            const t0 = Date.now();
      // --train-on-dev: the dev dialogues join the training set for the preset's epochs (no dev scores; the last weights are kept).
      const progress = createEnsembleProgress(`${variant} seed ${seed}`, epochs, members);
    const splits = values['train-on-dev'] ? { train: [...dataset.train, ...dataset.dev] } : { train: dataset.train, dev: dataset.dev };
      const { ensemble, results } = await trainEnsemble(
        async (memberSeed) => {
          const created = await createModelForDataset(dataset, { preset, seed: memberSeed, blocks: { dialogueContext: variant !== 'no-context' } });
          coverage = created.coverage;
          return created.model;
        },
        splits,
        {
          ...presetTrainOptions(preset, epochs),
          seed,
          members,
          ...progress.callbacks,
        },
      );
      const seconds = (Date.now() - t0) / 1000;
      const m = evaluate(ensemble.networks, dataset.test);
      r.metrics.push(m);
      // The dev score of what is kept: the best epoch's (with its decision bias) for one model, the ensemble's own on dev for several.
      const devOf = () => (members > 1 && !values['train-on-dev'] ? evaluate(ensemble.networks, dataset.dev).weightedF1 : null);
      r.dev.push(devOf() ?? results[0].decisionBias?.weightedF1After ?? results[0].bestDevWeightedF1);
      // The same networks without their decision biases, so the report shows what the bias did.
      const biases = ensemble.networks.map((n) => n.decisionBias);
      r.biases.push(biases);
      ensemble.networks.forEach((n) => n.setDecisionBias(null));
      r.unbiased.push(evaluate(ensemble.networks, dataset.test));
      r.devUnbiased.push(devOf() ?? results[0].bestDevWeightedF1);
      ensemble.networks.forEach((n, i) => n.setDecisionBias(biases[i]));
      r.epochs.push(results[0].epochs);
      r.bestEpochs.push(results[0].bestEpoch);
      r.seconds.push(seconds);
      let alone = '';
      if (members > 1) {
        const first = evaluate(ensemble.networks[0], dataset.test);
        r.single.push(first);
        alone = `; first member alone ${first.weightedF1.toFixed(4)}, members' best dev epochs ${results.map((x) => x.bestEpoch).join('/')}`;
      }
      console.log(`${variant} seed ${seed}${members > 1 ? ` (ensemble of ${members})` : ''}: test wF1 ${m.weightedF1.toFixed(4)} (${r.unbiased.at(-1)!.weightedF1.toFixed(4)} without the decision bias) acc ${m.accuracy.toFixed(4)}${alone} (best dev epoch ${results[0].bestEpoch} of ${results[0].epochs}, ${(seconds / 60).toFixed(1)} min) per class ${Object.entries(m.perClassF1).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}`);
      ensemble.dispose();
    }
  }

  const summarise = (r: (typeof runs)[string]) => {
    const ms = r.metrics;
    const wf1 = meanStd(ms.map((m) => m.weightedF1));
    const acc = meanStd(ms.map((m) => m.accuracy));
    const mf1 = meanStd(ms.map((m) => m.macroF1));
    const perClassF1 = Object.fromEntries(dataset.classes.map((c) => [c, meanStd(ms.map((m) => m.perClassF1[c])).mean]));
    return {
      weightedF1: wf1.mean,
      accuracy: acc.mean,
      macroF1: mf1.mean,
      std: { weightedF1: wf1.std, accuracy: acc.std, macroF1: mf1.std },
      perClassF1,
      perSeed: ms.map((m, i) => ({
        seed: seeds[i], weightedF1: m.weightedF1, accuracy: m.accuracy, devWeightedF1: r.dev[i], perClassF1: m.perClassF1,
        decisionBias: r.biases[i], withoutDecisionBias: { weightedF1: r.unbiased[i].weightedF1, devWeightedF1: r.devUnbiased[i], perClassF1: r.unbiased[i].perClassF1 },
      })),
      ...(r.biases.some((b) => b.some((x) => x !== null))
        ? {
            withoutDecisionBias: {
              weightedF1: meanStd(r.unbiased.map((x) => x.weightedF1)).mean,
              accuracy: meanStd(r.unbiased.map((x) => x.accuracy)).mean,
              std: { weightedF1: meanStd(r.unbiased.map((x) => x.weightedF1)).std },
            },
          }
        : {}),
      confusion: ms.map((m) => m.confusion),
      epochs: r.epochs,
      bestEpochs: r.bestEpochs,
      trainMinutes: r.seconds.map((s) => s / 60),
      ...(members > 1
        ? {
            singleModel: {
              weightedF1: meanStd(r.single.map((x) => x.weightedF1)).mean,
              accuracy: meanStd(r.single.map((x) => x.accuracy)).mean,
              std: { weightedF1: meanStd(r.single.map((x) => x.weightedF1)).std },
              perSeed: r.single.map((x, i) => ({ seed: seeds[i], weightedF1: x.weightedF1, accuracy: x.accuracy, perClassF1: x.perClassF1 })),
            },
          }
        : {}),
    };
  };
  return {
    dataset: 'meld',
    modalities: ['text'],
    seeds,
    ensemble: members,
    backend: backend.backend,
    classes: dataset.classes,
    split: Object.fromEntries((['train', 'dev', 'test'] as const).map((s) => [s, { dialogues: dataset[s].length, utterances: dataset[s].reduce((n, d) => n + d.utterances.length, 0) }])),
    wordVectors: { source: 'GloVe 6B 100d (bundled, float16)', coverage },
    preset: { model: preset.model, tokens: preset.tokens, classWeightPower: preset.classWeightPower, train: { ...preset.train, epochs } },
    ...(values['train-on-dev'] ? { trainedOnDev: true } : {}),
    minutes: (Date.now() - started) / 60000,
    generatedAt: new Date().toISOString(),
    variants: Object.fromEntries(Object.entries(runs).map(([v, r]) => [v, summarise(r)])),
  };
}

/**
 * Joins reports of the same seeds and preset, each with other variants, into one (`--merge a.json,b.json`). The
 * minutes are the longest run's, since the processes ran side by side.
 */
async function mergeReports(files: string[]): Promise<MeldReport> {
  const reports = await Promise.all(files.map(async (f) => JSON.parse(await readFile(f, 'utf8')) as MeldReport));
  const [first] = reports;
  for (const [i, r] of reports.entries()) {
    if (r.dataset !== 'meld') throw new Error(`--merge: ${files[i]} is not a MELD report (dataset '${r.dataset}')`);
    if (JSON.stringify(r.seeds) !== JSON.stringify(first.seeds)) throw new Error(`--merge: ${files[i]} has seeds ${r.seeds.join(',')}, ${files[0]} has ${first.seeds.join(',')}`);
    if (JSON.stringify(r.preset) !== JSON.stringify(first.preset)) throw new Error(`--merge: ${files[i]} was run with another preset than ${files[0]}`);
    for (const v of Object.keys(r.variants)) if (reports.slice(0, i).some((o) => v in o.variants)) throw new Error(`--merge: variant '${v}' is in more than one file`);
  }
  return {
    ...first,
    minutes: Math.max(...reports.map((r) => r.minutes)),
    processes: reports.length,
    generatedAt: new Date().toISOString(),
    variants: Object.assign({}, ...reports.map((r) => r.variants)),
  };
}

const report = values.merge ? await mergeReports(values.merge.split(',')) : await runBenchmark();
await writeFileAtomic(values.out, JSON.stringify(report, null, 2) + '\n');
const markdown = renderMeldMarkdown(report);
console.log('\n' + markdown);
if (!values['no-markdown']) await updateBenchmarksSection(values.section, markdown);
console.log(`wrote ${values.out}${values['no-markdown'] ? '' : ' and BENCHMARKS.md'}`);
