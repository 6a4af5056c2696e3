/**
 * MELD text benchmark: AM²-EmoJE on MELD's transcripts alone with the speaker-aware dialogue context, and the
 * no-context ablation, over several seeds, trained on all of MELD's train split with early stopping on its dev split,
 * scored on its test split. The text is, by default (`--text use`), USE-lite sentence vectors (512-d,
 * `@emoje/sentence-encoder`, through the embedding cache) with SENTENCE_PRESET; `--text glove` is the token modality
 * started from GloVe 6B 100-d vectors with TEXT_PRESET. With `--text use` the report also carries the GloVe variants
 * (`glove-full`, `glove-no-context`) read from `--glove-from` (the committed GloVe single-model run: the GloVe code
 * path is unchanged, so they are not re-trained). Writes benchmarks/results/meld.json and the `meld` section of
 * BENCHMARKS.md.
 *
 *   npm run bench:meld                          # 3 seeds x (full, no-context), one model per seed, sentence vectors
 *   npm run bench:meld -- --seeds 1 --variants full --no-markdown --out /tmp/m.json
 *   npm run bench:meld -- --text glove --ensemble 3   # the former GloVe benchmark, ensembles of 3
 *   npm run bench:meld -- --save-models /tmp/meld-models   # also save each seed's model (<dir>/<variant>-seed<s>)
 *
 * On a machine with spare cores the variants can run as separate processes and be merged afterwards:
 *
 *   npm run bench:meld -- --variants full --no-markdown --out /tmp/full.json &
 *   npm run bench:meld -- --variants no-context --no-markdown --out /tmp/no-context.json
 *   npm run bench:meld -- --merge /tmp/full.json,/tmp/no-context.json
 *
 * and so can seeds (`--seeds 2 --variants full ...`): the merge joins each variant's seeds.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadMeld } from '@emoje/datasets/node';
import { evaluate, meanStd, trainEnsemble, type ClassificationMetrics, type ModelConfig } from '@emoje/model';
import {
  SENTENCE_PRESET,
  TEXT_PRESET,
  createModelForDataset,
  createEnsembleProgress,
  defaultEmbeddingCacheDir,
  embedTextModality,
  initBackend,
  presetTrainOptions,
  saveModel,
  writeFileAtomic,
  type Preset,
  type TextEmbeddingStats,
} from '@emoje/runtime-node';
import { loadUseLite } from '@emoje/sentence-encoder/node';
import { join } from 'node:path';
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
    ensemble: { type: 'string', default: '1' },
    text: { type: 'string', default: 'use' },
    'glove-from': { type: 'string', default: 'benchmarks/results/meld-diagnostics/single-model.json' },
    'save-models': { type: 'string' },
    'embedding-cache': { type: 'string' },
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
if (values.text !== 'use' && values.text !== 'glove') throw new Error(`--text: expected use or glove, got '${values.text}'`);
const text = values.text as 'use' | 'glove';
const base = text === 'use' ? SENTENCE_PRESET : TEXT_PRESET;
const preset: Preset = {
  ...base,
  // MELD has one modality: the preset's single-modality settings are folded into the model (so the report shows them).
  model: { ...base.model, ...base.singleModality, ...(jsonFlag('config', values.config) as Partial<ModelConfig>) },
  singleModality: undefined,
  ...(text === 'glove' ? { tokens: { ...TEXT_PRESET.tokens, ...jsonFlag('tokens', values.tokens) } } : {}),
  classWeightPower: values['class-weight-power'] !== undefined ? Number(values['class-weight-power']) : base.classWeightPower,
  train: { ...base.train, ...jsonFlag('train', values.train) },
};
const epochs = Number(values.epochs ?? preset.train.epochs);
const members = Number(values.ensemble);
if (!Number.isInteger(members) || members < 1) throw new Error(`--ensemble: expected a positive integer, got '${values.ensemble}'`);
for (const s of seeds) if (!Number.isInteger(s)) throw new Error(`--seeds: expected integers separated by commas, got '${values.seeds}'`);
if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs: expected a positive integer, got '${values.epochs}'`);
if (!(Number.isFinite(preset.classWeightPower) && preset.classWeightPower! >= 0)) throw new Error(`--class-weight-power: expected a number >= 0, got '${values['class-weight-power']}'`);

/** What one variant's runs collect, seed by seed (kept in the report's `raw` so reports of other seeds can be merged). */
type Runs = {
  metrics: ClassificationMetrics[]; single: ClassificationMetrics[]; dev: number[]; epochs: number[]; bestEpochs: number[]; seconds: number[];
  /** With a decision bias: the test metrics and dev weighted F1 of the same networks without it, and the biases. */
  unbiased: ClassificationMetrics[]; devUnbiased: number[]; biases: (readonly number[] | null)[][];
  seeds?: number[];
};

