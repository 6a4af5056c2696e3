/**
 * Does tfjs-backend-wasm's threaded build pay for emoje (issue 23: "try the threaded wasm backend for training and
 * batched inference where it pays, and report where it does not")? The MOSI preset model in Node on three builds of
 * the wasm backend, each in its own process:
 *
 * - `simd-1thread`: the plain SIMD build, one thread (what `initBackend({ backend: 'wasm' })` runs today);
 * - `threaded-1thread`: the threaded SIMD build with one thread (its shared memory and atomics, no parallelism);
 * - `threaded-2threads`: the threaded SIMD build with 2 threads (XNNPACK's thread pool: matMul and friends split).
 *
 * In each, with emoje's fused wasm kernels on and off (`setFusedKernelsEnabled`, same process, alternating order):
 * training utterances/s (createModel(MOSI_PRESET.model), train() with MOSI_PRESET.train on the CMU-MOSI training
 * split, 4 epochs, median of the last 3), batched inference (predictBatch of 32 dialogues of 10 utterances,
 * dialogues/s, median of 5) and single-dialogue predict p50/p95 (10 utterances, 40 timed after 5 warm-up). The
 * configurations run back to back in rounds (default 3); medians over rounds and every round go to
 * benchmarks/results/wasm-threads.json with the machine and the load average. The threaded build is started in Node
 * by benchmarks/wasm-threaded-node.ts (tfjs does not do it by itself).
 *
 * Also checked: the class probabilities of one untrained seed-1 model on one dialogue agree across the three builds
 * and between fused and unfused kernels.
 *
 *   npm run bench:wasm-threads
 *   npm run bench:wasm-threads -- --rounds 5 --configs simd-1thread,threaded-2threads
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '@emoje/runtime-node';
import { machineInfo } from './threads';

const CONFIGS = {
  'simd-1thread': { threaded: false, threads: 1 },
  'threaded-1thread': { threaded: true, threads: 1 },
  'threaded-2threads': { threaded: true, threads: 2 },
} as const;
type ConfigName = keyof typeof CONFIGS;

interface Figures {
  trainUtterancesPerSec: number;
  /** The fastest of the 3 timed epochs: under a shared machine's load, closer to what a quiet machine gives. */
  trainBestUtterancesPerSec: number;
  trainEpochSeconds: number[];
  batchDialoguesPerSec: number;
  batchBestDialoguesPerSec: number;
  predictP50Ms: number;
  predictP95Ms: number;
  predictMinMs: number;
}
type Figure = Exclude<keyof Figures, 'trainEpochSeconds'>;
const FIGURES: Figure[] = ['trainUtterancesPerSec', 'trainBestUtterancesPerSec', 'batchDialoguesPerSec', 'batchBestDialoguesPerSec', 'predictP50Ms', 'predictP95Ms', 'predictMinMs'];
interface ChildResult {
  config: ConfigName;
  backend: string;
  threads: number;
  fusedKernels: number;
  kernelVariant: string | null;
  fused: Figures;
  unfused: Figures;
  probabilities: number[];
  maxProbDiffFusedVsUnfused: number;
  loadAverage1m: number;
}

const { values } = parseArgs({
  options: {
    child: { type: 'string' },
    order: { type: 'string', default: 'on,off' },
    rounds: { type: 'string', default: '3' },
    configs: { type: 'string', default: 'simd-1thread,threaded-1thread,threaded-2threads' },
    out: { type: 'string', default: 'benchmarks/results/wasm-threads.json' },
  },
});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
const round = (x: number, d = 2) => Number(x.toFixed(d));

if (values.child) {
  await runChild(values.child as ConfigName, values.order.split(',') as ('on' | 'off')[]);
} else {
  await runAll();
}

