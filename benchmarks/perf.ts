/**
 * Speed benchmark (issue 8): matMul peak, training and inference throughput, analytical FLOPs and
 * efficiency, tensor leaks and memory, on every tfjs backend available in Node here, and the
 * worker-thread inference pool. All figures come from one run. Writes benchmarks/results/perf.json and
 * the `perf` section of BENCHMARKS.md.
 *
 *   npm run bench:perf
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { loadMeld, loadMosi } from '@emoje/datasets/node';
import { createModel, train, type DialogueInput, type EmojeModel } from '@emoje/model';
import { createInferencePool, createModelForDataset, initBackend, MOSI_PRESET, saveModel, TEXT_PRESET, writeFileAtomic, type NodeBackendName } from '@emoje/runtime-node';
import { flopConfig, trainingFlopsPerEpoch } from './flops';
import { updateBenchmarksSection } from './report';
import { encoderThroughput, kernelCounts, withAndWithoutFused, type EncoderThroughput } from './perf-fused';
import { inLockstep, machineInfo } from './threads';

const { values } = parseArgs({ options: { out: { type: 'string' }, 'no-markdown': { type: 'boolean', default: false } } });
const out = values.out ?? 'benchmarks/results/perf.json';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const k = Math.floor(s.length / 2);
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const now = () => performance.now();

let peakRss = 0;
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};
const rssTimer = setInterval(sampleRss, 100);

/** A deterministic pseudo-random stream in [-1, 1). */
function stream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

// ---------------------------------------------------------------------------------------------- matMul
function matmulPeak(n: number, repeats: number): number {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  const once = () => {
    const t0 = now();
    const c = tf.matMul(a, b);
    c.dataSync();
    const ms = now() - t0;
    c.dispose();
    return ms;
  };
  once();
  const times = Array.from({ length: repeats }, once);
  tf.dispose([a, b]);
  return (2 * n ** 3) / (median(times) / 1000) / 1e9;
}

/**
 * GFLOP/s of `[rows, inner] x [inner, cols]` products at the shapes the MOSI model multiplies (rows = the utterance slots
 * of a batch), median of `repeats` timed loops of 20 products each: what the efficiency can reach at best.
 */
function matmulAtShape(rows: number, inner: number, cols: number, repeats: number): number {
  const a = tf.randomNormal([rows, inner], 0, 1, 'float32', 3);
  const b = tf.randomNormal([inner, cols], 0, 1, 'float32', 4);
  const loop = () => {
    const t0 = now();
    // The braces matter: a tidy that returns the Float32Array walks all its entries looking for tensors.
    for (let i = 0; i < 20; i++) tf.tidy(() => {
      tf.matMul(a, b).dataSync();
    });
    return (now() - t0) / 20;
  };
  loop();
  const times = Array.from({ length: repeats }, loop);
  tf.dispose([a, b]);
  return (2 * rows * inner * cols) / (median(times) / 1000) / 1e9;
}

// -------------------------------------------------------------------------------------------- MOSI model
interface MosiTrain {
  utterancesPerSec: number;
  gflopsPerUtterance: number;
  achievedGflops: number;
  epochSeconds: number[];
  dialogues: number;
  utterances: number;
  steps: number;
  numTensorsDrift: number;
  numTensorsDriftSteps: number;
}

async function trainMosi(model: EmojeModel, dialogues: DialogueInput[], epochs: number): Promise<MosiTrain> {
  const batchSize = MOSI_PRESET.train.batchSize!;
  const seconds: number[] = [];
  const tensorsAt: number[] = [];
  await train(model, { train: dialogues }, {
    ...MOSI_PRESET.train,
    epochs,
    averageLastEpochs: 0,
    onStep: () => {
      tensorsAt.push(tf.memory().numTensors);
      sampleRss();
    },
    onEpochEnd: (info) => {
      seconds.push(info.seconds);
    },
  });
  const timed = seconds.slice(1); // the first epoch is the warm-up
  const utterances = dialogues.reduce((n, d) => n + d.utterances.length, 0);
  const flops = trainingFlopsPerEpoch(flopConfig(model.config), dialogues.map((d) => d.utterances.length), batchSize);
  const epochSeconds = median(timed);
  const last = Math.min(tensorsAt.length - 1, 100);
  return {
    utterancesPerSec: utterances / epochSeconds,
    gflopsPerUtterance: flops / utterances / 1e9,
    achievedGflops: flops / epochSeconds / 1e9,
    epochSeconds: timed,
    dialogues: dialogues.length,
    utterances,
    steps: tensorsAt.length,
    numTensorsDrift: tensorsAt[last] - tensorsAt[0],
    numTensorsDriftSteps: last,
  };
}

