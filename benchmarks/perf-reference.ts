/**
 * Imports a run of the PyTorch comparison (`../shared/perf-reference/run.sh`, outside this repository: a PyTorch copy of
 * the MOSI preset model checked against emoje's weights, losses and gradients) into the project's results:
 * benchmarks/results/perf-reference.json, perf.json's `reference.pytorch`, and the `perf-reference` section of
 * BENCHMARKS.md. Every round is kept, with its load average; the ratios are emoje wasm over PyTorch 1-thread OpenBLAS,
 * taken within each round on main-thread CPU time, then the median over rounds.
 *
 *   EMOJE_SOURCE=. EMOJE_CLONE=. bash ../shared/perf-reference/run.sh --rounds 5 --variants emoje-wasm torch-1t-openblas
 *   npx tsx --conditions=@emoje/source benchmarks/perf-reference.ts $PERF_WORK/results/compare-<date>.json
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '@emoje/runtime-node';
import { updateBenchmarksSection } from './report';

interface Run {
  variant: string;
  round: number;
  trainUtterancesPerSec: number;
  trainUtterancesPerMainThreadCpuSec: number;
  inferP50Ms: number;
  inferMainThreadCpuMeanMs: number;
  loadBefore: { '1m': number };
  loadAfter: { '1m': number };
}
interface Compare {
  generatedAt: string;
  machine: Record<string, string | number>;
  settings: Record<string, unknown>;
  fidelityCheck: string;
  runs: Run[];
}

const file = process.argv[2];
if (!file || !existsSync(file)) {
  console.error('usage: npx tsx --conditions=@emoje/source benchmarks/perf-reference.ts <compare-*.json written by ../shared/perf-reference/run.sh>');
  process.exit(2);
}
const compare = JSON.parse(readFileSync(file, 'utf8')) as Compare;
const EMOJE = 'emoje-wasm';
const TORCH = 'torch-1t-openblas';
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const k = Math.floor(s.length / 2);
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
};
const rounds = [...new Set(compare.runs.map((r) => r.round))].sort((a, b) => a - b);
const perRound = rounds.map((round) => {
  const e = compare.runs.find((r) => r.round === round && r.variant === EMOJE);
  const t = compare.runs.find((r) => r.round === round && r.variant === TORCH);
  if (!e || !t) throw new Error(`round ${round} lacks ${e ? TORCH : EMOJE}`);
  return {
    round,
    emoje: { trainUttPerSec: e.trainUtterancesPerSec, trainUttPerMainThreadCpuSec: e.trainUtterancesPerMainThreadCpuSec, inferP50Ms: e.inferP50Ms, inferMainThreadCpuMs: e.inferMainThreadCpuMeanMs, load1m: [e.loadBefore['1m'], e.loadAfter['1m']] },
    pytorch: { trainUttPerSec: t.trainUtterancesPerSec, trainUttPerMainThreadCpuSec: t.trainUtterancesPerMainThreadCpuSec, inferP50Ms: t.inferP50Ms, inferMainThreadCpuMs: t.inferMainThreadCpuMeanMs, load1m: [t.loadBefore['1m'], t.loadAfter['1m']] },
    // > 1: emoje is faster. Training: emoje's rate over PyTorch's; inference: PyTorch's time over emoje's.
    ratio: {
      trainMainThreadCpu: e.trainUtterancesPerMainThreadCpuSec / t.trainUtterancesPerMainThreadCpuSec,
      trainWall: e.trainUtterancesPerSec / t.trainUtterancesPerSec,
      inferP50Wall: t.inferP50Ms / e.inferP50Ms,
      inferMainThreadCpu: t.inferMainThreadCpuMeanMs / e.inferMainThreadCpuMeanMs,
    },
  };
});
const medianRatio = {
  trainMainThreadCpu: median(perRound.map((r) => r.ratio.trainMainThreadCpu)),
  trainWall: median(perRound.map((r) => r.ratio.trainWall)),
  inferP50Wall: median(perRound.map((r) => r.ratio.inferP50Wall)),
  inferMainThreadCpu: median(perRound.map((r) => r.ratio.inferMainThreadCpu)),
};
const loads = compare.runs.flatMap((r) => [r.loadBefore['1m'], r.loadAfter['1m']]);
const reference = {
  source: 'the PyTorch comparison of ../shared/perf-reference (run.sh), imported by benchmarks/perf-reference.ts',
  command: 'EMOJE_SOURCE=. EMOJE_CLONE=. bash ../shared/perf-reference/run.sh --rounds 5 --variants emoje-wasm torch-1t-openblas',
  generatedAt: compare.generatedAt,
  host: compare.machine,
  settings: compare.settings,
  loadAverage1m: { min: Math.min(...loads), max: Math.max(...loads) },
  fidelityCheck: compare.fidelityCheck,
  rounds: perRound,
  medianRatio,
  floor: { trainMainThreadCpu: medianRatio.trainMainThreadCpu >= 1, inferP50: medianRatio.inferP50Wall >= 1 && medianRatio.inferMainThreadCpu >= 1 },
};
await writeFileAtomic('benchmarks/results/perf-reference.json', JSON.stringify(reference, null, 2) + '\n');
const perfFile = 'benchmarks/results/perf.json';
if (existsSync(perfFile)) {
  const perf = JSON.parse(readFileSync(perfFile, 'utf8')) as Record<string, unknown>;
  await writeFileAtomic(perfFile, JSON.stringify({ ...perf, reference: { pytorch: reference } }, null, 2) + '\n');
}

const f = (x: number, d = 2) => x.toFixed(d);
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
const markdown = [
  `emoje on wasm (SIMD, 1 thread, fused kernels) against a PyTorch ${compare.machine.torch} copy of the MOSI preset model on 1 thread with OpenBLAS, ` +
    `same weights, losses and batches (the run's fidelity check passed: ${compare.fidelityCheck.split('\n').length} checks). ` +
    `Host: ${compare.machine.cpus} × ${compare.machine.cpuModel}, Node ${compare.machine.node}, emoje ${compare.machine.emojeCommit}; ${perRound.length} alternating rounds, ` +
    `1-minute load average ${f(reference.loadAverage1m.min)}–${f(reference.loadAverage1m.max)}.`,
  '',
  '| round | emoje train utt/main-thread CPU-s | PyTorch | ratio | emoje infer p50 ms | PyTorch | ratio (wall) | ratio (main-thread CPU) |',
  '|---|---|---|---|---|---|---|---|',
  ...perRound.map((r) => `| ${r.round} | ${f(r.emoje.trainUttPerMainThreadCpuSec, 0)} | ${f(r.pytorch.trainUttPerMainThreadCpuSec, 0)} | ${f(r.ratio.trainMainThreadCpu)} | ${f(r.emoje.inferP50Ms)} | ${f(r.pytorch.inferP50Ms)} | ${f(r.ratio.inferP50Wall)} | ${f(r.ratio.inferMainThreadCpu)} |`),
  '',
  `Median per-round ratio, emoje over PyTorch (> 1: emoje faster): training ${f(medianRatio.trainMainThreadCpu)} (main-thread CPU; wall ${f(medianRatio.trainWall)}), ` +
    `inference p50 ${f(medianRatio.inferP50Wall)} (wall; main-thread CPU ${f(medianRatio.inferMainThreadCpu)}). ` +
    `Floor ≥ 1.0: training ${verdict(reference.floor.trainMainThreadCpu)}, inference ${verdict(reference.floor.inferP50)}.`,
  '',
  `Command (needs the perf-reference kit beside the repository, which a fresh clone does not have): \`${reference.command}\`, then ` +
    '`npx tsx --conditions=@emoje/source benchmarks/perf-reference.ts <its compare-*.json>` to record it here and in `benchmarks/results/perf-reference.json`.',
].join('\n');
await updateBenchmarksSection('perf-reference', markdown);
console.log(markdown);