/** One configuration in this process; prints `RESULT <json>`. */
async function runChild(name: ConfigName, order: ('on' | 'off')[]): Promise<void> {
  const config = CONFIGS[name];
  if (!config) throw new Error(`--child: expected one of ${Object.keys(CONFIGS).join(', ')}, got '${name}'`);
  let restore = () => {};
  if (config.threaded) restore = (await import('./wasm-threaded-node')).prepareThreadedWasm(config.threads);
  const tf = await import('@tensorflow/tfjs-core');
  const { initBackend, MOSI_PRESET } = await import('@emoje/runtime-node');
  const { setFusedKernelsEnabled } = await import('@emoje/core');
  const { registerWasmKernels } = await import('@emoje/wasm-kernels');
  const { loadMosi } = await import('@emoje/datasets/node');
  const { createModel, train } = await import('@emoje/model');
  const selection = await initBackend({ backend: 'wasm' });
  restore();
  const registration = await registerWasmKernels();
  const threads = selection.threads ?? 1;
  if (threads !== config.threads) throw new Error(`${name}: asked for ${config.threads} thread(s), the backend runs ${threads}`);
  if (!registration.registered) throw new Error(`${name}: the fused kernels were not registered: ${registration.reason}`);

  const data = await loadMosi();
  const make = () => createModel({ ...MOSI_PRESET.model, modalities: data.modalities, classes: data.classes, seed: 1 });
  const tenUtterances = data.test.filter((d) => d.utterances.length >= 10).map((d) => ({ utterances: d.utterances.slice(0, 10) }));
  const dialogue = tenUtterances[0];
  const batch = Array.from({ length: 32 }, (_, i) => tenUtterances[i % tenUtterances.length]);
  const trainUtterances = data.train.reduce((n, d) => n + d.utterances.length, 0);

  const probabilitiesOf = async (fused: boolean) => {
    setFusedKernelsEnabled(fused);
    const model = make();
    const out = await model.predict(dialogue);
    model.dispose();
    return out.flatMap((u) => Object.keys(u.probabilities).sort().map((c) => u.probabilities[c]));
  };
  const withFused = await probabilitiesOf(true);
  const withoutFused = await probabilitiesOf(false);

  const measure = async (fused: boolean): Promise<Figures> => {
    setFusedKernelsEnabled(fused);
    const model = make();
    const seconds: number[] = [];
    await train(model, { train: data.train }, { ...MOSI_PRESET.train, epochs: 4, averageLastEpochs: 0, onEpochEnd: (e) => void seconds.push(e.seconds) });
    await model.predictBatch(batch);
    const batchMs: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      await model.predictBatch(batch);
      batchMs.push(performance.now() - t0);
    }
    for (let i = 0; i < 5; i++) await model.predict(dialogue);
    const predictMs: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t0 = performance.now();
      await model.predict(dialogue);
      predictMs.push(performance.now() - t0);
    }
    model.dispose();
    return {
      trainUtterancesPerSec: round(trainUtterances / median(seconds.slice(1))),
      trainBestUtterancesPerSec: round(trainUtterances / Math.min(...seconds.slice(1))),
      trainEpochSeconds: seconds.map((s) => round(s, 3)),
      batchDialoguesPerSec: round(batch.length / (median(batchMs) / 1000), 1),
      batchBestDialoguesPerSec: round(batch.length / (Math.min(...batchMs) / 1000), 1),
      predictP50Ms: round(quantile(predictMs, 0.5)),
      predictP95Ms: round(quantile(predictMs, 0.95)),
      predictMinMs: round(Math.min(...predictMs)),
    };
  };
  const figures: Partial<Record<'on' | 'off', Figures>> = {};
  for (const o of order) figures[o] = await measure(o === 'on');
  const result: ChildResult = {
    config: name,
    backend: tf.getBackend(),
    threads,
    fusedKernels: registration.kernels.length,
    kernelVariant: registration.variant ?? null,
    fused: figures.on!,
    unfused: figures.off!,
    probabilities: withFused,
    maxProbDiffFusedVsUnfused: Math.max(...withFused.map((p, i) => Math.abs(p - withoutFused[i]))),
    loadAverage1m: loadavg()[0],
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exit(0);
}

