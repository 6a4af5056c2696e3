import { existsSync, readFileSync } from 'node:fs';
import { meanStd, type BlockSwitches, type ModelConfig, type TokenModalityConfig, type TrainOptions } from '@emoje/model';
import { writeFileAtomic } from '@emoje/runtime-node';

/** The variants of the published run (`npm run bench:mosi` without `--variants`). */
export const VARIANTS = ['full', 'no-joint-embedding', 'no-qaf', 'no-context', 'naive'] as const;
/**
 * Further variants, run with `--variants`: the paper's options (token-sequence text, other compensation and NCE), and
 * the text as USE-lite sentence vectors (`-use`).
 */
export const OPTION_VARIANTS = ['full-tokens', 'full-tokens-pooled', 'naive-tokens', 'compensation-substitute', 'ace-instance', 'full-use', 'no-joint-embedding-use'] as const;
export const ALL_VARIANTS: readonly VariantName[] = [...VARIANTS, ...OPTION_VARIANTS];
export type VariantName = (typeof VARIANTS)[number] | (typeof OPTION_VARIANTS)[number];

/** What a MOSI variant changes over the preset: block switches, model settings, training options, the text input. */
export interface VariantSpec {
  blocks?: Partial<BlockSwitches>;
  model?: Partial<ModelConfig>;
  train?: Partial<TrainOptions>;
  /**
   * `'tokens'`: MOSI's transcripts as words (`loadMosi({ text: 'tokens' })`) instead of bc-LSTM's text vector;
   * `'sentences'`: the transcripts as USE-lite's 512-d sentence vectors (`loadMosiSentences()` of runtime-node).
   */
  text?: 'tokens' | 'sentences';
  /** With `text: 'tokens'`: settings of the token modality over `MOSI_PRESET.tokens`. */
  tokens?: Partial<Omit<TokenModalityConfig, 'name' | 'kind' | 'vocabulary'>>;
}

const NAIVE: VariantSpec = { blocks: { jointEmbedding: false }, train: { modalityDropout: false } };

/** Every variant's changes; `full` is the preset itself. */
export const VARIANT_SPECS: Record<VariantName, VariantSpec> = {
  full: {},
  'no-joint-embedding': { blocks: { jointEmbedding: false } },
  'no-qaf': { blocks: { queryAdaptiveFusion: false } },
  'no-context': { blocks: { dialogueContext: false, modalityContext: false } },
  // Trained on complete data (no modality dropout), no joint embedding: a missing modality is met first at test time (zeros + mask).
  naive: NAIVE,
  'full-tokens': { text: 'tokens' },
  // The same words, but the cross-attention sees only their pooled vector (one key): what attending over the words adds.
  'full-tokens-pooled': { text: 'tokens', tokens: { crossAttention: 'pooled' } },
  'naive-tokens': { ...NAIVE, text: 'tokens' },
  'compensation-substitute': { model: { compensation: 'substitute' } },
  'ace-instance': { model: { aceMode: 'instance' } },
  // The preset with the text modality as USE-lite sentence vectors (512-d) instead of bc-LSTM's 100-d vectors.
  'full-use': { text: 'sentences' },
  'no-joint-embedding-use': { text: 'sentences', blocks: { jointEmbedding: false } },
};

/** Published accuracy (%) of bc-LSTM (Poria et al., ACL 2017) on this split, one model per modality subset. */
export const BC_LSTM_ACCURACY: Record<string, number> = { TAV: 80.3, TV: 80.2, TA: 79.3, T: 78.1, AV: 62.1, A: 60.3, V: 55.8 };

interface Summary {
  accuracy: number;
  weightedF1: number;
  std: { accuracy: number; weightedF1: number };
}
interface MosiVariant {
  /** Members per seed's model when it differs from the report's `ensemble` (a variant merged in from another run). */
  ensemble?: number;
  /** The seeds of this variant when they are not all of the report's `seeds` (a merged run that finished fewer). */
  seeds?: number[];
  scenarios: Record<string, Summary>;
  missingRate: Record<string, Summary>;
  epochs: number[];
  bestEpochs: number[];
  /** With an ensemble: the first member of each seed alone. */
  singleModel?: { scenarios: Record<string, Summary>; missingRate: Record<string, Summary> };
  /** The fixed scenarios on the dev split. */
  dev?: { scenarios: Record<string, Summary> };
}
export interface MosiReport {
  seeds: number[];
  /** Members per seed's model (absent or 1: one model). */
  ensemble?: number;
  split: { testUtterances: number };
  backend: string;
  minutes: number;
  variants: Record<string, MosiVariant>;
}

