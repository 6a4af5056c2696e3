/**
 * Helpers for the benchmarks that time work in several worker threads at once (bench:perf's parallel checks,
 * data-parallel.ts).
 */
import { cpus, loadavg } from 'node:os';
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Waits until every worker has posted 'ready', sends them all 'go' at once so their timed work overlaps, and returns
 * the number each posts back; the workers are stopped after.
 */
export async function inLockstep(workers: Worker[]): Promise<number[]> {
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
  const results = workers.map((w) => new Promise<number>((resolve) => w.once('message', resolve)));
  workers.forEach((w) => w.postMessage('go'));
  const values = await Promise.all(results);
  await Promise.all(workers.map((w) => w.terminate()));
  return values;
}

/** The machine a benchmark ran on, as its report records it. */
export function machineInfo() {
  return { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version, tfjs: tf.version_core, loadAverage1m: loadavg()[0] };
}