/** Every configuration in its own process, in rounds; writes the report. */
async function runAll(): Promise<void> {
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds: expected a positive integer, got '${values.rounds}'`);
  const started = performance.now();
  const loadBefore = loadavg();
  const configs = values.configs.split(',') as ConfigName[];
  for (const name of configs) if (!(name in CONFIGS)) throw new Error(`--configs: expected names from ${Object.keys(CONFIGS).join(', ')}, got '${name}'`);
  const runs: ChildResult[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const name of configs) {
      const order = r % 2 === 0 ? 'on,off' : 'off,on';
      const stdout = execFileSync(process.execPath, [...process.execArgv, process.argv[1], '--child', name, '--order', order], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 26,
      });
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) throw new Error(`${name}: the child printed no result:\n${stdout}`);
      const result = JSON.parse(line.slice('RESULT '.length)) as ChildResult;
      runs.push(result);
      const f = (x: Figures) => `train ${x.trainUtterancesPerSec} utt/s, batch ${x.batchDialoguesPerSec} dlg/s, predict p50 ${x.predictP50Ms} ms`;
      console.log(`round ${r + 1}/${rounds} ${name} (load ${result.loadAverage1m.toFixed(2)}): fused ${f(result.fused)}; unfused ${f(result.unfused)}`);
    }
  }
  const reference = runs[0].probabilities;
  const summary: Record<string, unknown> = {};
  for (const name of configs) {
    const mine = runs.filter((x) => x.config === name);
    const figures = (k: 'fused' | 'unfused') => Object.fromEntries(FIGURES.map((f) => [f, round(median(mine.map((x) => x[k][f])))]));
    summary[name] = {
      threads: mine[0].threads,
      kernelVariant: mine[0].kernelVariant,
      fused: figures('fused'),
      unfused: figures('unfused'),
      maxProbDiffFusedVsUnfused: Math.max(...mine.map((x) => x.maxProbDiffFusedVsUnfused)),
      maxProbDiffVsFirstConfig: Math.max(...mine.flatMap((x) => x.probabilities.map((p, i) => Math.abs(p - reference[i])))),
    };
  }
  const ratio = (a: string, b: string, k: 'fused' | 'unfused', f: Figure) => {
    const get = (n: string) => (summary[n] as Record<'fused' | 'unfused', Record<string, number>>)[k][f];
    return round(f.startsWith('predict') ? get(b) / get(a) : get(a) / get(b), 3);
  };
  const speedups: Record<string, unknown> = {};
  const pairs = [
    ['threaded2_over_simd1', 'threaded-2threads', 'simd-1thread'],
    ['threaded2_over_threaded1', 'threaded-2threads', 'threaded-1thread'],
    ['threaded1_over_simd1', 'threaded-1thread', 'simd-1thread'],
  ] as const;
  for (const k of ['fused', 'unfused'] as const) {
    for (const [label, a, b] of pairs) {
      if (!summary[a] || !summary[b]) continue;
      speedups[`${label}_${k}`] = {
        training: ratio(a, b, k, 'trainUtterancesPerSec'),
        trainingBestEpoch: ratio(a, b, k, 'trainBestUtterancesPerSec'),
        batchedInference: ratio(a, b, k, 'batchDialoguesPerSec'),
        batchedInferenceBest: ratio(a, b, k, 'batchBestDialoguesPerSec'),
        predictP50: ratio(a, b, k, 'predictP50Ms'),
        predictMin: ratio(a, b, k, 'predictMinMs'),
      };
    }
  }
  const report = {
    machine: { ...machineInfo(), loadAverageBefore: loadBefore.map((x) => round(x)), loadAverageAfter: loadavg().map((x) => round(x)) },
    environment: 'Node (the threaded build started by benchmarks/wasm-threaded-node.ts)',
    rounds,
    minutes: round((performance.now() - started) / 60000),
    what:
      'MOSI preset model (createModel(MOSI_PRESET.model), seed 1). Training: train() with MOSI_PRESET.train on the CMU-MOSI training split, 4 epochs, utterances/s of the median of the last 3. ' +
      'Batched inference: predictBatch of 32 test dialogues cut to 10 utterances, dialogues/s, median of 5 after a warm-up. Predict: one 10-utterance test dialogue, p50/p95 of 40 after 5 warm-up. ' +
      'Each configuration in its own process, back to back in rounds, fused kernels on and off in the same process (order alternating by round). Figures: medians over rounds; the *Best* / *Min* figures are each run\'s fastest epoch, batch and prediction (under a shared machine\'s load, closer to a quiet machine). ' +
      'Speed-ups: > 1 means the first configuration is faster (for predict: time of the second / time of the first). maxProbDiffVsFirstConfig: class probabilities of one untrained seed-1 model on one dialogue against the first configuration.',
    summary,
    speedups,
    runs,
  };
  await writeFileAtomic(values.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify({ summary, speedups }, null, 2));
  console.log(`wrote ${values.out}`);
}