function summarise(r: Runs, seeds: number[], classes: string[]) {
    const ms = r.metrics;
    const wf1 = meanStd(ms.map((m) => m.weightedF1));
    const acc = meanStd(ms.map((m) => m.accuracy));
    const mf1 = meanStd(ms.map((m) => m.macroF1));
    const perClassF1 = Object.fromEntries(classes.map((c) => [c, meanStd(ms.map((m) => m.perClassF1[c])).mean]));
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
  }

/** Trains and scores every variant and seed in this process. */
async function runBenchmark(): Promise<MeldReport> {
  const backend = await initBackend();
  console.log(`backend: ${backend.backend} (${backend.reason})`);
  let dataset = await loadMeld();
  let embedding: (TextEmbeddingStats & { seconds: number }) | null = null;
  if (text === 'use') {
    const t0 = Date.now();
    const encoder = await loadUseLite();
    const embedded = await embedTextModality(dataset, encoder, { dir: values['embedding-cache'] ?? defaultEmbeddingCacheDir(), log: console.warn });
    encoder.dispose();
    dataset = embedded.dataset;
    embedding = { ...embedded.stats!, seconds: (Date.now() - t0) / 1000 };
    console.log(`embedding cache ${embedding.cacheDir}: ${embedding.hits} texts cached, ${embedding.misses} embedded in ${embedding.embedSeconds.toFixed(1)} s`);
  }
  const started = Date.now();
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
      if (values['save-models']) await saveModel(ensemble.members.length === 1 ? ensemble.members[0] : ensemble, join(values['save-models'], `${variant}-seed${seed}`));
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

  return {
    dataset: 'meld',
    modalities: ['text'],
    seeds,
    ensemble: members,
    backend: backend.backend,
    classes: dataset.classes,
    split: Object.fromEntries((['train', 'dev', 'test'] as const).map((s) => [s, { dialogues: dataset[s].length, utterances: dataset[s].reduce((n, d) => n + d.utterances.length, 0) }])),
    text,
    ...(text === 'use'
      ? { sentenceEncoder: { id: embedding!.encoder, dim: 512, embedding: { texts: embedding!.texts, cached: embedding!.hits, embedded: embedding!.misses, embedSeconds: embedding!.embedSeconds }, firstEmbedding: 'benchmarks/results/meld-embedding.json' } }
      : {}),
    wordVectors: text === 'glove' ? { source: 'GloVe 6B 100d (bundled, float16)', coverage } : { source: 'none (text as sentence vectors)', coverage: null },
    preset: { model: preset.model, tokens: preset.tokens, classWeightPower: preset.classWeightPower, train: { ...preset.train, epochs } },
    ...(values['train-on-dev'] ? { trainedOnDev: true } : {}),
    minutes: (Date.now() - started) / 60000,
    generatedAt: new Date().toISOString(),
    raw: Object.fromEntries(Object.entries(runs).map(([v, r]) => [v, { ...r, seeds }])),
    variants: Object.fromEntries(Object.entries(runs).map(([v, r]) => [v, summarise(r, seeds, dataset.classes)])),
  };
}

/**
 * Joins reports of the same seeds and preset, each with other variants, into one (`--merge a.json,b.json`). The
 * minutes are the longest run's, since the processes ran side by side.
 */
