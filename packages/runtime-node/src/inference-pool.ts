import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { EmojeInputError, assertInteger } from '@emoje/core';
import type { DialogueInput, PredictOptions, UtterancePrediction } from '@emoje/model';
import type { NodeBackendName } from './backend';

/** Options of {@link createInferencePool}. */
export interface InferencePoolOptions {
  /** Folder of a model (or ensemble) saved by `EmojeModel.save('file://dir')` or `saveModel`. */
  modelDir?: string;
  /** Alias of `modelDir` (a saved model is a folder: model.json + weights.bin). */
  modelPath?: string;
  /** Worker threads. Defaults to `os.availableParallelism()`. */
  workers?: number;
  /** Backend every worker initialises. Defaults to `'wasm'`. */
  backend?: NodeBackendName;
  /** Dialogues a worker predicts in one `predictBatch` call. Defaults to 32. */
  batchSize?: number;
}

/** A pool of worker threads that each hold the model; see {@link createInferencePool}. */
export interface InferencePool {
  /** Number of worker threads. */
  readonly workers: number;
  /** Predictions for every dialogue, in input order, split across the workers. */
  predictBatch(dialogues: DialogueInput[], options?: PredictOptions): Promise<UtterancePrediction[][]>;
  /** Stops every worker; pending calls reject. Safe to call twice. */
  close(): Promise<void>;
}

/** Messages between the pool and its workers. */
export type PoolRequest = { id: number; start: number; dialogues: DialogueInput[]; options?: PredictOptions };
export type PoolResponse =
  | { type: 'ready' }
  | { type: 'init-error'; message: string }
  /** The predictions as JSON text: V8 parses it several times faster than it structured-clones thousands of small objects. */
  | { id: number; ok: true; predictions: string }
  | { id: number; ok: false; index: number; message: string; name: string };

/** Worker start data. */
export interface PoolWorkerData {
  modelDir: string;
  backend: NodeBackendName;
  batchSize: number;
}

/**
 * How to start a worker: `inference-worker.js` next to this module in a build (dist/); from the
 * TypeScript sources (tests, tsx) a small bootstrap that registers tsx's loader in the worker and
 * imports `inference-worker.ts` (tsx, a dev dependency, resolved from the working directory), resolving workspace packages through the `@emoje/source` condition.
 */
function workerEntry(): { source: URL | string; eval: boolean; execArgv: string[] } {
  // CommonJS builds have __filename (and no import.meta); ESM and the sources have import.meta.url.
  const here = typeof __filename === 'string' ? pathToFileURL(__filename).href : import.meta.url;
  const js = new URL('./inference-worker.js', here);
  if (!here.endsWith('.ts') && existsSync(fileURLToPath(js))) return { source: js, eval: false, execArgv: [] };
  const ts = new URL('./inference-worker.ts', here).href;
  const code = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(ts)}); });`;
  return { source: code, eval: true, execArgv: ['--conditions=@emoje/source'] };
}

interface Job {
  resolve: (value: UtterancePrediction[][]) => void;
  reject: (error: Error) => void;
}

class PoolWorker {
  readonly ready: Promise<void>;
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;
  private failure: Error | null = null;

  constructor(readonly worker: Worker) {
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (message: PoolResponse) => {
        if ('type' in message) {
          if (message.type === 'ready') resolve();
          else reject(new Error(`inference worker failed to start: ${message.message}`));
          return;
        }
        const job = this.jobs.get(message.id);
        if (!job) return;
        this.jobs.delete(message.id);
        if (message.ok) job.resolve(JSON.parse(message.predictions) as UtterancePrediction[][]);
        else {
          const error = new Error(`dialogue ${message.index}: ${message.message}`);
          error.name = message.name;
          (error as Error & { dialogueIndex?: number }).dialogueIndex = message.index;
          job.reject(error);
        }
      };
      worker.on('message', onMessage);
      worker.on('error', (error) => {
        this.fail(error);
        reject(error);
      });
      worker.on('exit', (code) => {
        const error = new Error(`inference worker exited with code ${code}`);
        this.fail(error);
        reject(error);
      });
    });
    // A start failure surfaces through predictBatch/createInferencePool; never as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const job of this.jobs.values()) job.reject(error);
    this.jobs.clear();
  }

  run(start: number, dialogues: DialogueInput[], options?: PredictOptions): Promise<UtterancePrediction[][]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      const request: PoolRequest = { id, start, dialogues, options };
      this.worker.postMessage(request);
    });
  }
}

/**
 * Starts a pool of worker threads for batch inference over many dialogues. Every worker
 * initialises the backend (wasm by default, through {@link initBackend}) and loads the saved
 * model (or ensemble) with {@link loadModelOrEnsemble}; `predictBatch` splits the dialogues into chunks of `batchSize`, which
 * the workers take from a queue as each finishes its last (one `predictBatch` per chunk), and returns the
 * predictions in input order. An error in a worker rejects with the index of the dialogue at fault
 * (`error.dialogueIndex`, and `dialogue <i>:` in the message).
 *
 * Works from the built package (`dist/inference-worker.js`) and from the TypeScript sources
 * (the worker is started with `--import tsx`).
 *
 * @example
 * const pool = await createInferencePool({ modelDir: 'models/mosi' });
 * const predictions = await pool.predictBatch(dialogues); // predictions[i] for dialogues[i]
 * await pool.close();
 */
export async function createInferencePool(options: InferencePoolOptions): Promise<InferencePool> {
  const modelDir = options.modelDir ?? options.modelPath;
  if (typeof modelDir !== 'string' || modelDir.length === 0) {
    throw new EmojeInputError('modelDir', 'the folder of a saved model', JSON.stringify(modelDir));
  }
  const count = options.workers ?? availableParallelism();
  assertInteger('workers', count, 1);
  const batchSize = options.batchSize ?? 32;
  assertInteger('batchSize', batchSize, 1);
  const entry = workerEntry();
  const workerData: PoolWorkerData = { modelDir, backend: options.backend ?? 'wasm', batchSize };
  const workers = Array.from({ length: count }, () => new PoolWorker(new Worker(entry.source, { eval: entry.eval, workerData, execArgv: entry.execArgv })));
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.all(workers.map((w) => w.worker.terminate()));
  };
  try {
    await Promise.all(workers.map((w) => w.ready));
  } catch (error) {
    await close();
    throw error;
  }

  return {
    workers: count,
    async predictBatch(dialogues, predictOptions) {
      if (closed) throw new EmojeInputError('pool', 'an open inference pool', 'a closed pool');
      if (!Array.isArray(dialogues) || dialogues.length === 0) {
        throw new EmojeInputError('dialogues', 'a non-empty array of dialogues', JSON.stringify(dialogues));
      }
      // Chunks of batchSize dialogues go to whichever worker is free (a queue, not one fixed share each),
      // so no worker idles while another still has work, whatever the dialogues' lengths.
      const starts: number[] = [];
      for (let start = 0; start < dialogues.length; start += batchSize) starts.push(start);
      const results: UtterancePrediction[][][] = new Array(starts.length);
      let next = 0;
      let failed = false;
      const drain = async (worker: PoolWorker) => {
        while (!failed && next < starts.length) {
          const k = next++;
          const start = starts[k];
          try {
            results[k] = await worker.run(start, dialogues.slice(start, start + batchSize), predictOptions);
          } catch (error) {
            failed = true;
            throw error;
          }
        }
      };
      // Two chunks in flight per worker: the next one is already there when a worker finishes, instead of a round trip later.
      await Promise.all(workers.flatMap((worker) => [drain(worker), drain(worker)]));
      return results.flat();
    },
    close,
  };
}
