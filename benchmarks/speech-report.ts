/** The summary and the BENCHMARKS.md section of bench:speech (benchmarks/speech.ts). */
import type { ClassificationMetrics } from '@emoje/model';

/** One trained model: one path, one fold, one seed, scored on the fold's test speaker. */
export interface SpeechFoldRun {
  path: 'vector' | 'frames' | 'frames-model';
  /** Fold index (0-9: the test speaker's place in id order). */
  fold: number;
  test: string;
  dev: string;
  seed: number;
  metrics: ClassificationMetrics & { uar: number };
  /** UAR on the dev speaker of the weights kept. */
  devUar: number;
  epochs: number;
  bestEpoch: number;
  seconds: number;
}

/** One path's summary: means over every (fold, seed) run; per-class F1 and confusion of all runs' predictions pooled. */
export interface SpeechPathSummary {
  uar: number;
  /** Population std over seeds of each seed's mean UAR over folds. */
  uarStdOverSeeds: number;
  /** Each seed's mean UAR over folds. */
  uarPerSeed: Record<string, number>;
  accuracy: number;
  weightedF1: number;
  macroF1: number;
  devUar: number;
  perClassF1: Record<string, number>;
  /** Summed over folds and seeds: `confusion[true][predicted]`. */
  confusion: number[][];
  /** Mean over seeds of each test speaker's UAR. */
  uarPerTestSpeaker: Record<string, number>;
  meanSecondsPerRun: number;
}

export interface SpeechReport {
  dataset: 'emodb';
  protocol: string;
  /** The path whose figures are the headline: the one with the higher mean dev UAR (never chosen on test). */
  headlinePath: string;
  uar: number;
  accuracy: number;
  weightedF1: number;
  perClassF1: Record<string, number>;
  confusion: number[][];
  classes: string[];
  paths: Record<string, SpeechPathSummary>;
  settings: Record<string, unknown>;
  folds: SpeechFoldRun[];
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** Per-class F1 from a confusion matrix. */
function f1FromConfusion(confusion: number[][], classes: readonly string[]): Record<string, number> {
  return Object.fromEntries(
    classes.map((name, c) => {
      const tp = confusion[c][c];
      const support = confusion[c].reduce((a, b) => a + b, 0);
      const predicted = confusion.reduce((a, row) => a + row[c], 0);
      const p = predicted ? tp / predicted : 0;
      const r = support ? tp / support : 0;
      return [name, p + r ? (2 * p * r) / (p + r) : 0];
    }),
  );
}

function summarizePath(runs: readonly SpeechFoldRun[], classes: readonly string[]): SpeechPathSummary {
  const k = classes.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const r of runs) r.metrics.confusion.forEach((row, i) => row.forEach((v, j) => (confusion[i][j] += v)));
  const seeds = [...new Set(runs.map((r) => r.seed))];
  const perSeed = seeds.map((s) => mean(runs.filter((r) => r.seed === s).map((r) => r.metrics.uar)));
  const seedMean = mean(perSeed);
  const speakers = [...new Set(runs.map((r) => r.test))];
  return {
    uar: mean(runs.map((r) => r.metrics.uar)),
    uarStdOverSeeds: Math.sqrt(mean(perSeed.map((u) => (u - seedMean) ** 2))),
    uarPerSeed: Object.fromEntries(seeds.map((s, i) => [String(s), perSeed[i]])),
    accuracy: mean(runs.map((r) => r.metrics.accuracy)),
    weightedF1: mean(runs.map((r) => r.metrics.weightedF1)),
    macroF1: mean(runs.map((r) => r.metrics.macroF1)),
    devUar: mean(runs.map((r) => r.devUar)),
    perClassF1: f1FromConfusion(confusion, classes),
    confusion,
    uarPerTestSpeaker: Object.fromEntries(speakers.map((s) => [s, mean(runs.filter((r) => r.test === s).map((r) => r.metrics.uar))])),
    meanSecondsPerRun: mean(runs.map((r) => r.seconds)),
  };
}

/** The report of a set of runs; the headline path is the one with the higher mean dev UAR. */
export function summarizeRuns(runs: readonly SpeechFoldRun[], info: { classes: readonly string[]; protocol: string; settings: Record<string, unknown> }): SpeechReport {
  const names = [...new Set(runs.map((r) => r.path))];
  const paths = Object.fromEntries(names.map((p) => [p, summarizePath(runs.filter((r) => r.path === p), info.classes)]));
  const headlinePath = names.reduce((best, p) => (paths[p].devUar > paths[best].devUar ? p : best), names[0]);
  const h = paths[headlinePath];
  return {
    dataset: 'emodb',
    protocol: info.protocol,
    headlinePath,
    uar: h.uar,
    accuracy: h.accuracy,
    weightedF1: h.weightedF1,
    perClassF1: h.perClassF1,
    confusion: h.confusion,
    classes: [...info.classes],
    paths,
    settings: info.settings,
    folds: [...runs],
  };
}

const pct = (x: number) => (100 * x).toFixed(1);

/** A reference run shown under the main table (e.g. the former default, or the path without speaker normalisation). */
export interface SpeechReference {
  label: string;
  file: string;
  report: SpeechReport;
}

