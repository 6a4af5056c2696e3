/**
 * CMU-MOSI benchmark: the full AM²-EmoJE model and three ablations, several seeds,
 * every fixed missing-modality scenario and random missing rates 0.0-0.7, on the
 * bundled real features. Writes benchmarks/results/<name>.json and a section of BENCHMARKS.md.
 *
 *   npm run bench:mosi                 # 3 seeds x 5 variants (full, the 3 ablations, naive), each seed's model an
 *                                      # ensemble of 5 members (seeds s, s+1000, ...): the published numbers
 *   npm run bench:mosi -- --ensemble 1 --variants full,naive,full-tokens,full-tokens-pooled,compensation-substitute,ace-instance \
 *     --out benchmarks/results/mosi-options.json --section mosi-options   # the paper's options, one model per seed
 *   npm run bench:mosi -- --ensemble 1 --variants full-use,no-joint-embedding-use \
 *     --out benchmarks/results/mosi-use.json --section mosi-use   # text as USE-lite sentence vectors, one model per seed
 *   npm run bench:mosi -- --quick      # the README's main job: 1 seed, one model, full vs no-joint-embedding
 *   npm run bench:mosi -- --ensemble 1 # one model per seed
 *   npm run bench:mosi -- --ensemble 15 --curve 1,3,5,10 # also score the ensembles of the first 1, 3, 5, 10 members
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadMosi } from '@emoje/datasets/node';
import { loadMosiWordVectors } from '@emoje/datasets/node';
import type { DialogueDataset } from '@emoje/datasets';
import { allScenarios, createModel, evaluateProtocols, meanStd, trainEnsemble, type ClassificationMetrics, type ModalityConfig, type ModelConfig, type ProtocolResults } from '@emoje/model';
import { createEnsembleProgress, createModelForDataset, initBackend, loadMosiSentences, MOSI_PRESET, presetTrainOptions, writeFileAtomic } from '@emoje/runtime-node';
import { ALL_VARIANTS, MOSI_DEV_NOTE, VARIANT_SPECS, parseVariants, renderTextFeatureComparison, mergeMosiReports, renderMosiMarkdown, updateBenchmarksSection, type MosiReport, type VariantName } from './report';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'train-on-dev': { type: 'boolean', default: false },
    seeds: { type: 'string' },
    variants: { type: 'string' },
    epochs: { type: 'string' },
    out: { type: 'string' },
    'no-markdown': { type: 'boolean', default: false },
    config: { type: 'string' },
    train: { type: 'string' },
    merge: { type: 'string' },
    // Members per seed's model: 5 by default, 1 with --quick.
    ensemble: { type: 'string' },
    // The BENCHMARKS.md section to write (`<!-- name:start -->`), e.g. a second table beside the published one.
    section: { type: 'string', default: 'mosi' },
    // With --ensemble n: also score the ensembles of the first k members, for each k listed (on the fixed scenarios).
    curve: { type: 'string' },
    // Reports (comma-separated) whose full and no-joint-embedding the text-feature comparison table reads beside this
    // run's -use variants; default with a -use variant: the one-model bc-LSTM run, benchmarks/results/mosi-options.json.
    compare: { type: 'string' },
  },
});

const quick = values.quick;
const seeds = (values.seeds ?? (quick ? '1' : '1,2,3')).split(',').map(Number);
const variantNames = parseVariants(values.variants, quick);
const modelOverrides = values.config ? (JSON.parse(values.config) as Partial<ModelConfig>) : {};
const trainOverrides = values.train ? JSON.parse(values.train) : {};
// --epochs wins, then epochs given in --train, then the preset's (the progress bar and the report use this count).
const epochs = Number(values.epochs ?? trainOverrides.epochs ?? MOSI_PRESET.train.epochs);
if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs: expected a positive integer, got '${values.epochs ?? trainOverrides.epochs}'`);
for (const s of seeds) if (!Number.isInteger(s)) throw new Error(`--seeds: expected integers separated by commas, got '${values.seeds}'`);
const members = Number(values.ensemble ?? (quick ? '1' : '5'));
if (!Number.isInteger(members) || members < 1) throw new Error(`--ensemble: expected a positive integer, got '${values.ensemble}'`);
const curveSizes = values.curve ? values.curve.split(',').map(Number) : [];
for (const k of curveSizes) if (!Number.isInteger(k) || k < 1 || k >= members) throw new Error(`--curve: expected member counts from 1 to ${members - 1} (--ensemble ${members}), got '${values.curve}'`);
// --quick (`npm run main`) writes under benchmarks/results/local/, which git ignores: a run of your own, not a published result.
const out = values.out ?? (quick ? 'benchmarks/results/local/mosi-quick.json' : 'benchmarks/results/mosi.json');

/** The markdown with the text-feature comparison appended (when the report has -use variants and the compared reports exist). */
function withComparison(markdown: string, report: MosiReport): string {
  const useVariants = Object.keys(report.variants).some((v) => VARIANT_SPECS[v as VariantName]?.text === 'sentences');
  const files = values.compare ? values.compare.split(',') : useVariants ? ['benchmarks/results/mosi-options.json'] : [];
  const others = files.filter((f) => existsSync(f)).map((f) => JSON.parse(readFileSync(f, 'utf8')) as MosiReport);
  const table = renderTextFeatureComparison([report, ...others]);
  return table ? `${markdown}\n\n${table}\n\nbc-LSTM columns from ${files.join(', ')}.` : markdown;
}