const pct = (s: Summary | undefined, key: 'accuracy' | 'weightedF1') =>
  s ? `${(100 * s[key]).toFixed(1)} ± ${(100 * s.std[key]).toFixed(1)}` : 'n/a';
/** Weighted F1 of a minus b in points, signed; a difference that rounds to zero prints as +0.0 (never -0.0). */
const delta = (a: Summary | undefined, b: Summary | undefined) => {
  if (!a || !b) return 'n/a';
  const d = Number((100 * (a.weightedF1 - b.weightedF1)).toFixed(1));
  return `${d >= 0 ? '+' : ''}${(d === 0 ? 0 : d).toFixed(1)}`;
};

/**
 * With one seed there is no spread to report: the tables' ` ± 0.0` suffixes go, and the header names the seed
 * instead of a mean over seeds.
 */
function withoutSpread(markdown: string, seed: number): string {
  return markdown.replace(/ ± \d+\.\d/g, '').replace(/mean ± std over seeds \d+;/, `one seed (${seed});`);
}

/** Why dev weighted F1 sits at 1.0 on MOSI, and what the preset does about it: bench:mosi prints it before training. */
export const MOSI_DEV_NOTE =
  'Note: dev weighted F1 reaches 1.0 within two epochs on MOSI because the bundled bc-LSTM features come from extractors trained on the training videos, ' +
  'so held-out training videos (the dev split) are almost perfectly separable; dev cannot rank epochs, and the preset keeps the average of the weights of the last 8 epochs instead.';

/** Markdown tables of a MOSI report: scenarios, missing rates, full vs no-joint-embedding. */
export function renderMosiMarkdown(report: MosiReport): string {
  const markdown = renderMosiTables(report);
  return report.seeds.length === 1 ? withoutSpread(markdown, report.seeds[0]) : markdown;
}

function renderMosiTables(report: MosiReport): string {
  const variants = Object.keys(report.variants);
  const members = report.ensemble ?? 1;
  // A variant merged in from a run with another ensemble size says so in its column names.
  const label = (v: string) => {
    const own = report.variants[v].ensemble;
    const notes = [
      ...(own !== undefined && own !== members ? [own === 1 ? 'one model' : `ensemble of ${own}`] : []),
      ...(report.variants[v].seeds ? [`seed${report.variants[v].seeds!.length > 1 ? 's' : ''} ${report.variants[v].seeds!.join(', ')}`] : []),
    ];
    return notes.length > 0 ? `${v} (${notes.join('; ')})` : v;
  };
  // The Δ column compares full with no-joint-embedding, or their sentence-vector twins in a run of the -use variants only.
  const full = report.variants.full ?? report.variants['full-use'];
  const noJe = report.variants.full ? report.variants['no-joint-embedding'] : report.variants['no-joint-embedding-use'];
  const dropoutNote = Object.keys(report.variants).some((v) => v.startsWith('naive')) ? ' (the naive variants without it)' : '';
  const scenarios = Object.keys(full?.scenarios ?? report.variants[variants[0]].scenarios);
  const lines: string[] = [];
  lines.push(
    `Test split (${report.split.testUtterances} utterances), mean ± std over seeds ${report.seeds.join(', ')}; accuracy / weighted F1 in %. ` +
      ((report.ensemble ?? 1) > 1
        ? `One model per variant and seed, an **ensemble of ${report.ensemble}** members trained alike from seeds s, s+1000, ... (class probabilities averaged), ` +
          `trained once with all modalities and modality dropout${dropoutNote}, evaluated on every subset. `
        : `One model per variant, trained once with all modalities and modality dropout${dropoutNote}, evaluated on every subset. `) +
      `Backend ${report.backend}; the whole run took ${report.minutes.toFixed(1)} min.`,
  );
  lines.push('');
  lines.push(`| scenario | bc-LSTM acc (one model per subset) | ${variants.map((v) => `${label(v)} acc | ${label(v)} wF1`).join(' | ')} | Δ wF1 full − no-JE |`);
  lines.push(`|---|---|${variants.map(() => '---|---').join('|')}|---|`);
  for (const s of scenarios) {
    const cells = variants.map((v) => `${pct(report.variants[v].scenarios[s], 'accuracy')} | ${pct(report.variants[v].scenarios[s], 'weightedF1')}`);
    lines.push(`| ${s} | ${BC_LSTM_ACCURACY[s]?.toFixed(1) ?? ''} | ${cells.join(' | ')} | ${delta(full?.scenarios[s], noJe?.scenarios[s])} |`);
  }
  lines.push('');
  lines.push('Random missing rate η (each modality of each test utterance dropped with probability η, at least one kept):');
  lines.push('');
  const rates = Object.keys(full?.missingRate ?? report.variants[variants[0]].missingRate);
  lines.push(`| η | ${variants.map((v) => `${label(v)} acc | ${label(v)} wF1`).join(' | ')} | Δ wF1 full − no-JE |`);
  lines.push(`|---|${variants.map(() => '---|---').join('|')}|---|`);
  for (const r of rates) {
    const cells = variants.map((v) => `${pct(report.variants[v].missingRate[r], 'accuracy')} | ${pct(report.variants[v].missingRate[r], 'weightedF1')}`);
    lines.push(`| ${r} | ${cells.join(' | ')} | ${delta(full?.missingRate[r], noJe?.missingRate[r])} |`);
  }
  const withSingles = variants.filter((v) => report.variants[v].singleModel);
  if (withSingles.length > 0) {
    lines.push('');
    lines.push(`The first member of each seed alone (the single model of that seed), accuracy / weighted F1:`);
    lines.push('');
    lines.push(`| scenario | ${withSingles.map((v) => `${v} one member acc | ${v} one member wF1`).join(' | ')} |`);
    lines.push(`|---|${withSingles.map(() => '---|---').join('|')}|`);
    for (const s of scenarios) {
      lines.push(`| ${s} | ${withSingles.map((v) => `${pct(report.variants[v].singleModel!.scenarios[s], 'accuracy')} | ${pct(report.variants[v].singleModel!.scenarios[s], 'weightedF1')}`).join(' | ')} |`);
    }
  }
  lines.push(...renderClaimTables(report));
  lines.push(...renderDevTable(report));
  lines.push('');
  lines.push(`Epochs run per seed (weights averaged over the last epochs, see the note above): ${variants.map((v) => `${v} ${report.variants[v].epochs.join('/')} (best ${report.variants[v].bestEpochs.join('/')})`).join('; ')}.`);
  return lines.join('\n');
}