async function mergeReports(files: string[]): Promise<MeldReport> {
  const reports = await Promise.all(files.map(async (f) => JSON.parse(await readFile(f, 'utf8')) as MeldReport));
  const [first] = reports;
  const joined: Record<string, Runs & { seeds: number[] }> = {};
  for (const [i, r] of reports.entries()) {
    if (r.dataset !== 'meld') throw new Error(`--merge: ${files[i]} is not a MELD report (dataset '${r.dataset}')`);
    if (JSON.stringify(r.preset) !== JSON.stringify(first.preset)) throw new Error(`--merge: ${files[i]} was run with another preset than ${files[0]}`);
    if (!r.raw) throw new Error(`--merge: ${files[i]} has no per-seed results (raw); re-run it with this script`);
    for (const [v, runs] of Object.entries(r.raw as Record<string, Runs & { seeds: number[] }>)) {
      const into = (joined[v] ??= { metrics: [], single: [], dev: [], epochs: [], bestEpochs: [], seconds: [], unbiased: [], devUnbiased: [], biases: [], seeds: [] });
      for (const s of runs.seeds) if (into.seeds.includes(s)) throw new Error(`--merge: variant '${v}' seed ${s} is in more than one file`);
      for (const key of ['metrics', 'single', 'dev', 'epochs', 'bestEpochs', 'seconds', 'unbiased', 'devUnbiased', 'biases', 'seeds'] as const) (into[key] as unknown[]).push(...(runs[key] as unknown[]));
    }
  }
  // Seeds in ascending order within each variant.
  for (const runs of Object.values(joined)) {
    const order = runs.seeds.map((s, k) => [s, k] as const).sort((a, b) => a[0] - b[0]).map(([, k]) => k);
    for (const key of ['metrics', 'single', 'dev', 'epochs', 'bestEpochs', 'seconds', 'unbiased', 'devUnbiased', 'biases', 'seeds'] as const) {
      const list = runs[key] as unknown[];
      if (list.length === order.length) (runs[key] as unknown[]) = order.map((k) => list[k]);
    }
  }
  const seeds = [...new Set(Object.values(joined).flatMap((r) => r.seeds))].sort((a, b) => a - b);
  return {
    ...first,
    seeds,
    minutes: Math.max(...reports.map((r) => r.minutes)),
    processes: reports.length,
    generatedAt: new Date().toISOString(),
    raw: joined,
    variants: Object.fromEntries(Object.entries(joined).map(([v, r]) => [v, summarise(r, r.seeds, first.classes)])),
  };
}

/**
 * Adds the GloVe variants of a committed GloVe report (one model per seed) as `glove-full` and `glove-no-context`,
 * marked with where they come from: the GloVe code path is unchanged, so they are reused rather than re-trained.
 */
async function withGloveVariants(report: MeldReport, file: string): Promise<MeldReport> {
  const glove = JSON.parse(await readFile(file, 'utf8')) as MeldReport;
  if ((glove.ensemble ?? 1) !== (report.ensemble ?? 1)) throw new Error(`--glove-from: ${file} has ensembles of ${glove.ensemble ?? 1}, this run ${report.ensemble ?? 1}`);
  const extra = Object.fromEntries(Object.entries(glove.variants).map(([name, v]) => [`glove-${name}`, { ...v, reusedFrom: file, preset: glove.preset }]));
  return { ...report, gloveReusedFrom: { file, generatedAt: glove.generatedAt, note: 'GloVe variants re-used from this committed report (same GloVe code path, same seeds, one model per seed); not re-trained' }, variants: { ...report.variants, ...extra } };
}

let report = values.merge ? await mergeReports(values.merge.split(',')) : await runBenchmark();
if (report.text === 'use' && values['glove-from'] && !Object.keys(report.variants).some((v) => v.startsWith('glove-'))) report = await withGloveVariants(report, values['glove-from']);
await writeFileAtomic(values.out, JSON.stringify(report, null, 2) + '\n');
const markdown = renderMeldMarkdown(report);
console.log('\n' + markdown);
if (!values['no-markdown']) await updateBenchmarksSection(values.section, markdown);
console.log(`wrote ${values.out}${values['no-markdown'] ? '' : ' and BENCHMARKS.md'}`);