if (values.merge) {
  // Combine reports of runs that trained different variants, or other seeds of a variant, in parallel processes.
  const parts = values.merge.split(',').map((f) => JSON.parse(readFileSync(f, 'utf8')));
  const merged = { ...mergeMosiReports(parts), mergedFrom: values.merge.split(',') };
  const ordered = { ...merged, variants: Object.fromEntries(ALL_VARIANTS.filter((v) => v in merged.variants).map((v) => [v, merged.variants[v]])) };
  await writeFileAtomic(out, JSON.stringify(ordered, null, 2) + '\n');
  const markdown = withComparison(renderMosiMarkdown(ordered), ordered);
  console.log(markdown);
  if (!values['no-markdown']) await updateBenchmarksSection(values.section, markdown);
  process.exit(0);
}

const backend = await initBackend();
console.log(`backend: ${backend.backend} (${backend.reason})`);
console.log(MOSI_DEV_NOTE);
const dataset = await loadMosi();
// The variants that read the transcripts as words (VARIANT_SPECS[v].text 'tokens') use MOSI loaded that way (same split).
const tokenDataset = variantNames.some((v) => VARIANT_SPECS[v].text === 'tokens') ? await loadMosi({ text: 'tokens' }) : null;
const wordVectors = tokenDataset ? await loadMosiWordVectors() : null;
// The `-use` variants (VARIANT_SPECS[v].text 'sentences') read the transcripts as USE-lite sentence vectors (same split,
// audio and visual), embedded once through the embedding cache.
let sentenceEmbedding: unknown = null;
const sentenceDataset = variantNames.some((v) => VARIANT_SPECS[v].text === 'sentences')
  ? await loadMosiSentences().then(({ dataset: d, stats }) => {
      sentenceEmbedding = stats;
      console.log(`USE-lite: ${stats.texts} transcripts, ${stats.hits} from the cache, ${stats.misses} embedded in ${stats.embedSeconds.toFixed(1)} s (${stats.cacheDir})`);
      return d;
    })
  : null;
let wordVectorCoverage: unknown = null;
const missingRates = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7];