/** wF1 in % with its std, or n/a. */
const wf1 = (s: Summary | undefined) => (s ? `${(100 * s.weightedF1).toFixed(1)} ± ${(100 * s.std.weightedF1).toFixed(1)}` : 'n/a');

/**
 * The paper's claim, split in two: what modality dropout buys over the naive baseline (trained on complete data, no
 * joint embedding) and what the joint embedding adds on top, per scenario and missing rate, in weighted F1. Full and
 * no-joint-embedding are compared with naive model for model: their single members when naive is one model per seed in
 * an ensemble report. Empty without a naive variant.
 */
function renderClaimTables(report: MosiReport): string[] {
  const naive = report.variants.naive;
  const full = report.variants.full;
  const noJe = report.variants['no-joint-embedding'];
  if (!naive || !full || !noJe) return [];
  const members = report.ensemble ?? 1;
  const naiveMembers = naive.ensemble ?? members;
  const single = naiveMembers === 1 && members > 1;
  const pick = (v: MosiVariant) => (single && v.singleModel ? v.singleModel : v);
  const [n, j, f] = [pick(naive), pick(noJe), pick(full)];
  if (single && (!full.singleModel || !noJe.singleModel)) return [];
  const lines: string[] = [''];
  lines.push(
    `The paper's claim, split in two (weighted F1 in %, ${naiveMembers === 1 ? 'one model per seed' : `ensembles of ${naiveMembers}`}${single ? ": full and no-joint-embedding are their ensembles' first members, the single models of the same seeds" : ''}). ` +
      '**naive**: trained on complete data, no joint embedding, a missing modality met first at test time (zeros + mask); ' +
      '**no-JE**: the same with modality dropout in training; **full**: modality dropout and the joint embedding.',
  );
  const table = (title: string, keys: string[], of: (v: Pick<MosiVariant, 'scenarios' | 'missingRate'>) => Record<string, Summary>) => {
    lines.push('');
    lines.push(`| ${title} | naive wF1 | no-JE wF1 | full wF1 | Δ modality dropout (no-JE − naive) | Δ joint embedding (full − no-JE) | Δ full − naive |`);
    lines.push('|---|---|---|---|---|---|---|');
    for (const k of keys) lines.push(`| ${k} | ${wf1(of(n)[k])} | ${wf1(of(j)[k])} | ${wf1(of(f)[k])} | ${delta(of(j)[k], of(n)[k])} | ${delta(of(f)[k], of(j)[k])} | ${delta(of(f)[k], of(n)[k])} |`);
  };
  table('scenario', Object.keys(f.scenarios), (v) => v.scenarios);
  table('η', Object.keys(f.missingRate), (v) => v.missingRate);
  return lines;
}