/** MOSI-shaped dialogues of `utterances` utterances, all three modalities present. */
function mosiLikeDialogues(count: number, utterances: number, dims: readonly number[], seed: number): DialogueInput[] {
  const next = stream(seed);
  const names = ['text', 'audio', 'visual'];
  return Array.from({ length: count }, (_, i) => ({
    id: `synthetic-${i}`,
    utterances: Array.from({ length: utterances }, () => ({
      speaker: 0,
      features: Object.fromEntries(names.map((name, k) => [name, Float32Array.from({ length: dims[k] }, next)])),
    })),
  }));
}

async function inferLatency(model: EmojeModel, dialogue: DialogueInput, iterations: number): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 20; i++) await model.predict(dialogue);
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = now();
    await model.predict(dialogue);
    times.push(now() - t0);
  }
  return { p50: quantile(times, 0.5), p95: quantile(times, 0.95) };
}

async function inferThroughput(model: EmojeModel, dialogues: DialogueInput[], rounds: number): Promise<number> {
  await model.predictBatch(dialogues);
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = now();
    await model.predictBatch(dialogues);
    times.push(now() - t0);
  }
  return dialogues.length / (median(times) / 1000);
}

// -------------------------------------------------------------------------------------------- MELD model
/**
 * The MELD text model exactly as `npm run bench:meld` trains it (`createModelForDataset` with `TEXT_PRESET`: token
 * modality from the bundled GloVe vectors, token convolution, speaker-aware context, class-weighted focal loss), trained
 * with the preset's options on the first `dialogues` training dialogues of real MELD; median epoch time after a warm-up epoch.
 */
async function trainMeld(dialogues: number, epochs: number): Promise<{ utterancesPerSec: number; epochSeconds: number[]; utterances: number; batchSize: number }> {
  const meld = await loadMeld();
  const subset = meld.train.slice(0, dialogues);
  const { model } = await createModelForDataset(meld, { preset: TEXT_PRESET, seed: 1 });
  const seconds: number[] = [];
  await train(model, { train: subset }, { ...TEXT_PRESET.train, epochs, patience: epochs, onStep: sampleRss, onEpochEnd: (info) => void seconds.push(info.seconds) });
  model.dispose();
  const timed = seconds.slice(1);
  const utterances = subset.reduce((n, d) => n + d.utterances.length, 0);
  return { utterancesPerSec: utterances / median(timed), epochSeconds: timed, utterances, batchSize: TEXT_PRESET.train.batchSize! };
}

// ------------------------------------------------------------------------------------------------- runs
const data = await loadMosi();
const dims = data.modalities.map((m) => m.dim);
const inferDialogue = mosiLikeDialogues(1, 10, dims, 5)[0];
const inferBatch = mosiLikeDialogues(32, 10, dims, 6);

interface BackendPlan {
  matmulSize: number;
  matmulRepeats: number;
  mosiDialogues: DialogueInput[];
  mosiEpochs: number;
  meldDialogues: number;
  meldEpochs: number;
  inferIterations: number;
  batchRounds: number;
}
const plans: Record<NodeBackendName, BackendPlan> = {
  wasm: { matmulSize: 1024, matmulRepeats: 7, mosiDialogues: data.train, mosiEpochs: 9, meldDialogues: 64, meldEpochs: 4, inferIterations: 300, batchRounds: 7 },
  tensorflow: { matmulSize: 1024, matmulRepeats: 7, mosiDialogues: data.train, mosiEpochs: 9, meldDialogues: 64, meldEpochs: 4, inferIterations: 300, batchRounds: 7 },
  // The reference JavaScript backend is 15-25x slower: a smaller matMul, 8 dialogues, fewer iterations.
  cpu: { matmulSize: 512, matmulRepeats: 3, mosiDialogues: data.train.slice(0, 8), mosiEpochs: 4, meldDialogues: 8, meldEpochs: 2, inferIterations: 30, batchRounds: 2 },
};

