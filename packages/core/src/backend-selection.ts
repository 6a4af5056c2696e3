/**
 * Backend-agnostic backend selection shared by `@emoje/runtime-node` and `@emoje/runtime-web`:
 * try an ordered list of candidates, record every attempt, and report which one won and why.
 *
 * This module never imports a backend. A runtime supplies its candidates (a tfjs backend
 * name, the package that provides it, and a loader) and, optionally, how to activate a
 * backend once its package is loaded (by default `tf.setBackend(name)` then `tf.ready()`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from './errors';

/** Extra facts a candidate reports about itself once active (wasm: SIMD and threads). */
export interface BackendDetails {
  /** Whether WebAssembly SIMD is in use. Only set by wasm candidates. */
  simd?: boolean;
  /** Number of threads the backend uses. Only set by wasm candidates. */
  threads?: number;
  /** Number of fused kernels (`@emoje/wasm-kernels`) registered for it, 0 when none could be. Only set by wasm candidates. */
  fusedKernels?: number;
}

/** One backend a runtime may use, in priority order. */
export interface BackendCandidate {
  /** The tfjs backend name it registers, e.g. `tensorflow`, `wasm`, `webgl`. */
  readonly name: string;
  /** The npm package that provides it, e.g. `@tensorflow/tfjs-backend-wasm`. */
  readonly source: string;
  /**
   * Imports the package (which registers the backend with tfjs) and checks any precondition.
   * Throw a {@link BackendAbsentError} when the backend is simply not there (package not
   * installed, `navigator.gpu` missing): that is logged at debug level. Any other error
   * means "present but broken" and is reported with one warning.
   */
  load(): Promise<void>;
  /** Called after activation to report {@link BackendDetails}. Defaults to none. */
  details?(): Promise<BackendDetails> | BackendDetails;
}

/** What happened when one candidate was tried. */
export interface BackendAttempt {
  /** The tfjs backend name of the candidate. */
  candidate: string;
  /** The package that provides it. */
  source: string;
  /** Whether it loaded and became the active backend. */
  ok: boolean;
  /** Why it was chosen, or why not (the cause's first line). */
  reason: string;
  /** True when it failed because it is simply not there (debug level, not a warning). */
  absent?: boolean;
  /**
   * True when it is there but was passed over on purpose ({@link BackendSkippedError}, e.g. WebGPU whose only
   * adapter is a software fallback): debug level, not a warning; `reason` says why.
   */
  skipped?: boolean;
}

/** The result of a selection. */
export interface BackendSelection extends BackendDetails {
  /** The active tfjs backend name (`tf.getBackend()`). */
  backend: string;
  /** The package that provides it. */
  source: string;
  /** One sentence saying why this backend was chosen. */
  reason: string;
  /** Every candidate tried, in order, the winner last. */
  attempts: BackendAttempt[];
}

/** Where selection messages go. Debug: normal absences. Warn: a present but broken backend. */
export interface BackendLogger {
  debug(message: string): void;
  warn(message: string): void;
}

/** The default logger: silent debug, `console.warn` for warnings. */
export const defaultBackendLogger: BackendLogger = {
  debug: () => undefined,
  warn: (message) => console.warn(message),
};

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /**
   * Backend names to try, in this order (a subset of the candidates' names). Candidates that
   * share a name (two packages providing `tensorflow`) keep their relative order.
   * Defaults to every candidate in the runtime's order.
   */
  order?: readonly string[];
  /** Force this one backend: only it is tried and failure throws. Defaults to none. */
  backend?: string;
  /** Where messages go. Defaults to {@link defaultBackendLogger}. */
  logger?: Partial<BackendLogger>;
  /**
   * Makes a loaded backend the active one; resolves false (or throws) when its initialisation
   * fails. Defaults to `tf.setBackend(name)` followed by `tf.ready()`.
   */
  activate?: (name: string) => Promise<boolean>;
  /** Prefix of log lines. Defaults to `emoje`. */
  label?: string;
}

/**
 * Thrown by a candidate's `load()` when its backend is simply not available here (package not
 * installed, API missing). Selection logs it at debug level and moves on without a warning.
 */
export class BackendAbsentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendAbsentError';
    Object.setPrototypeOf(this, BackendAbsentError.prototype);
  }
}

/**
 * Thrown by a candidate's `load()` when its backend is there but should not be used by default, e.g. WebGPU
 * whose only adapter is a software fallback (SwiftShader), much slower than WebAssembly. Selection records the
 * attempt with `skipped: true` and the message as its reason, logs it at debug level and moves on without a
 * warning. A runtime should not throw it when the user forced that backend.
 */