/** Weighted F1 on the dev split per fixed scenario and its mean, for the variants that recorded it (choices made on dev). */
function renderDevTable(report: MosiReport): string[] {
  const withDev = Object.keys(report.variants).filter((v) => report.variants[v].dev);
  if (withDev.length === 0) return [];
  const scenarios = Object.keys(report.variants[withDev[0]].dev!.scenarios);
  const lines = ['', 'Dev split (held-out training videos), weighted F1 in % per fixed scenario; the mean over the scenarios is what choices on dev use (TAV saturates there, the scenarios without text do not):', ''];
  lines.push(`| variant | ${scenarios.join(' | ')} | mean |`);
  lines.push(`|---|${scenarios.map(() => '---').join('|')}|---|`);
  for (const v of withDev) {
    const dev = report.variants[v].dev!.scenarios;
    const mean = scenarios.reduce((a, s) => a + dev[s].weightedF1, 0) / scenarios.length;
    const seeds = report.variants[v].seeds;
    lines.push(`| ${v}${seeds ? ` (seed${seeds.length > 1 ? 's' : ''} ${seeds.join(', ')})` : ''} | ${scenarios.map((s) => (100 * dev[s].weightedF1).toFixed(1)).join(' | ')} | ${(100 * mean).toFixed(1)} |`);
  }
  return lines;
}

/**
 * The `--variants` flag of bench:mosi as variant names: the published five by default, full and no-joint-embedding
 * with `--quick`.
 * @throws Error naming the unknown variant and listing the known ones.
 */
export function parseVariants(flag: string | undefined, quick = false): VariantName[] {
  const names = (flag ?? (quick ? 'full,no-joint-embedding' : VARIANTS.join(','))).split(',').map((v) => v.trim());
  for (const v of names) if (!(ALL_VARIANTS as readonly string[]).includes(v)) throw new Error(`--variants: unknown variant '${v}' (known: ${ALL_VARIANTS.join(', ')})`);
  return names as VariantName[];
}

/** The text features bench:mosi compares, each with its full and no-joint-embedding variants. */
export const TEXT_FEATURES = [
  { label: "bc-LSTM's 100-d text vectors", full: 'full', noJe: 'no-joint-embedding' },
  { label: 'USE-lite 512-d sentence vectors', full: 'full-use', noJe: 'no-joint-embedding-use' },
] as const;

/**
 * The joint embedding with each text feature, one model per seed: T and TAV accuracy / weighted F1 of full and
 * no-joint-embedding, then full − no-joint-embedding (weighted F1) on every scenario and missing rate. Each variant is
 * looked up in the reports in order (e.g. the `-use` run, then the bc-LSTM one-model run); a variant found in an
 * ensemble report contributes its first members (`singleModel`). Empty when a text feature lacks either variant.
 */
export function renderTextFeatureComparison(reports: readonly MosiReport[]): string {
  const find = (name: string): Pick<MosiVariant, 'scenarios' | 'missingRate'> | undefined => {
    for (const r of reports) {
      const v = r.variants[name];
      if (!v) continue;
      if ((v.ensemble ?? r.ensemble ?? 1) > 1) return v.singleModel;
      return v;
    }
    return undefined;
  };
  const rows = TEXT_FEATURES.map((t) => ({ ...t, f: find(t.full), j: find(t.noJe) }));
  if (rows.some((r) => !r.f || !r.j)) return '';
  const lines: string[] = [];
  lines.push('Text feature by text feature, one model per seed (accuracy / weighted F1 in %, mean ± std over the seeds):');
  lines.push('');
  lines.push(`| scenario | ${rows.map((r) => `${r.label}: full | no-JE`).join(' | ')} |`);
  lines.push(`|---|${rows.map(() => '---|---').join('|')}|`);
  const cell = (s: Summary | undefined) => (s ? `${pct(s, 'accuracy')} / ${pct(s, 'weightedF1')}` : 'n/a');
  for (const s of ['T', 'TAV']) lines.push(`| ${s} | ${rows.map((r) => `${cell(r.f!.scenarios[s])} | ${cell(r.j!.scenarios[s])}`).join(' | ')} |`);
  lines.push('');
  lines.push('What the joint embedding adds with each text feature, Δ weighted F1 (full − no-joint-embedding, points):');
  lines.push('');
  lines.push(`| scenario or η | ${rows.map((r) => r.label).join(' | ')} |`);
  lines.push(`|---|${rows.map(() => '---').join('|')}|`);
  for (const s of Object.keys(rows[0].f!.scenarios)) lines.push(`| ${s} | ${rows.map((r) => delta(r.f!.scenarios[s], r.j!.scenarios[s])).join(' | ')} |`);
  for (const k of Object.keys(rows[0].f!.missingRate)) lines.push(`| η = ${k} | ${rows.map((r) => delta(r.f!.missingRate[k], r.j!.missingRate[k])).join(' | ')} |`);
  return lines.join('\n');
}