const RATIO_DIALOGUES = 8;
const backends: NodeBackendName[] = ['wasm', 'cpu'];
const skipped: Record<string, string> = {};
try {
  await import(/* @vite-ignore */ '@tensorflow/tfjs-node' as string);
  backends.unshift('tensorflow');
} catch (error) {
  skipped.tensorflow = `@tensorflow/tfjs-node is not importable here (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
}

const started = now();
const results: Record<string, Record<string, unknown>> = {};
let wasmModelDir: string | null = null;
for (const name of backends) {
  const plan = plans[name];
  await initBackend({ backend: name });
  const t0 = now();
  console.log(`[${name}] matMul ${plan.matmulSize}`);
  const peakAtStart = matmulPeak(plan.matmulSize, plan.matmulRepeats);
  // The model's own product shapes: a batch of 4 MOSI dialogues pads to ~4 x 30 utterance slots; 16 dialogues, ~4x that.
  const d = MOSI_PRESET.model.units ?? 64;
  const shapes = [[128, d, d], [128, d, 2 * d], [128, 2 * d, d], [512, d, d]];
  const shapesAtStart = shapes.map(([r, k, c]) => matmulAtShape(r, k, c, plan.matmulRepeats));
  console.log(`[${name}] MOSI model training, ${plan.mosiEpochs} epochs over ${plan.mosiDialogues.length} dialogues`);
  const model = createModel({ ...MOSI_PRESET.model, modalities: data.modalities, classes: data.classes, seed: 1 });
  const mosi = await trainMosi(model, plan.mosiDialogues, plan.mosiEpochs);
  // The wasm/cpu ratio compares the same work: the first 8 training dialogues (what the cpu run trains on).
  let subset = mosi;
  if (plan.mosiDialogues.length !== RATIO_DIALOGUES) {
    const small = createModel({ ...MOSI_PRESET.model, modalities: data.modalities, classes: data.classes, seed: 1 });
    subset = await trainMosi(small, data.train.slice(0, RATIO_DIALOGUES), 4);
    small.dispose();
  }
  console.log(`[${name}] inference`);
  const latency = await inferLatency(model, inferDialogue, plan.inferIterations);
  const inferDialoguesPerSec = await inferThroughput(model, inferBatch, plan.batchRounds);
  console.log(`[${name}] MELD text model`);
  const meld = await trainMeld(plan.meldDialogues, plan.meldEpochs);
  if (name === 'wasm') {
    wasmModelDir = await mkdtemp(join(tmpdir(), 'emoje-perf-'));
    await saveModel(model, wasmModelDir);
  }
  let fused: Record<string, unknown> | undefined;
  if (name === 'wasm') {
    // The op-by-op path (what every other backend runs) against the fused kernels, on fresh models, back to back.
    console.log('[wasm] fused kernels off, then on: kernels per step, training speed, latency');
    const fresh = () => createModel({ ...MOSI_PRESET.model, modalities: data.modalities, classes: data.classes, seed: 1 });
    const counts = await withAndWithoutFused(async () => {
      const m = fresh();
      try {
        return await kernelCounts(m, data.train, inferDialogue);
      } finally {
        m.dispose();
      }
    });
    const speeds = await withAndWithoutFused(async () => {
      const m = fresh();
      try {
        const t = await trainMosi(m, data.train, 4);
        return { trainUtterancesPerSec: t.utterancesPerSec, inferP50Ms: (await inferLatency(m, inferDialogue, plan.inferIterations)).p50 };
      } finally {
        m.dispose();
      }
    });
    console.log('[wasm] sentence encoder');
    fused = {
      kernelsPerTrainingStep: { unfused: counts.unfused.trainingStep, fused: counts.fused.trainingStep },
      kernelsPerPrediction: { unfused: counts.unfused.prediction, fused: counts.fused.prediction },
      trainUtterancesPerSec: { unfused: speeds.unfused.trainUtterancesPerSec, fused: speeds.fused.trainUtterancesPerSec },
      inferP50Ms: { unfused: speeds.unfused.inferP50Ms, fused: speeds.fused.inferP50Ms },
      sentenceEncoder: await encoderThroughput(),
    };
  }
  model.dispose();
  // Measured again after the model runs: on a host whose speed drifts, the higher of the two is the
  // backend's peak, and the conservative denominator of the efficiency.
  const peakAtEnd = matmulPeak(plan.matmulSize, plan.matmulRepeats);
  // As for the peak, the higher of the measurements before and after the models.
  const modelShapes = shapes.map(([r, k, c], i) => ({ shape: `[${r}, ${k}] x [${k}, ${c}]`, gflops: Math.max(shapesAtStart[i], matmulAtShape(r, k, c, plan.matmulRepeats)) }));
  const matmulPeakGflops = Math.max(peakAtStart, peakAtEnd);
  results[name] = {
    matmulPeakGflops,
    matmulPeakGflopsMeasured: [peakAtStart, peakAtEnd],
    matmulGflopsAtModelShapes: modelShapes,
    matmulSize: plan.matmulSize,
    trainUtterancesPerSec: { mosi: mosi.utterancesPerSec, meld: meld.utterancesPerSec, mosiFirst8Dialogues: subset.utterancesPerSec },
    modelGflopsPerUtterance: mosi.gflopsPerUtterance,
    achievedTrainGflops: mosi.achievedGflops,
    trainEfficiency: mosi.achievedGflops / matmulPeakGflops,
    inferP50Ms: latency.p50,
    inferP95Ms: latency.p95,
    inferDialoguesPerSec,
    numTensorsDrift: mosi.numTensorsDrift,
    numTensorsDriftSteps: mosi.numTensorsDriftSteps,
    peakRssMiB: peakRss / 2 ** 20,
    mosiRun: { dialogues: mosi.dialogues, utterances: mosi.utterances, batchSize: MOSI_PRESET.train.batchSize, timedEpochSeconds: mosi.epochSeconds },
    meldRun: { dialogues: plan.meldDialogues, utterances: meld.utterances, batchSize: meld.batchSize, timedEpochSeconds: meld.epochSeconds },
    ...(fused ? { fusedKernels: fused } : {}),
    seconds: (now() - t0) / 1000,
  };
  console.log(`[${name}]`, JSON.stringify(results[name]));
}

// --------------------------------------------------------------------------------------- worker pool
await initBackend({ backend: 'wasm' });
const poolWorkers = Math.max(2, availableParallelism());
const poolDialogues = mosiLikeDialogues(768, 10, dims, 9);
/**
 * Pool throughput with 1 worker and with `workers` workers, measured in alternating rounds (1, N, 1, N, ...) so that
 * a slow or fast phase of the host falls on both alike; dialogues/s per round, for each pool.
 */
async function poolSpeeds(workers: number, rounds: number): Promise<{ one: number[]; many: number[] }> {
  const one = await createInferencePool({ modelDir: wasmModelDir!, workers: 1, batchSize: 32 });
  const many = await createInferencePool({ modelDir: wasmModelDir!, workers, batchSize: 32 });
  try {
    await one.predictBatch(poolDialogues.slice(0, 64)); // warm-up
    await many.predictBatch(poolDialogues.slice(0, 64 * workers));
    const rate = async (pool: typeof one) => {
      const t0 = now();
      await pool.predictBatch(poolDialogues);
      return poolDialogues.length / ((now() - t0) / 1000);
    };
    const speeds = { one: [] as number[], many: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      speeds.one.push(await rate(one));
      speeds.many.push(await rate(many));
    }
    return speeds;
  } finally {
    await Promise.all([one.close(), many.close()]);
  }
}
/**
 * How well this machine runs wasm compute in parallel, independent of the pool: the same 512 x 512 matMul
 * loop in 1 worker thread, then in `threads` worker threads at once (GFLOP/s per thread).
 */
async function parallelMatmul(threads: number): Promise<number[]> {
  const { Worker } = await import('node:worker_threads');
  const code = `
    const { parentPort } = require('node:worker_threads');
    (async () => {
      const tf = await import('@tensorflow/tfjs-core');
      await import('@tensorflow/tfjs-backend-wasm');
      await tf.setBackend('wasm');
      const a = tf.randomNormal([512, 512]); const b = tf.randomNormal([512, 512]);
      tf.matMul(a, b).dataSync();
      parentPort.once('message', () => {
        const t0 = performance.now();
        for (let i = 0; i < 30; i++) tf.tidy(() => { tf.matMul(a, b).dataSync(); });
        parentPort.postMessage((30 * 2 * 512 ** 3) / ((performance.now() - t0) / 1000) / 1e9);
      });
      parentPort.postMessage('ready');
    })();`;
  return inLockstep(Array.from({ length: threads }, () => new Worker(code, { eval: true })));
}
/**
 * The same batched predictions as the pool's, but with no pool: `threads` worker threads at once, each with its own
 * copy of the saved model and its own dialogues, nothing sent between threads while timed (dialogues/s per thread).
 * Their sum over the one-thread rate is what this machine lets the inference itself scale, the pool's upper bound.
 */
async function parallelInference(threads: number, modelDir: string): Promise<number[]> {
  const { Worker } = await import('node:worker_threads');
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      (await import('tsx/esm/api')).register();
      const { initBackend, loadModel } = await import('@emoje/runtime-node');
      await initBackend({ backend: 'wasm' });
      const model = await loadModel(workerData.modelDir);
      let s = workerData.seed;
      const next = () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
      const dims = model.config.modalities.map((m) => [m.name, m.dim]);
      const dialogues = Array.from({ length: 256 }, () => ({ utterances: Array.from({ length: 10 }, () => ({ speaker: 0,
        features: Object.fromEntries(dims.map(([name, dim]) => [name, Float32Array.from({ length: dim }, next)])) })) }));
      const pass = async () => { for (let i = 0; i < dialogues.length; i += 32) await model.predictBatch(dialogues.slice(i, i + 32)); };
      await pass();
      parentPort.once('message', async () => {
        const t0 = performance.now();
        for (let r = 0; r < 3; r++) await pass();
        parentPort.postMessage((3 * dialogues.length) / ((performance.now() - t0) / 1000));
      });
      parentPort.postMessage('ready');
    })();`;
  return inLockstep(
    Array.from({ length: threads }, (_, i) => new Worker(code, { eval: true, workerData: { modelDir, seed: 11 + i }, execArgv: ['--conditions=@emoje/source'] })),
  );
}
console.log('[pool] parallel matMul check');
const matmulOneThread = (await parallelMatmul(1))[0];
const matmulConcurrent = await parallelMatmul(poolWorkers);
console.log(`[pool] 1 worker vs ${poolWorkers}`);
const poolRounds = 7;
const poolRuns = await poolSpeeds(poolWorkers, poolRounds);
const oneWorkerDialoguesPerSec = median(poolRuns.one);
const poolDialoguesPerSec = median(poolRuns.many);
console.log(`[pool] the same inference in 1 thread vs ${poolWorkers}, no pool`);
// Alternating rounds again; the round whose total is the median of the N-thread totals is reported beside the median one-thread rate.
const bareOne: number[] = [];
const bareMany: number[][] = [];
for (let r = 0; r < 3; r++) {
  bareOne.push((await parallelInference(1, wasmModelDir!))[0]);
  bareMany.push(await parallelInference(poolWorkers, wasmModelDir!));
}
const sumOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const inferenceOneThread = median(bareOne);
const inferenceConcurrent = [...bareMany].sort((a, b) => sumOf(a) - sumOf(b))[Math.floor(bareMany.length / 2)];
sampleRss();
await rm(wasmModelDir!, { recursive: true, force: true });
clearInterval(rssTimer);

