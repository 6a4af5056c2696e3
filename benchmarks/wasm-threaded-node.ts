/**
 * Starts tfjs-backend-wasm 4.22's threaded SIMD build in Node, which the package itself does not do, for
 * benchmarks/wasm-threads.ts. Three things stand in the way, each worked around here for one backend start:
 *
 * 1. `WASM_HAS_MULTITHREAD_SUPPORT` is hard-wired to false in Node (tfjs issue 3830); it is set to true.
 * 2. The backend hands Emscripten its pthread worker as a `blob:` URL and the main script as a `Blob`. Node's
 *    `worker_threads` accepts neither, so `URL.createObjectURL` returns a temporary file holding the worker script,
 *    whose own `URL.createObjectURL` returns the path of the package's threaded main script.
 * 3. The C side caps the thread pool at `emscripten_num_logical_cores() / 2` (Node: `os.cpus().length / 2`), one
 *    thread on a 2-core machine whatever `setThreadsCount` asks for. `os.cpus()` reports twice the cores while the
 *    backend starts, so the cap becomes the real core count.
 *
 * Kept in the benchmarks (not in @emoje/runtime-node) because it patches globals and leans on Emscripten internals.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

const require = createRequire(import.meta.url);

/**
 * Prepares the next `tf.setBackend('wasm')` (e.g. runtime-node's `initBackend({ backend: 'wasm' })`) to start the
 * threaded build with `threads` threads (capped at the machine's cores by tfjs). Call it before the wasm backend is
 * first initialised; call the returned function once it is, to undo the patches.
 */
export function prepareThreadedWasm(threads: number): () => void {
  const wasm = require('@tensorflow/tfjs-backend-wasm') as { setThreadsCount(n: number): void };
  const mainScript = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as { wasmWorkerContents: string };
  const dir = mkdtempSync(join(tmpdir(), 'emoje-wasm-threads-'));
  const workerFile = join(dir, 'worker.cjs');
  // tfjs escapes the newlines of the worker source the same way before it makes its Blob
  const shim = `URL.createObjectURL = () => ${JSON.stringify(mainScript)}; URL.revokeObjectURL = () => {};\n`;
  writeFileSync(workerFile, shim + wasmWorkerContents.replace(/\n/g, '\\n'));

  const createObjectURL = URL.createObjectURL;
  const cpus = os.cpus;
  URL.createObjectURL = () => workerFile;
  (os as { cpus: () => os.CpuInfo[] }).cpus = () => [...cpus(), ...cpus()];
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  return () => {
    URL.createObjectURL = createObjectURL;
    (os as { cpus: () => os.CpuInfo[] }).cpus = cpus;
    rmSync(dir, { recursive: true, force: true });
  };
}