/** Replaces the `<!-- name:start -->` ... `<!-- name:end -->` section of BENCHMARKS.md (appends it if absent). */
export async function updateBenchmarksSection(name: string, body: string, file = 'BENCHMARKS.md'): Promise<void> {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const block = `${start}\n${body}\n${end}`;
  const pattern = new RegExp(`${start}[\\s\\S]*?${end}`);
  const next = pattern.test(current) ? current.replace(pattern, block) : `${current.trimEnd()}\n\n${block}\n`;
  await writeFileAtomic(file, next);
}

/** Published text-only weighted F1 (%) on MELD's 7 emotions, all with GloVe-300d CNN utterance features (MELD paper, ConGCN paper). */
export const MELD_TEXT_ANCHORS: readonly { model: string; weightedF1: number }[] = [
  { model: 'text-CNN', weightedF1: 55.0 },
  { model: 'DialogueRNN', weightedF1: 55.1 },
  { model: 'bc-LSTM', weightedF1: 56.4 },
  { model: 'ConGCN', weightedF1: 57.4 },
];

interface MeldSummary {
  weightedF1: number;
  accuracy: number;
  macroF1: number;
  std: { weightedF1: number; accuracy: number; macroF1: number };
  perClassF1: Record<string, number>;
  /** Per seed; `perClassF1` only in reports written after 2026-12-01. */
  perSeed?: {
    seed: number; weightedF1: number; accuracy: number; devWeightedF1: number; perClassF1?: Record<string, number>;
    /** The networks' decision biases (null entries: none), and the same networks' scores without them. */
    decisionBias?: (readonly number[] | null)[];
    withoutDecisionBias?: { weightedF1: number; devWeightedF1: number; perClassF1: Record<string, number> };
  }[];
  /** When a decision bias was fitted on dev: the same networks scored without it. */
  withoutDecisionBias?: { weightedF1: number; accuracy: number; std: { weightedF1: number } };
  trainMinutes: number[];
  epochs: number[];
  bestEpochs: number[];
  /** Set on variants copied from another report (the GloVe variants of a sentence-vector run). */
  reusedFrom?: string;
  /** With an ensemble: the first member of each seed alone. */
  singleModel?: { weightedF1: number; accuracy: number; std: { weightedF1: number }; perSeed: { seed: number; weightedF1: number }[] };
}
export interface MeldReport {
  dataset: 'meld';
  modalities: string[];
  seeds: number[];
  /** Members per seed's model (absent or 1: one model). */
  ensemble?: number;
  backend: string;
  classes: string[];
  split: Record<string, { dialogues: number; utterances: number }>;
  wordVectors: { source: string; coverage: unknown };
  /** What the text was: USE-lite sentence vectors (`use`) or GloVe tokens (`glove`; reports before 2026-12-06 have no field). */
  text?: 'use' | 'glove';
  sentenceEncoder?: { id: string; dim: number; embedding: { texts: number; cached: number; embedded: number; embedSeconds: number }; firstEmbedding: string };
  gloveReusedFrom?: { file: string; generatedAt: string; note: string };
  preset: {
    model: unknown;
    tokens?: { trainableEmbeddings?: boolean; pooling?: string; temporal?: string; kernelSize?: number | number[] };
    classWeightPower?: number;
    train: unknown;
  };
  /** True when the dev dialogues were trained on (`--train-on-dev`): no early stopping, the last weights kept. */
  trainedOnDev?: boolean;
  /** Wall-clock minutes; with `processes` > 1 the variants ran in that many processes at once (`--merge`). */
  minutes: number;
  processes?: number;
  generatedAt: string;
  variants: Record<string, MeldSummary>;
  /** Per variant, the per-seed results the summaries come from (so `--merge` can join reports of other seeds). */
  raw?: Record<string, unknown>;
}