type Runs = {
  scenarios: Record<string, ClassificationMetrics[]>;
  missingRate: Record<string, ClassificationMetrics[]>;
  epochs: number[];
  bestEpochs: number[];
  seconds: number[];
  // The fixed scenarios on the dev split (for choices made on dev: TAV saturates there, the scenarios without text do not).
  dev: Record<string, ClassificationMetrics[]>;
  // --curve: per member count k, the fixed scenarios of the ensembles of the first k members, per seed.
  curve: Record<string, Record<string, ClassificationMetrics[]>>;
};
const emptyRuns = (): Runs => ({ scenarios: {}, missingRate: {}, epochs: [], bestEpochs: [], seconds: [], curve: {}, dev: {} });
const record = (r: Runs, protocols: ProtocolResults) => {
  for (const [name, m] of Object.entries(protocols.scenarios)) (r.scenarios[name] ??= []).push(m);
  for (const [rate, m] of Object.entries(protocols.missingRate)) (r.missingRate[rate] ??= []).push(m);
};
const runs: Record<string, Runs> = {};
// With --ensemble, the first member of each seed alone (the single model of that seed).
const singles: Record<string, Runs> = {};
const tavName = allScenarios(dataset.modalities).at(-1)!.name;
function summarise(ms: ClassificationMetrics[]) {
  const acc = meanStd(ms.map((m) => m.accuracy));
  const wf1 = meanStd(ms.map((m) => m.weightedF1));
  const mf1 = meanStd(ms.map((m) => m.macroF1));
  return { accuracy: acc.mean, weightedF1: wf1.mean, macroF1: mf1.mean, std: { accuracy: acc.std, weightedF1: wf1.std, macroF1: mf1.std }, perSeed: ms.map((m) => ({ accuracy: m.accuracy, weightedF1: m.weightedF1, macroF1: m.macroF1 })) };
}
/** The report of the runs so far (written after every seed, so a long run that is stopped keeps what it finished). */
function buildReport() {
  return {
  dataset: 'cmu-mosi',
  trainedOnDev: values['train-on-dev'],
  split: { train: dataset.train.length, dev: dataset.dev.length, test: dataset.test.length, testUtterances: dataset.test.reduce((n, d) => n + d.utterances.length, 0) },
  seeds: seeds.filter((_, i) => Object.values(runs).some((r) => r.epochs.length > i)),
  ensemble: members,
  backend: backend.backend,
  quick,
  config: { ...MOSI_PRESET.model, ...modelOverrides },
  ...(sentenceDataset ? { sentenceText: { encoder: (sentenceEmbedding as { encoder: string }).encoder, source: 'MOSI transcripts (bundled index) embedded with USE-lite (loadMosiSentences)', missingText: countMissingText(sentenceDataset), embedding: sentenceEmbedding } } : {}),
  ...(tokenDataset ? { tokens: MOSI_PRESET.tokens, wordVectors: { source: 'GloVe 6B 100d of MOSI\'s words (bundled, float16; loadMosiWordVectors)', coverage: wordVectorCoverage } } : {}),
  train: { ...MOSI_PRESET.train, ...trainOverrides, epochs },
  minutes: (Date.now() - started) / 60000,
  generatedAt: new Date().toISOString(),
  variants: Object.fromEntries(
    Object.entries(runs).map(([v, r]) => [
      v,
      {
        scenarios: Object.fromEntries(Object.entries(r.scenarios).map(([k, ms]) => [k, summarise(ms)])),
        missingRate: Object.fromEntries(Object.entries(r.missingRate).map(([k, ms]) => [k, summarise(ms)])),
        epochs: r.epochs,
        bestEpochs: r.bestEpochs,
        trainSeconds: r.seconds,
        // What the variant changes over the preset (absent for the full model).
        ...(Object.keys(VARIANT_SPECS[v as VariantName]).length > 0 ? { options: VARIANT_SPECS[v as VariantName] } : {}),
        ...(Object.keys(r.dev).length > 0 ? { dev: { scenarios: Object.fromEntries(Object.entries(r.dev).map(([k, ms]) => [k, summarise(ms)])) } } : {}),
        ...(curveSizes.length > 0
          ? { ensembleCurve: Object.fromEntries(Object.entries(r.curve).map(([k, byScenario]) => [k, Object.fromEntries(Object.entries(byScenario).map(([name, ms]) => [name, summarise(ms)]))])) }
          : {}),
        ...(members > 1
          ? { singleModel: { scenarios: Object.fromEntries(Object.entries(singles[v].scenarios).map(([k, ms]) => [k, summarise(ms)])), missingRate: Object.fromEntries(Object.entries(singles[v].missingRate).map(([k, ms]) => [k, summarise(ms)])) } }
          : {}),
      },
    ]),
  ),
};
}

/** Utterances per split whose text is missing (an empty transcript). */
function countMissingText(d: typeof dataset | DialogueDataset) {
  const count = (ds: DialogueDataset['train']) => ds.reduce((n, x) => n + x.utterances.filter((u) => u.features.text == null).length, 0);
  return { train: count(d.train), dev: count(d.dev), test: count(d.test) };
}

