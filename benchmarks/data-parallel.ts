/**
 * Would data-parallel training pay on this machine (issue 8: "and, if it pays, data-parallel training with gradient
 * averaging")? An upper bound, measured without building it: N worker threads each train their own copy of the MOSI
 * model on 1/N of the training dialogues with 1/N of the batch, all at once and exchanging nothing, against one thread
 * training on all of them with the whole batch. Real data-parallel training would also average the gradients every
 * step and wait for the slower shard, so it can only be slower than this bound.
 *
 * Timed per global batch size (the MOSI preset's 4, and 8): training utterances/s of the one thread and of the N
 * threads together, in alternating rounds; medians and every round. Writes benchmarks/results/data-parallel.json.
 *
 *   npx tsx --conditions=@emoje/source benchmarks/data-parallel.ts
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { writeFileAtomic } from '@emoje/runtime-node';
import { inLockstep, machineInfo } from './threads';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'benchmarks/results/data-parallel.json' },
    rounds: { type: 'string', default: '5' },
    batches: { type: 'string', default: '4,8' },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds: expected a positive integer, got '${values.rounds}'`);
const globalBatches = values.batches.split(',').map(Number);
const threads = Math.max(2, availableParallelism());
for (const b of globalBatches) {
  if (!Number.isInteger(b) || b < threads || b % threads !== 0) throw new Error(`--batches: each global batch must be a multiple of ${threads} threads, got '${b}'`);
}

// Each thread: the MOSI preset's model and training options (modality dropout included), the dialogues i with
// i % shards === shard, one warm-up epoch, then 2 timed epochs; it posts its training utterances/s.
const workerCode = `
  const { parentPort, workerData } = require('node:worker_threads');
  (async () => {
    (await import('tsx/esm/api')).register();
    const { initBackend, MOSI_PRESET } = await import('@emoje/runtime-node');
    const { loadMosi } = await import('@emoje/datasets/node');
    const { createModel, train } = await import('@emoje/model');
    await initBackend({ backend: 'wasm' });
    const data = await loadMosi();
    const model = createModel({ ...MOSI_PRESET.model, modalities: data.modalities, classes: data.classes, seed: 1 });
    const shard = data.train.filter((_, i) => i % workerData.shards === workerData.shard);
    const options = { ...MOSI_PRESET.train, epochs: 1, batchSize: workerData.batchSize, averageLastEpochs: 0 };
    await train(model, { train: shard }, options);
    parentPort.once('message', async () => {
      const t0 = performance.now();
      for (let e = 0; e < 2; e++) await train(model, { train: shard }, options);
      const utterances = shard.reduce((n, d) => n + d.utterances.length, 0);
      parentPort.postMessage((2 * utterances) / ((performance.now() - t0) / 1000));
    });
    parentPort.postMessage('ready');
  })();`;

/** Training utterances/s of `shards` threads at once, each on its shard with `batchSize` dialogues per step. */
async function rate(shards: number, batchSize: number): Promise<number> {
  const workers = Array.from(
    { length: shards },
    (_, shard) => new Worker(workerCode, { eval: true, workerData: { shards, shard, batchSize }, execArgv: ['--conditions=@emoje/source'] }),
  );
  return (await inLockstep(workers)).reduce((a, b) => a + b, 0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const started = performance.now();
const byBatch: Record<string, unknown> = {};
for (const globalBatch of globalBatches) {
  const one: number[] = [];
  const many: number[] = [];
  for (let r = 0; r < rounds; r++) {
    one.push(await rate(1, globalBatch));
    many.push(await rate(threads, globalBatch / threads));
    console.log(`global batch ${globalBatch}, round ${r + 1}/${rounds}: 1 thread ${one[r].toFixed(0)} utterances/s, ${threads} threads ${many[r].toFixed(0)} (×${(many[r] / one[r]).toFixed(2)})`);
  }
  const ratios = one.map((o, i) => many[i] / o);
  byBatch[String(globalBatch)] = {
    perThreadBatch: globalBatch / threads,
    oneThreadUtterancesPerSec: median(one),
    threadsUtterancesPerSec: median(many),
    speedupBound: Math.min(median(many) / median(one), median(ratios)),
    oneThreadUtterancesPerSecPerRound: one,
    threadsUtterancesPerSecPerRound: many,
    speedupPerRound: ratios,
  };
}
const report = {
  machine: machineInfo(),
  backend: 'wasm',
  threads,
  rounds,
  what:
    'Upper bound on data-parallel training: threads each train their own MOSI model (MOSI_PRESET) on 1/threads of the 54 training dialogues ' +
    'with 1/threads of the global batch, at once, exchanging nothing; against 1 thread on all dialogues with the global batch. ' +
    'speedupBound: the lower of (ratio of the medians, median of the per-round ratios).',
  globalBatch: byBatch,
  minutes: (performance.now() - started) / 60000,
};
await writeFileAtomic(values.out, JSON.stringify(report, null, 2) + '\n');
console.log(JSON.stringify(byBatch, null, 2));