/** Markdown of a MELD report: our variants beside the published text-only anchors, and per-class F1. */
export function renderMeldMarkdown(report: MeldReport): string {
  const f = (x: number) => (100 * x).toFixed(1);
  const variants = Object.entries(report.variants);
  const lines: string[] = [];
  const tokens = report.preset.tokens ?? {};
  const power = report.preset.classWeightPower ?? 0;
  const weighting = power === 0 ? 'no class weights' : power === 0.5 ? 'square-root inverse-frequency class weights' : power === 1 ? 'inverse-frequency class weights' : `inverse-frequency class weights to the power ${power}`;
  const parallel = (report.processes ?? 1) > 1 ? ` as ${report.processes} processes at once` : '';
  const trainOptions = (report.preset.train ?? {}) as {
    epochs?: number; learningRate?: number; learningRateSchedule?: string; minLearningRateRatio?: number; tokenDropout?: number; fitDecisionBias?: unknown;
  };
  const schedule =
    trainOptions.learningRateSchedule && trainOptions.learningRateSchedule !== 'constant'
      ? ` (${trainOptions.learningRateSchedule} decay to ${trainOptions.minLearningRateRatio ?? 0.05}× over ${trainOptions.epochs} epochs)`
      : '';
  const wordDropout = trainOptions.tokenDropout ? `, word dropout ${trainOptions.tokenDropout}` : '';
  const optimisation = trainOptions.learningRate ? `learning rate ${trainOptions.learningRate}${schedule}${wordDropout}, at most ${trainOptions.epochs} epochs; ` : '';
  const contextLayers = (report.preset.model as { contextLayers?: number } | null)?.contextLayers;
  const context = `speaker-aware dialogue context${contextLayers && contextLayers > 1 ? ` (${contextLayers} layers)` : ''}`;
  const units = (report.preset.model as { units?: number } | null)?.units;
  const sentence = report.text === 'use' && report.sentenceEncoder;
  if (sentence) {
    const e = report.sentenceEncoder!.embedding;
    lines.push(
      `MELD test split (${report.split.test.utterances} utterances, 7 emotions), text only: **USE-lite sentence vectors** (${report.sentenceEncoder!.dim}-d, ` +
        `\`${report.sentenceEncoder!.id}\`, frozen; \`@emoje/sentence-encoder\`) → vector encoder (${units ?? 64} units) → ${context}; focal loss with ${weighting}; ${optimisation}early ` +
        `stopping on MELD's dev split${trainOptions.fitDecisionBias ? ', then per-class logit offsets fitted on the dev split (the decision bias)' : ''}; preset \`SENTENCE_PRESET\` (how it was chosen: its TSDoc; ` +
        `the dev-only runs: \`benchmarks/results/meld-sentence-dev-search.json\`). Mean ± std over seeds ${report.seeds.join(', ')}, one model per seed; backend ${report.backend}; ` +
        `the sentence-encoder rows took ${report.minutes.toFixed(1)} min${parallel} on this 2-core machine. Embedding MELD's ${e.texts} utterances: ` +
        `${e.cached} distinct texts read from the embedding cache and ${e.embedded} embedded in this run (the first, cold embedding is in \`${report.sentenceEncoder!.firstEmbedding}\`).` +
        (report.gloveReusedFrom ? ` The GloVe rows are the committed one-model-per-seed GloVe run (\`${report.gloveReusedFrom.file}\`, TEXT_PRESET), re-used, not re-trained: the GloVe code path is unchanged.` : ''),
    );
  } else lines.push(
    `MELD test split (${report.split.test.utterances} utterances, 7 emotions), text only: GloVe 6B **100**-d vectors ` +
      `(${tokens.trainableEmbeddings ? 'fine-tuned' : 'frozen'}) → token ${tokens.temporal ?? 'convolution'}${tokens.kernelSize ? (Array.isArray(tokens.kernelSize) ? ` (widths ${tokens.kernelSize.join(', ')})` : ` (width ${tokens.kernelSize})`) : ''}, ` +
      `${tokens.pooling ?? 'mean'} pooling → ${context}; focal loss with ${weighting}; ${optimisation}early ` +
      `stopping on MELD's dev split${trainOptions.fitDecisionBias ? ', then per-class logit offsets fitted on the dev split to maximise its weighted F1 (the decision bias)' : ''}. Mean ± std over seeds ${report.seeds.join(', ')}; backend ${report.backend}; the whole run took ` +
      `${report.minutes.toFixed(1)} min${parallel} on this 2-core machine.`,
  );
  const members = report.ensemble ?? 1;
  if (members > 1) {
    lines.push('');
    lines.push(
      `Each seed's model is an **ensemble of ${members}** members trained alike from seeds s, s+1000, ... (class probabilities averaged); ` +
        `"one member" rows are each seed's first member alone, the single model of that seed.`,
    );
  }
  lines.push('');
  lines.push('| model | weighted F1 | accuracy | macro F1 | train min / seed |');
  lines.push('|---|---|---|---|---|');
  for (const [name, s] of variants) {
    const minutes = s.trainMinutes.reduce((a, b) => a + b, 0) / s.trainMinutes.length;
    const named = sentence ? (name.startsWith('glove-') ? `GloVe ${name.slice(6)}` : `sentence encoder ${name}`) : name;
    const label = members > 1 ? `emoje ${named}, ensemble of ${members}` : `emoje ${named}`;
    lines.push(`| ${label} | **${f(s.weightedF1)} ± ${f(s.std.weightedF1)}** | ${f(s.accuracy)} ± ${f(s.std.accuracy)} | ${f(s.macroF1)} ± ${f(s.std.macroF1)} | ${minutes.toFixed(1)} |`);
    if (s.withoutDecisionBias) {
      const w = s.withoutDecisionBias;
      const perSeed = s.perSeed?.every((p) => p.withoutDecisionBias) ? ` (${s.perSeed.map((p) => f(p.withoutDecisionBias!.weightedF1)).join(' / ')})` : '';
      lines.push(`| ${label}, without the decision bias | ${f(w.weightedF1)} ± ${f(w.std.weightedF1)}${perSeed} | ${f(w.accuracy)} | | |`);
    }
    if (s.singleModel) lines.push(`| emoje ${name}, one member | ${f(s.singleModel.weightedF1)} ± ${f(s.singleModel.std.weightedF1)} (${s.singleModel.perSeed.map((p) => f(p.weightedF1)).join(' / ')}) | ${f(s.singleModel.accuracy)} | | |`);
  }
  for (const a of MELD_TEXT_ANCHORS) lines.push(`| ${a.model} (published, GloVe-300d CNN features) | ${a.weightedF1.toFixed(1)} | | | |`);
  lines.push('');
  lines.push(`| per-class F1 | ${report.classes.join(' | ')} |`);
  lines.push(`|---|${report.classes.map(() => '---').join('|')}|`);
  for (const [name, s] of variants) lines.push(`| ${name} | ${report.classes.map((c) => f(s.perClassF1[c])).join(' | ')} |`);
  lines.push('');
  lines.push(`Epochs run per seed: ${variants.map(([name, s]) => `${name} ${s.epochs.join('/')} (best dev ${s.bestEpochs.join('/')})`).join('; ')}.`);
  const seeded = variants.filter(([, s]) => s.perSeed?.every((p) => p.perClassF1));
  if (seeded.length > 0) {
    const rare = report.classes.filter((c) => c === 'fear' || c === 'disgust');
    lines.push(
      `Per seed (${report.seeds.join(' / ')}): ` +
        seeded
          .map(([name, s]) => {
            const per = s.perSeed!;
            const classes = rare.map((c) => `${c} F1 ${per.map((p) => f(p.perClassF1![c])).join(' / ')}`).join(', ');
            return `${name}: test weighted F1 ${per.map((p) => f(p.weightedF1)).join(' / ')}, dev weighted F1 ${per.map((p) => f(p.devWeightedF1)).join(' / ')}${classes ? `, ${classes}` : ''}`;
          })
          .join('; ') +
        '.',
    );
  }
  return lines.join('\n');
}