type Speeds = { trainUtterancesPerSec: { mosiFirst8Dialogues: number }; inferDialoguesPerSec: number };
const wasm = results.wasm as Speeds;
const cpu = results.cpu as Speeds;
const reference = await readReference();
const report = {
  machine: machineInfo(),
  generatedAt: new Date().toISOString(),
  minutes: (now() - started) / 60000,
  backends: results,
  skipped,
  ratios: {
    wasmOverCpuTrain: wasm.trainUtterancesPerSec.mosiFirst8Dialogues / cpu.trainUtterancesPerSec.mosiFirst8Dialogues,
    wasmOverCpuInfer: wasm.inferDialoguesPerSec / cpu.inferDialoguesPerSec,
  },
  workerPool: {
    workers: poolWorkers,
    dialogues: poolDialogues.length,
    utterancesPerDialogue: 10,
    oneWorkerDialoguesPerSec,
    poolDialoguesPerSec,
    speedup: poolDialoguesPerSec / oneWorkerDialoguesPerSec,
    rounds: poolRounds,
    oneWorkerDialoguesPerSecPerRound: poolRuns.one,
    poolDialoguesPerSecPerRound: poolRuns.many,
    speedupPerRound: poolRuns.many.map((x, i) => x / poolRuns.one[i]),
    matmulGflopsOneThread: matmulOneThread,
    matmulGflopsPerThreadConcurrent: matmulConcurrent,
    parallelMatmulScaling: matmulConcurrent.reduce((a, b) => a + b, 0) / matmulOneThread,
    inferenceDialoguesPerSecOneThread: inferenceOneThread,
    inferenceDialoguesPerSecPerThreadConcurrent: inferenceConcurrent,
    parallelInferenceScaling: sumOf(inferenceConcurrent) / inferenceOneThread,
    inferenceDialoguesPerSecOneThreadPerRound: bareOne,
    inferenceDialoguesPerSecPerThreadConcurrentPerRound: bareMany,
  },
  ...(reference ? { reference: { pytorch: reference } } : {}),
  notes: {
    mosi: `createModel(MOSI_PRESET.model), text/audio/visual 100/73/100 on the bundled CMU-MOSI training split, train() with MOSI_PRESET.train (batch ${MOSI_PRESET.train.batchSize}, modality dropout), no dev evaluation; median of the timed epochs after one warm-up epoch.`,
    meld: 'The MELD text model of bench:meld (createModelForDataset with TEXT_PRESET: vocabulary from the training texts, GloVe 100-d table fine-tuned, token convolution with max pooling, speaker-aware context, 7 classes, batch 8 dialogues) trained with train() on the first 64 real MELD training dialogues (8 on cpu); median epoch time after a warm-up epoch.',
    flops: 'analytical, matrix products only, forward + backward = 3x forward, padding excluded (benchmarks/flops.ts)',
    inference: 'inferP50Ms / inferP95Ms: model.predict on one 10-utterance dialogue with all 3 modalities; inferDialoguesPerSec: model.predictBatch of 32 such dialogues',
  },
};
await writeFileAtomic(out, JSON.stringify(report, null, 2) + '\n');
const markdown = renderPerfMarkdown(report);
console.log('\n' + markdown);
if (!values['no-markdown']) await ensureHeadingThenUpdate(markdown);
console.log(`wrote ${out}${values['no-markdown'] ? '' : ' and BENCHMARKS.md'}`);