const started = Date.now();
for (const variant of variantNames) {
  const r = (runs[variant] = emptyRuns());
  const single = (singles[variant] = emptyRuns());
  for (const seed of seeds) {
    const t0 = Date.now();
        // --train-on-dev: the dev videos join the training set (no dev scores; the preset's weight averaging picks the weights).
    const progress = createEnsembleProgress(`${variant} seed ${seed}`, epochs, members);
    const spec = VARIANT_SPECS[variant];
    const data = spec.text === 'tokens' ? tokenDataset! : spec.text === 'sentences' ? sentenceDataset! : dataset;
    const splits = values['train-on-dev'] ? { train: [...data.train, ...data.dev] } : { train: data.train, dev: data.dev };
    const blocks = { ...MOSI_PRESET.model.blocks, ...modelOverrides.blocks, ...spec.blocks };
    const { ensemble, results } = await trainEnsemble(
      async (memberSeed) => {
        if (spec.text !== 'tokens') {
          // bc-LSTM's vectors or the USE-lite sentence vectors: every modality is a vector modality here.
          return createModel({ ...MOSI_PRESET.model, ...modelOverrides, ...spec.model, modalities: data.modalities as ModalityConfig[], classes: data.classes, blocks, seed: memberSeed });
        }
        const preset = { ...MOSI_PRESET, tokens: { ...MOSI_PRESET.tokens, ...spec.tokens } };
        const created = await createModelForDataset(data, { preset, seed: memberSeed, overrides: { ...modelOverrides, ...spec.model }, blocks, wordVectors });
        wordVectorCoverage = created.coverage;
        return created.model;
      },
      splits,
      {
        ...presetTrainOptions(MOSI_PRESET, epochs),
        ...trainOverrides,
        ...spec.train,
        epochs,
        seed,
        members,
        ...progress.callbacks,
      },
    );
    const protocols = evaluateProtocols(ensemble.networks, data.test, { missingRates, seed });
    record(r, protocols);
    if (!values['train-on-dev']) {
      for (const [name, m] of Object.entries(evaluateProtocols(ensemble.networks, data.dev, { missingRates: [], seed }).scenarios)) (r.dev[name] ??= []).push(m);
    }
    for (const k of curveSizes) {
      const part = evaluateProtocols(ensemble.networks.slice(0, k), data.test, { missingRates: [], seed });
      for (const [name, m] of Object.entries(part.scenarios)) ((r.curve[k] ??= {})[name] ??= []).push(m);
      console.log(`${variant} seed ${seed}, first ${k} members: TAV acc ${part.scenarios[tavName].accuracy.toFixed(4)}`);
    }
    r.epochs.push(results[0].epochs);
    r.bestEpochs.push(results[0].bestEpoch);
    r.seconds.push((Date.now() - t0) / 1000);
    const tav = protocols.scenarios[tavName];
    let alone = '';
    if (members > 1) {
      const first = evaluateProtocols(ensemble.networks[0], data.test, { missingRates, seed });
      record(single, first);
      alone = `; first member alone: TAV acc ${first.scenarios[tavName].accuracy.toFixed(4)}`;
    }
    const result = results[0];
    console.log(`${variant} seed ${seed}${members > 1 ? ` (ensemble of ${members})` : ''}: TAV acc ${tav.accuracy.toFixed(4)} wF1 ${tav.weightedF1.toFixed(4)}; T acc ${protocols.scenarios.T.accuracy.toFixed(4)}${alone} (${result.averagedEpochs ? `average of the last ${result.averagedEpochs} epochs` : `best epoch ${result.bestEpoch}`} of ${result.epochs})`);
    ensemble.dispose();
    await writeFileAtomic(out, JSON.stringify(buildReport(), null, 2) + '\n');
  }
}

const report = buildReport();
await writeFileAtomic(out, JSON.stringify(report, null, 2) + '\n');
const markdown = withComparison(renderMosiMarkdown(report), report);
console.log('\n' + markdown);
if (!values['no-markdown'] && !quick) await updateBenchmarksSection(values.section, markdown);
console.log(`wrote ${out}${!values['no-markdown'] && !quick ? ' and BENCHMARKS.md' : ''}${values.out === undefined && quick ? ' (git ignores benchmarks/results/local/)' : ''}`);