interface SeedMetrics { accuracy: number; weightedF1: number; macroF1?: number }
interface SeedSummary { perSeed?: SeedMetrics[] }

/** A summary recomputed from per-seed metrics (mean and std as `meanStd` of `@emoje/model`). */
function summariseSeeds(perSeed: SeedMetrics[]) {
  const stat = (key: keyof SeedMetrics) => meanStd(perSeed.map((p) => p[key] as number));
  const [acc, wf1] = [stat('accuracy'), stat('weightedF1')];
  const mf1 = perSeed.every((p) => p.macroF1 !== undefined) ? stat('macroF1') : null;
  return {
    accuracy: acc.mean, weightedF1: wf1.mean, ...(mf1 ? { macroF1: mf1.mean } : {}),
    std: { accuracy: acc.std, weightedF1: wf1.std, ...(mf1 ? { macroF1: mf1.std } : {}) },
    perSeed,
  };
}

/** Joins `Record<key, summary>` tables of the same variant from several runs, seed lists concatenated in run order. */
function joinTables(tables: (Record<string, SeedSummary> | undefined)[], where: string): Record<string, ReturnType<typeof summariseSeeds>> | undefined {
  const present = tables.filter((t): t is Record<string, SeedSummary> => t !== undefined);
  if (present.length === 0) return undefined;
  const keys = Object.keys(present[0]);
  return Object.fromEntries(
    keys.map((k) => {
      const perSeed = present.flatMap((t, i) => {
        const s = t[k]?.perSeed;
        if (!s) throw new Error(`--merge: ${where}.${k} of part ${i + 1} has no per-seed metrics, so its seeds cannot be joined with another run's`);
        return s;
      });
      return [k, summariseSeeds(perSeed)];
    }),
  );
}