/** The `speech` section of BENCHMARKS.md; `references` add rows for other result files (never the headline). */
export function renderSpeechMarkdown(report: SpeechReport, references: readonly SpeechReference[] = []): string {
  const names = Object.keys(report.paths);
  const lines: string[] = [];
  lines.push(`Protocol: ${report.protocol}. UAR = unweighted average recall over the 7 emotions (chance 14.3). Every figure is a mean over all (fold, seed) runs; per-class F1 and the confusion matrix pool the predictions of all runs. Speaker normalisation: ${report.settings.speakerNormalisation ? "on (each feature z-scored over each speaker's own clips, labels unused; for the test speaker that is its unlabeled audio, the usual practice in speech-emotion work)" : 'off'}. Results file: \`benchmarks/results/speech.json\`.`);
  lines.push('');
  lines.push('| audio path | UAR | ± over seeds | accuracy | weighted F1 | macro F1 | dev UAR | s per model |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const p of names) {
    const s = report.paths[p];
    const frameInput = `frame sequence (MFCC+Δ+ΔΔ, pitch, energy, periodicity; pooled x${String(report.settings.framePooling)})`;
    const label =
      p === 'vector'
        ? `utterance vector (${String(report.settings.vectorFeatures)}) -> AM²-EmoJE, audio preset`
        : p === 'frames-model'
          ? `${frameInput} as a \`frames\` modality of AM²-EmoJE (frame-sequence encoder, the ACN attends over the frames), audio preset`
          : `${frameInput} -> frame-sequence encoder + linear classifier`;
    lines.push(`| ${label}${p === report.headlinePath ? ' **(headline, higher dev UAR)**' : ''} | **${pct(s.uar)}** | ${(100 * s.uarStdOverSeeds).toFixed(2)} | ${pct(s.accuracy)} | ${pct(s.weightedF1)} | ${pct(s.macroF1)} | ${pct(s.devUar)} | ${s.meanSecondsPerRun.toFixed(0)} |`);
  }
  for (const ref of references) {
    for (const [p, s] of Object.entries(ref.report.paths)) {
      const runs = ref.report.folds.filter((f) => f.path === p);
      lines.push(`| ${ref.label} (${p}; ${new Set(runs.map((f) => f.fold)).size} folds x ${new Set(runs.map((f) => f.seed)).size} seed(s); \`${ref.file}\`) | ${pct(s.uar)} | ${new Set(runs.map((f) => f.seed)).size > 1 ? (100 * s.uarStdOverSeeds).toFixed(2) : '-'} | ${pct(s.accuracy)} | ${pct(s.weightedF1)} | ${pct(s.macroF1)} | ${pct(s.devUar)} | ${s.meanSecondsPerRun.toFixed(0)} |`);
    }
  }
  for (const ref of references) {
    const keys = new Set(ref.report.folds.map((f) => `${f.fold}/${f.seed}`));
    if (keys.size === new Set(report.folds.filter((f) => f.path === report.headlinePath).map((f) => `${f.fold}/${f.seed}`)).size) continue;
    const same = report.folds.filter((f) => f.path === report.headlinePath && keys.has(`${f.fold}/${f.seed}`));
    if (same.length) lines.push('', `On the same ${same.length} (fold, seed) runs as \`${ref.file}\` (folds ${[...new Set(same.map((f) => f.fold))].join(', ')}), the headline path's UAR is ${pct(same.reduce((a, f) => a + f.metrics.uar, 0) / same.length)} against its ${pct(ref.report.uar)}.`);
  }
  lines.push('');
  lines.push('Per-class F1 (%), predictions of all runs pooled:');
  lines.push('');
  lines.push(`| path | ${report.classes.join(' | ')} |`);
  lines.push(`|---|${report.classes.map(() => '---').join('|')}|`);
  for (const p of names) lines.push(`| ${p} | ${report.classes.map((c) => pct(report.paths[p].perClassF1[c])).join(' | ')} |`);
  lines.push('');
  lines.push(`Confusion matrix of the headline path (${report.headlinePath}; rows true, columns predicted, summed over folds and seeds):`);
  lines.push('');
  lines.push(`| true \\ predicted | ${report.classes.join(' | ')} |`);
  lines.push(`|---|${report.classes.map(() => '---').join('|')}|`);
  report.confusion.forEach((row, i) => lines.push(`| ${report.classes[i]} | ${row.join(' | ')} |`));
  lines.push('');
  lines.push(`UAR per test speaker (%), ${names.join(' / ')}: ${Object.keys(report.paths[names[0]].uarPerTestSpeaker).sort().map((s) => `${s}: ${names.map((p) => pct(report.paths[p].uarPerTestSpeaker[s] ?? 0)).join(' / ')}`).join('; ')}.`);
  lines.push('');
  lines.push('Caveat: this public EmoDB copy is cut or zero-padded to 2.0 s (the originals are 1.2-9 s), so these figures are not directly comparable with published EmoDB results (speaker-independent 7-class UAR roughly 60-70 with MFCC-style features, 80-85 with large openSMILE sets, on the full recordings).');
  return lines.join('\n');
}
