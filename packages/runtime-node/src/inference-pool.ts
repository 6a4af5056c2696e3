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
  /**
   * How many times in a row a worker that died (or failed to restart) is started again before its place in the pool
   * is given up; the count starts over after each chunk it completes. Defaults to 3.
   */
  maxRespawns?: number;
  /**
   * Fault injection, for tests only: a worker that receives a chunk holding a dialogue whose `id` is this string
   * exits at once (code 70), as a worker killed by the system would. Defaults to none.
   */
  exitOnDialogueId?: string;
}

/** The outcome of one dialogue in {@link InferencePool.predictSettled}, shaped like `Promise.allSettled`'s. */
export type SettledPrediction =
  | { status: 'fulfilled'; value: UtterancePrediction[] }
  | { status: 'rejected'; reason: InferenceError };

/** An error of one dialogue: `dialogueIndex` is its index in the array given to the pool. */
export interface InferenceError extends Error {
  dialogueIndex: number;
}

/** A pool of worker threads that each hold the model; see {@link createInferencePool}. */
export interface InferencePool {
  /** Number of worker threads. */
  readonly workers: number;
  /**
   * Predictions for every dialogue, in input order, split across the workers. Rejects with the first failure: a
   * dialogue that fails (message `dialogue <i>: ...`, `error.dialogueIndex` = i, its index in `dialogues`), or a
   * worker that died with the chunk in flight (the worker is restarted for later calls).
   */
  predictBatch(dialogues: DialogueInput[], options?: PredictOptions): Promise<UtterancePrediction[][]>;
  /**
   * Like {@link predictBatch}, but never rejects for a dialogue: every dialogue gets its own outcome, in input order,
   * `{ status: 'fulfilled', value }` or `{ status: 'rejected', reason }` (a malformed dialogue, or one in a chunk
   * whose worker died). Rejects only for a closed pool or an argument that is not an array of dialogues.
   */
  predictSettled(dialogues: DialogueInput[], options?: PredictOptions): Promise<SettledPrediction[]>;
  /** Stops every worker; pending calls reject. Safe to call twice. */
  close(): Promise<void>;
}

/** Messages between the pool and its workers. */
export type PoolRequest = { id: number; dialogues: DialogueInput[]; options?: PredictOptions };
/** One dialogue's outcome in a chunk that failed: its predictions, or its error. */
export type DialogueOutcome = { p: UtterancePrediction[] } | { e: { message: string; name: string } };
export type PoolResponse =
  | { type: 'ready' }
  | { type: 'init-error'; message: string }
  /** The predictions as JSON text: V8 parses it several times faster than it structured-clones thousands of small objects. */
  | { id: number; ok: true; predictions: string }
  /** A chunk with at least one failing dialogue: every dialogue's outcome (JSON of {@link DialogueOutcome}[]). */
  | { id: number; ok: false; outcomes: string };

/** Worker start data. */
export interface PoolWorkerData {
  modelDir: string;
  backend: NodeBackendName;
  batchSize: number;
  exitOnDialogueId?: string;
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

/** What a chunk gives back: every dialogue's predictions, or per-dialogue outcomes when one failed. */
type ChunkResult = { ok: true; predictions: UtterancePrediction[][] } | { ok: false; outcomes: DialogueOutcome[] };

interface Job {
  resolve: (value: ChunkResult) => void;
  reject: (error: Error) => void;
}

/** One worker thread and the chunks in flight on it. */
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
          else {
            const error = new Error(`inference worker failed to start: ${message.message}`);
            this.fail(error); // no longer alive, even before its exit event
            reject(error);
          }
          return;
        }
        const job = this.jobs.get(message.id);
        if (!job) return;
        this.jobs.delete(message.id);
        if (message.ok) job.resolve({ ok: true, predictions: JSON.parse(message.predictions) as UtterancePrediction[][] });
        else job.resolve({ ok: false, outcomes: JSON.parse(message.outcomes) as DialogueOutcome[] });
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

  /** False once the thread has died or errored: its chunks in flight were rejected. */
  get alive(): boolean {
    return this.failure === null;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const job of this.jobs.values()) job.reject(error);
    this.jobs.clear();
  }

  run(dialogues: DialogueInput[], options?: PredictOptions): Promise<ChunkResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      const request: PoolRequest = { id, dialogues, options };
      this.worker.postMessage(request);
    });
  }
}