/**
 * Merges bench:mosi reports (`--merge a.json,b.json`): a variant found in one report is kept as it is; a variant
 * found in several (the same variant, other seeds, run in parallel processes) gets its per-seed results
 * concatenated in the order of the reports and its means and standard deviations recomputed. A variant taken from a
 * report with another ensemble size than the first report's keeps its own size (`ensemble` on the variant, which the
 * tables name); the runs of one variant must share it. `seeds` is the union, `minutes` the longest run's.
 * @throws Error naming the variant whose runs differ in ensemble size, or whose per-seed metrics are missing.
 */
// The reports are JSON read back from disk: their shape is checked where it matters (per-seed metrics, ensemble size).
export function mergeMosiReports(parts: any[]): any {
  const members = parts[0].ensemble ?? 1;
  const variants: Record<string, any> = {};
  const names = [...new Set(parts.flatMap((p) => Object.keys(p.variants)))];
  for (const name of names) {
    const holders = parts.filter((p) => name in p.variants);
    const runs = holders.map((p) => p.variants[name]);
    const sizes = new Set(holders.map((p) => p.variants[name].ensemble ?? p.ensemble ?? 1));
    if (sizes.size > 1) throw new Error(`--merge: variant '${name}' was run with ensembles of ${[...sizes].join(' and ')}; only runs of one size can be joined`);
    const own = [...sizes][0];
    if (runs.length === 1) {
      // A variant from a run with another ensemble size keeps its size (the tables say so).
      variants[name] = own !== members ? { ...runs[0], ensemble: own } : runs[0];
      continue;
    }
    const concat = (key: string) => runs.flatMap((r) => r[key] ?? []);
    variants[name] = {
      ...runs[0],
      ...(own !== members ? { ensemble: own } : {}),
      scenarios: joinTables(runs.map((r) => r.scenarios), `${name}.scenarios`),
      missingRate: joinTables(runs.map((r) => r.missingRate), `${name}.missingRate`),
      epochs: concat('epochs'),
      bestEpochs: concat('bestEpochs'),
      trainSeconds: concat('trainSeconds'),
      ...(runs.every((r) => r.dev) ? { dev: { scenarios: joinTables(runs.map((r) => r.dev.scenarios), `${name}.dev.scenarios`) } } : {}),
      ...(runs.every((r) => r.singleModel)
        ? { singleModel: { scenarios: joinTables(runs.map((r) => r.singleModel.scenarios), `${name}.singleModel.scenarios`), missingRate: joinTables(runs.map((r) => r.singleModel.missingRate), `${name}.singleModel.missingRate`) } }
        : {}),
    };
  }
  const seeds = [...new Set(parts.flatMap((p) => p.seeds as number[]))];
  for (const name of names) {
    const own = [...new Set(parts.filter((p) => name in p.variants).flatMap((p) => (p.variants[name].seeds ?? p.seeds) as number[]))];
    if (own.length !== seeds.length) variants[name] = { ...variants[name], seeds: own };
  }
  // Settings only some runs record (the token input of the word variants) are kept from the first run that has them.
  const recorded = Object.assign({}, ...parts.map((p) => ({ ...(p.tokens ? { tokens: p.tokens } : {}), ...(p.wordVectors ? { wordVectors: p.wordVectors } : {}) })).reverse());
  return { ...parts[0], ...recorded, seeds, minutes: Math.max(...parts.map((p) => p.minutes)), variants };
}