/** The last PyTorch comparison imported by benchmarks/perf-reference.ts, carried into perf.json. */
async function readReference(): Promise<unknown> {
  const { existsSync, readFileSync } = await import('node:fs');
  const file = 'benchmarks/results/perf-reference.json';
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

async function ensureHeadingThenUpdate(md: string): Promise<void> {
  const { existsSync, readFileSync } = await import('node:fs');
  const file = 'BENCHMARKS.md';
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  if (!current.includes('<!-- perf:start -->')) {
    await writeFileAtomic(file, `${current.trimEnd()}\n\n## Speed (\`npm run bench:perf\`)\n\n<!-- perf:start -->\n<!-- perf:end -->\n`);
  }
  await updateBenchmarksSection('perf', md);
}

function renderPerfMarkdown(r: typeof report): string {
  // The two estimates of the pool's speed-up differ by the host's drift; the floor is judged on the lower.
  const poolSpeedupLow = Math.min(r.workerPool.speedup, median(r.workerPool.speedupPerRound));
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const names = Object.keys(r.backends);
  const get = (n: string) => r.backends[n] as Record<string, number> & { trainUtterancesPerSec: { mosi: number; meld: number; mosiFirst8Dialogues: number } };
  const row = (label: string, fn: (n: string) => string) => `| ${label} | ${names.map(fn).join(' | ')} |`;
  const w = get('wasm');
  const meet = (ok: boolean) => (ok ? 'met' : '**missed**');
  return [
    `One run, ${r.machine.cpus} × ${r.machine.model}, Node ${r.machine.node}, tfjs ${r.machine.tfjs}; 1-minute load average ${f(r.machine.loadAverage1m, 1)} at the end; the whole benchmark took ${f(r.minutes, 1)} min.` +
      (Object.keys(r.skipped).length ? ` Skipped: ${Object.entries(r.skipped).map(([k, v]) => `${k} (${v})`).join('; ')}.` : ''),
    '',
    `| | ${names.join(' | ')} |`,
    `|---|${names.map(() => '---').join('|')}|`,
    row('matMul peak (GFLOP/s, square matMul of the size given; the higher of the runs before and after the model)', (n) => `${f(get(n).matmulPeakGflops, 2)} (${get(n).matmulSize})`),
    row('MOSI model: training utterances/s (wasm: all 54 training dialogues; cpu: the first 8)', (n) => f(get(n).trainUtterancesPerSec.mosi, 0)),
    row('MOSI model: training utterances/s on the first 8 dialogues (the wasm/cpu ratio)', (n) => f(get(n).trainUtterancesPerSec.mosiFirst8Dialogues, 0)),
    row('MOSI model: GFLOP per training utterance (analytical)', (n) => get(n).modelGflopsPerUtterance.toFixed(5)),
    row('MOSI model: achieved training GFLOP/s', (n) => f(get(n).achievedTrainGflops, 2)),
    row('MOSI model: training efficiency (achieved / matMul peak)', (n) => f(get(n).trainEfficiency, 3)),
    row('matMul at the model\'s shapes, GFLOP/s (share of the peak)', (n) => (get(n).matmulGflopsAtModelShapes as unknown as { shape: string; gflops: number }[]).map((x) => `${x.shape}: ${f(x.gflops, 1)} (${f(x.gflops / get(n).matmulPeakGflops, 2)})`).join('; ')),
    row('MELD text model: training utterances/s', (n) => f(get(n).trainUtterancesPerSec.meld, 0)),
    row('inference p50 / p95, one 10-utterance dialogue (ms)', (n) => `${f(get(n).inferP50Ms, 2)} / ${f(get(n).inferP95Ms, 2)}`),
    row('batched inference (predictBatch of 32), dialogues/s', (n) => f(get(n).inferDialoguesPerSec, 0)),
    row('tensor count drift over training steps', (n) => `${get(n).numTensorsDrift} over ${get(n).numTensorsDriftSteps} steps`),
    row('peak RSS so far (MiB)', (n) => f(get(n).peakRssMiB, 0)),
    '',
    ...fusedLines(w as unknown as { fusedKernels?: FusedFigures }),
    `wasm over cpu: training ×${f(r.ratios.wasmOverCpuTrain, 1)}, batched inference ×${f(r.ratios.wasmOverCpuInfer, 1)}. ` +
      `Worker pool (\`createInferencePool\`, wasm, ${r.workerPool.dialogues} dialogues of 10 utterances): 1 worker ${f(r.workerPool.oneWorkerDialoguesPerSec, 0)} dialogues/s, ` +
      `${r.workerPool.workers} workers ${f(r.workerPool.poolDialoguesPerSec, 0)} dialogues/s, speed-up ×${f(r.workerPool.speedup, 2)} ` +
      `(medians of ${r.workerPool.rounds} rounds that alternate the two pools, so that the host's slow and fast phases fall on both; the rounds' own ratios run from ` +
      `×${f(Math.min(...r.workerPool.speedupPerRound), 2)} to ×${f(Math.max(...r.workerPool.speedupPerRound), 2)}). ` +
      `For comparison, the machine itself: a wasm 512² matMul loop runs at ${f(r.workerPool.matmulGflopsOneThread, 1)} GFLOP/s in one worker thread and at ` +
      `${r.workerPool.matmulGflopsPerThreadConcurrent.map((g) => f(g, 1)).join(' + ')} GFLOP/s in ${r.workerPool.workers} threads at once (×${f(r.workerPool.parallelMatmulScaling, 2)} in total), ` +
      `and the pool's own work without the pool (the same batched predictions, each thread with its own model and dialogues, nothing sent between threads) runs at ` +
      `${f(r.workerPool.inferenceDialoguesPerSecOneThread, 0)} dialogues/s in one thread and ${r.workerPool.inferenceDialoguesPerSecPerThreadConcurrent.map((g) => f(g, 0)).join(' + ')} in ${r.workerPool.workers} at once ` +
      `(×${f(r.workerPool.parallelInferenceScaling, 2)}; medians of 3 alternating rounds): the pool can only be as parallel as the machine lets this work be.`,
    '',
    `What is measured: ${r.notes.mosi} ${r.notes.meld} FLOPs: ${r.notes.flops}. ${r.notes.inference}. The cpu column trains on 8 dialogues with fewer repetitions (it is 15-25× slower).`,
    '',
    `Floors of the issue: wasm/cpu training ≥ 5: ${meet(r.ratios.wasmOverCpuTrain >= 5)} (${f(r.ratios.wasmOverCpuTrain, 1)}); ` +
      `training efficiency ≥ 0.25 on wasm: ${meet(w.trainEfficiency >= 0.25)} (${f(w.trainEfficiency, 3)}); ` +
      `inference p50 ≤ 10 ms on wasm: ${meet(w.inferP50Ms <= 10)} (${f(w.inferP50Ms, 2)} ms); ` +
      `tensor drift 0: ${meet(w.numTensorsDrift === 0)}; worker pool ≥ 1.6× one worker: ${meet(poolSpeedupLow >= 1.6)} (×${f(r.workerPool.speedup, 2)} from the medians, ×${f(median(r.workerPool.speedupPerRound), 2)} as the median of the rounds' ratios; the lower one is judged).`,
  ].join('\n');
}

interface FusedFigures {
  kernelsPerTrainingStep: { unfused: number; fused: number };
  kernelsPerPrediction: { unfused: number; fused: number };
  trainUtterancesPerSec: { unfused: number; fused: number };
  inferP50Ms: { unfused: number; fused: number };
  sentenceEncoder: EncoderThroughput;
}

/** The wasm backend with the fused kernels of @emoje/wasm-kernels against the op-by-op path, and the sentence encoder. */
function fusedLines(w: { fusedKernels?: FusedFigures }): string[] {
  const x = w.fusedKernels;
  if (!x) return [];
  const f = (v: number, d = 0) => v.toFixed(d);
  return [
    '| wasm: op by op → fused kernels (`@emoje/wasm-kernels`) | op by op | fused | change |',
    '|---|---|---|---|',
    `| kernels per training step (4 dialogues, optimiser included) | ${x.kernelsPerTrainingStep.unfused} | ${x.kernelsPerTrainingStep.fused} | ×${f(x.kernelsPerTrainingStep.unfused / x.kernelsPerTrainingStep.fused, 2)} fewer |`,
    `| kernels per prediction (one 10-utterance dialogue) | ${x.kernelsPerPrediction.unfused} | ${x.kernelsPerPrediction.fused} | ×${f(x.kernelsPerPrediction.unfused / x.kernelsPerPrediction.fused, 2)} fewer |`,
    `| MOSI training, utterances/s (all 54 dialogues, 4 epochs) | ${f(x.trainUtterancesPerSec.unfused)} | ${f(x.trainUtterancesPerSec.fused)} | ×${f(x.trainUtterancesPerSec.fused / x.trainUtterancesPerSec.unfused, 2)} |`,
    `| inference p50, one 10-utterance dialogue (ms) | ${f(x.inferP50Ms.unfused, 2)} | ${f(x.inferP50Ms.fused, 2)} | ×${f(x.inferP50Ms.unfused / x.inferP50Ms.fused, 2)} faster |`,
    '',
    `Sentence encoder on wasm (USE-lite, the MELD model's text path): ${f(x.sentenceEncoder.embedUtterancesPerSec)} utterances/s embedded (batches of 64, ${x.sentenceEncoder.utterances} MELD test utterances); ` +
      `a 10-utterance text dialogue embedded and predicted by \`loadPretrained('meld')\`: p50 ${f(x.sentenceEncoder.dialogueP50Ms, 1)} ms, p95 ${f(x.sentenceEncoder.dialogueP95Ms, 1)} ms. ` +
      'The encoder is a tfjs-converter graph of stock kernels: the fused kernels do not touch it.',
    '',
  ];
}