export class BackendSkippedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendSkippedError';
    Object.setPrototypeOf(this, BackendSkippedError.prototype);
  }
}

/** Type guard for {@link BackendSkippedError}. */
export function isBackendSkippedError(value: unknown): value is BackendSkippedError {
  return value instanceof BackendSkippedError;
}

/** Type guard for {@link BackendAbsentError}. */
export function isBackendAbsentError(value: unknown): value is BackendAbsentError {
  return value instanceof BackendAbsentError;
}

/** Thrown by {@link selectBackend} when no candidate works; lists every attempt. */
export class BackendUnavailableError extends Error {
  /** Every candidate tried, in order. */
  readonly attempts: BackendAttempt[];

  constructor(attempts: BackendAttempt[]) {
    const lines = attempts.map((a) => `  - ${a.candidate} (${a.source}): ${a.reason}`);
    super(`no tfjs backend could be initialised; tried:\n${lines.join('\n')}`);
    this.name = 'BackendUnavailableError';
    this.attempts = attempts;
    Object.setPrototypeOf(this, BackendUnavailableError.prototype);
  }
}

/** Type guard for {@link BackendUnavailableError}. */
export function isBackendUnavailableError(value: unknown): value is BackendUnavailableError {
  return value instanceof BackendUnavailableError;
}

/** The first line of an error's message (native load errors can span many lines). */
export function errorCause(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n').map((s) => s.trim()).find((s) => s.length > 0);
  return line ?? (error instanceof Error ? error.name : 'unknown error');
}

async function defaultActivate(name: string): Promise<boolean> {
  const ok = await tf.setBackend(name);
  if (ok) await tf.ready();
  return ok;
}

/**
 * Orders `candidates` by `options.order` / `options.backend`, checking the names.
 * @throws EmojeInputError naming the valid backends when a name is unknown.
 */
export function orderCandidates(
  candidates: readonly BackendCandidate[],
  options: Pick<SelectBackendOptions, 'order' | 'backend'> = {},
): BackendCandidate[] {
  const names = [...new Set(candidates.map((c) => c.name))];
  const check = (field: string, name: string) => {
    if (!names.includes(name)) {
      throw new EmojeInputError(field, `one of ${names.map((n) => `'${n}'`).join(', ')}`, `'${name}'`);
    }
  };
  if (options.backend !== undefined) {
    check('backend', options.backend);
    return candidates.filter((c) => c.name === options.backend);
  }
  if (options.order === undefined) return [...candidates];
  if (options.order.length === 0) throw new EmojeInputError('order', 'at least one backend name', '[]');
  const order = [...new Set(options.order)];
  order.forEach((name, i) => check(`order[${i}]`, name));
  return order.flatMap((name) => candidates.filter((c) => c.name === name));
}

/**
 * Tries the candidates in order and activates the first that works.
 *
 * Absent candidates ({@link BackendAbsentError}) are logged at debug level; each present but
 * broken one gives exactly one warning line naming its package and the cause, written once the
 * outcome is known so it can say what is used instead.
 *
 * @returns which backend is active, from which package, why, and every attempt.
 * @throws EmojeInputError when `order` or `backend` names an unknown backend.
 * @throws BackendUnavailableError listing every attempt when none works.
 */
export async function selectBackend(
  candidates: readonly BackendCandidate[],
  options: SelectBackendOptions = {},
): Promise<BackendSelection> {
  const ordered = orderCandidates(candidates, options);
  const logger = { ...defaultBackendLogger, ...options.logger };
  const label = options.label ?? 'emoje';
  const activate = options.activate ?? defaultActivate;
  const attempts: BackendAttempt[] = [];
  const broken: BackendAttempt[] = [];

  for (const candidate of ordered) {
    let failure: BackendAttempt | undefined;
    try {
      await candidate.load();
      const ok = await activate(candidate.name);
      if (!ok) {
        failure = { candidate: candidate.name, source: candidate.source, ok: false, reason: `the ${candidate.name} backend failed to initialise` };
      }
    } catch (error) {
      const absent = isBackendAbsentError(error);
      const skipped = isBackendSkippedError(error);
      failure = { candidate: candidate.name, source: candidate.source, ok: false, reason: errorCause(error), ...(absent ? { absent } : {}), ...(skipped ? { skipped } : {}) };
    }
    if (failure) {
      attempts.push(failure);
      if (failure.absent || failure.skipped) logger.debug(`${label}: ${candidate.name} (${candidate.source}) not used: ${failure.reason}`);
      else broken.push(failure);
      continue;
    }

    const details = candidate.details ? await candidate.details() : {};
    const reason = describeChoice(candidate, attempts, options);
    attempts.push({ candidate: candidate.name, source: candidate.source, ok: true, reason });
    for (const b of broken) {
      logger.warn(`${label}: ${b.source} is installed but could not be used (${b.reason}); using ${candidate.name} (${candidate.source}) instead.`);
    }
    logger.debug(`${label}: using ${candidate.name} (${candidate.source}): ${reason}`);
    return { backend: candidate.name, source: candidate.source, reason, attempts, ...details };
  }

  for (const b of broken) {
    logger.warn(`${label}: ${b.source} is installed but could not be used (${b.reason}).`);
  }
  throw new BackendUnavailableError(attempts);
}