/**
 * One place in the pool: a worker, started again when it dies, at most `maxRespawns` times in a row without a
 * completed chunk in between.
 */
class WorkerSlot {
  private worker: PoolWorker;
  private starting: Promise<PoolWorker | null> | null = null;
  private failuresInARow = 0;
  private closed = false;
  /** The respawns ran out: this place in the pool serves no more. */
  private givenUp = false;

  constructor(
    private readonly spawn: () => PoolWorker,
    private readonly maxRespawns: number,
  ) {
    this.worker = spawn();
  }

  get ready(): Promise<void> {
    return this.worker.ready;
  }

  /** A live worker: the current one, or a new one when it died; null when the respawns are used up or the pool closed. */
  acquire(): Promise<PoolWorker | null> {
    if (this.closed || this.givenUp) return Promise.resolve(null);
    // A worker being started is not ready yet, though alive: wait for the restart in progress.
    if (this.starting) return this.starting;
    if (this.worker.alive) return Promise.resolve(this.worker);
    this.starting ??= this.respawn().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async respawn(): Promise<PoolWorker | null> {
    while (!this.closed && !this.givenUp) {
      if (this.failuresInARow >= this.maxRespawns) {
        this.givenUp = true;
        break;
      }
      this.failuresInARow++;
      const worker = this.spawn();
      this.worker = worker;
      try {
        await worker.ready;
        if (worker.alive) return worker;
      } catch {
        // Failed to start again: try once more, within the bound.
      }
    }
    return null;
  }

  /** A chunk completed: the worker is healthy, so the respawn bound starts over. */
  succeeded(): void {
    this.failuresInARow = 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.starting?.catch(() => undefined);
    await this.worker.worker.terminate();
  }
}

function dialogueError(index: number, message: string, name = 'Error'): InferenceError {
  const error = new Error(`dialogue ${index}: ${message}`) as InferenceError;
  error.name = name;
  error.dialogueIndex = index;
  return error;
}

/**
 * Starts a pool of worker threads for batch inference over many dialogues. Every worker
 * initialises the backend (wasm by default, through {@link initBackend}) and loads the saved
 * model (or ensemble) with {@link loadModelOrEnsemble}; `predictBatch` splits the dialogues into chunks of `batchSize`, which
 * the workers take from a queue as each finishes its last (one `predictBatch` per chunk), and returns the
 * predictions in input order. An error in a worker rejects with the index of the dialogue at fault in the caller's
 * array (`error.dialogueIndex`, and `dialogue <i>:` in the message); `predictSettled` returns every dialogue's
 * outcome instead. A worker that dies fails only the chunks it had in flight and is started again (up to
 * `maxRespawns` times in a row), so the pool keeps serving.
 *
 * Works from the built package (`dist/inference-worker.js`) and from the TypeScript sources
 * (the worker is started with `--import tsx`).
 *
 * @example
 * const pool = await createInferencePool({ modelDir: 'models/mosi' });
 * const predictions = await pool.predictBatch(dialogues); // predictions[i] for dialogues[i]
 * const outcomes = await pool.predictSettled(dialogues); // outcomes[i].status: 'fulfilled' | 'rejected'
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
  const maxRespawns = options.maxRespawns ?? 3;
  assertInteger('maxRespawns', maxRespawns, 0);
  const entry = workerEntry();
  const workerData: PoolWorkerData = { modelDir, backend: options.backend ?? 'wasm', batchSize, exitOnDialogueId: options.exitOnDialogueId };
  const spawn = () => new PoolWorker(new Worker(entry.source, { eval: entry.eval, workerData, execArgv: entry.execArgv }));
  const slots = Array.from({ length: count }, () => new WorkerSlot(spawn, maxRespawns));
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.all(slots.map((slot) => slot.close()));
  };
  try {
    await Promise.all(slots.map((slot) => slot.ready));
  } catch (error) {
    await close();
    throw error;
  }

  function checkCall(dialogues: DialogueInput[]): void {
    if (closed) throw new EmojeInputError('pool', 'an open inference pool', 'a closed pool');
    if (!Array.isArray(dialogues) || dialogues.length === 0) {
      throw new EmojeInputError('dialogues', 'a non-empty array of dialogues', Array.isArray(dialogues) ? 'an empty array' : typeof dialogues);
    }
  }

  /**
   * Runs every chunk and gives each dialogue its outcome. With `stopAtFirst`, stops taking chunks after the first
   * failure (what predictBatch needs); the chunks not run then have no outcome.
   */
  async function runChunks(dialogues: DialogueInput[], predictOptions: PredictOptions | undefined, stopAtFirst: boolean): Promise<(SettledPrediction | undefined)[]> {
    // Chunks of batchSize dialogues go to whichever worker is free (a queue, not one fixed share each),
    // so no worker idles while another still has work, whatever the dialogues' lengths.
    const starts: number[] = [];
    for (let start = 0; start < dialogues.length; start += batchSize) starts.push(start);
    const outcomes: (SettledPrediction | undefined)[] = Array.from({ length: dialogues.length }, () => undefined);
    let next = 0;
    let failed = false;
    const record = (start: number, result: ChunkResult) => {
      if (result.ok) {
        result.predictions.forEach((value, i) => (outcomes[start + i] = { status: 'fulfilled', value }));
        return;
      }
      result.outcomes.forEach((o, i) => {
        if ('p' in o) outcomes[start + i] = { status: 'fulfilled', value: o.p };
        else {
          outcomes[start + i] = { status: 'rejected', reason: dialogueError(start + i, o.e.message, o.e.name) };
          failed = true;
        }
      });
    };
    const drain = async (slot: WorkerSlot) => {
      while (!(stopAtFirst && failed) && next < starts.length) {
        const worker = await slot.acquire();
        if (!worker) return; // this place is given up; the other slots take the rest
        if (stopAtFirst && failed) return;
        if (next >= starts.length) return;
        const start = starts[next++];
        const chunk = dialogues.slice(start, start + batchSize);
        try {
          record(start, await worker.run(chunk, predictOptions));
          slot.succeeded();
        } catch (error) {
          // The worker died with this chunk in flight: only this chunk's dialogues fail.
          const cause = error instanceof Error ? error.message : String(error);
          chunk.forEach((_, i) => (outcomes[start + i] = { status: 'rejected', reason: dialogueError(start + i, `${cause} while predicting dialogues ${start}-${start + chunk.length - 1}`, 'InferenceWorkerExitError') }));
          failed = true;
        }
      }
    };
    // Two chunks in flight per worker: the next one is already there when a worker finishes, instead of a round trip later.
    await Promise.all(slots.flatMap((slot) => [drain(slot), drain(slot)]));
    if (!(stopAtFirst && failed)) {
      // Chunks no worker could take: every place in the pool was given up.
      for (let i = 0; i < outcomes.length; i++) {
        if (outcomes[i] === undefined) outcomes[i] = { status: 'rejected', reason: dialogueError(i, `no inference worker left (each died or failed to restart ${maxRespawns + 1} times in a row)`, 'InferenceWorkerExitError') };
      }
    }
    return outcomes;
  }

  return {
    workers: count,
    async predictBatch(dialogues, predictOptions) {
      checkCall(dialogues);
      const outcomes = await runChunks(dialogues, predictOptions, true);
      const first = outcomes.find((o) => o?.status === 'rejected');
      if (first?.status === 'rejected') throw first.reason;
      return outcomes.map((o) => (o as { value: UtterancePrediction[] }).value);
    },
    async predictSettled(dialogues, predictOptions) {
      checkCall(dialogues);
      return (await runChunks(dialogues, predictOptions, false)) as SettledPrediction[];
    },
    close,
  };
}