function describeChoice(candidate: BackendCandidate, failed: BackendAttempt[], options: SelectBackendOptions): string {
  if (options.backend !== undefined) return `forced by options.backend = '${options.backend}'`;
  const source = options.order !== undefined ? 'options.order' : 'the default order';
  if (failed.length === 0) return `first choice in ${source}`;
  const passed = failed.map((a) => `${a.source} ${a.absent ? 'not available' : a.skipped ? `skipped (${a.reason})` : 'failed'}`).join(', ');
  return `fallback in ${source}: ${passed}`;
}

/** One line for humans: `wasm (@tensorflow/tfjs-backend-wasm, SIMD, 1 thread): first choice in ...`. */
export function formatBackendSelection(selection: BackendSelection): string {
  const extras = [selection.source];
  if (selection.simd !== undefined) extras.push(selection.simd ? 'SIMD' : 'no SIMD');
  if (selection.threads !== undefined) extras.push(`${selection.threads} thread${selection.threads === 1 ? '' : 's'}`);
  if (selection.fusedKernels) extras.push(`${selection.fusedKernels} fused kernels`);
  return `${selection.backend} (${extras.join(', ')}): ${selection.reason}`;
}

/** Options every runtime's `initBackend` accepts besides its own. */
export interface CachedInitOptions {
  /** Run a new selection even if an equal one is cached. Defaults to false. */
  reinit?: boolean;
}

/** A cached, serialised `initBackend` built by {@link createBackendInitializer}. */
export interface BackendInitializer<O extends CachedInitOptions> {
  /** Selects (or returns the cached selection for equal options). */
  init(options?: O): Promise<BackendSelection>;
  /** Forgets the cached selection; the active tfjs backend is unchanged. */
  reset(): void;
  /** The last successful selection, if any. */
  last(): BackendSelection | undefined;
  /** One line for humans about `selection` (default: the last one) and the tfjs-core version. */
  describe(selection?: BackendSelection): string;
}

/**
 * Wraps a runtime's selection function with the caching rule both runtimes document:
 * the selection *promise* is cached, so concurrent and later calls with equal options share it;
 * a call whose `key` differs (element by element, `Object.is`) or that passes `reinit: true`
 * waits for any selection in flight and then selects again, replacing the cache; a failed
 * selection is not cached, so a later call retries.
 *
 * @param select runs one selection with the caller's options.
 * @param key the options that make two calls different, e.g. `[JSON.stringify(order), backend, logger]`.
 */
export function createBackendInitializer<O extends CachedInitOptions>(
  select: (options: O) => Promise<BackendSelection>,
  key: (options: O) => readonly unknown[],
): BackendInitializer<O> {
  let cache: { key: readonly unknown[]; promise: Promise<BackendSelection> } | undefined;
  let last: BackendSelection | undefined;
  const same = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  return {
    init(options = {} as O) {
      const k = key(options);
      if (cache && !options.reinit && same(cache.key, k)) return cache.promise;
      const previous = cache?.promise.catch(() => undefined) ?? Promise.resolve(undefined);
      const promise = previous.then(() => select(options));
      const entry = { key: k, promise };
      cache = entry;
      promise.then(
        (selection) => {
          last = selection;
        },
        () => {
          if (cache === entry) cache = undefined;
        },
      );
      return promise;
    },
    reset() {
      cache = undefined;
      last = undefined;
    },
    last: () => last,
    describe(selection = last) {
      const suffix = `tfjs-core ${tf.version_core}`;
      if (selection) return `${formatBackendSelection(selection)}; ${suffix}`;
      const active = tf.engine().backendName as string | null | undefined;
      return `${active ?? 'no backend'} (initBackend has not run); ${suffix}`;
    },
  };
}
