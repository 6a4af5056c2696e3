import * as tf from '@tensorflow/tfjs-core';
import {
  BackendAbsentError,
  createBackendInitializer,
  selectBackend,
  type BackendCandidate,
  type BackendLogger,
  type BackendSelection,
  type CachedInitOptions,
} from '@emoje/core';
import { registerWasmKernels, unregisterWasmKernels } from '@emoje/wasm-kernels';

/** The tfjs backends runtime-node can pick, best first. */
export const NODE_BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
/** A backend name runtime-node knows. */
export type NodeBackendName = (typeof NODE_BACKENDS)[number];

/** The optional native packages, tried in this order for the `tensorflow` backend. */
export const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** Loads a module by specifier; the seam tests use to simulate absent or broken packages. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

/** The default {@link ModuleImporter}: a plain dynamic `import()`. */
export const defaultImporter: ModuleImporter = (specifier) => import(/* @vite-ignore */ specifier);

/** Options of {@link initBackend}. */
export interface InitBackendOptions extends CachedInitOptions {
  /**
   * Backends to try, in this order. Both native packages provide `tensorflow`
   * (GPU first). Defaults to `['tensorflow', 'wasm', 'cpu']`.
   */
  order?: readonly NodeBackendName[];
  /** Force one backend: only it is tried, and failure throws. Defaults to none (use `order`). */
  backend?: NodeBackendName;
  /**
   * Where messages go: `debug` for normal absences (no native package installed), `warn` for a
   * package that is installed but fails to load. Defaults to silent debug and `console.warn`.
   */
  logger?: Partial<BackendLogger>;
  /** Loads each backend package. Defaults to {@link defaultImporter} (dynamic `import()`). */
  importer?: ModuleImporter;
}

/**
 * Whether `error` says that `specifier` itself is not installed, as opposed to an installed
 * package failing (a missing shared library, a missing file inside it). Recognises Node's
 * `ERR_MODULE_NOT_FOUND` / `MODULE_NOT_FOUND` and the resolvers of bundlers and test runners
 * (`Could not resolve "x"`), in each case only when the message names `specifier` itself.
 */
export function isModuleNotFound(error: unknown, specifier: string): boolean {
  if (!(error instanceof Error)) return false;
  const named = error.message.includes(`'${specifier}'`) || error.message.includes(`"${specifier}"`);
  if (!named) return false;
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return true;
  return /^(Cannot find (package|module)|Could not resolve|Failed to resolve)\b/.test(error.message);
}

async function importPackage(importer: ModuleImporter, specifier: string): Promise<unknown> {
  try {
    return await importer(specifier);
  } catch (error) {
    if (isModuleNotFound(error, specifier)) throw new BackendAbsentError(`${specifier} is not installed`);
    throw error;
  }
}

interface WasmModule {
  getThreadsCount?: () => number;
}

/**
 * The candidates runtime-node tries, best first: the native TensorFlow binding (GPU build, then
 * CPU build), the embedded WebAssembly backend (SIMD on; tfjs keeps wasm threads off in Node),
 * and the plain JavaScript `cpu` backend.
 */
export function nodeBackendCandidates(importer: ModuleImporter = defaultImporter): BackendCandidate[] {
  let wasm: WasmModule | undefined;
  return [
    ...NATIVE_PACKAGES.map(
      (source): BackendCandidate => ({
        name: 'tensorflow',
        source,
        load: async () => {
          await importPackage(importer, source);
        },
      }),
    ),
    {
      name: 'wasm',
      source: '@tensorflow/tfjs-backend-wasm',
      load: async () => {
        wasm = (await importPackage(importer, '@tensorflow/tfjs-backend-wasm')) as WasmModule;
      },
      details: async () => {
        const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
        let threads = 1;
        try {
          threads = wasm?.getThreadsCount?.() ?? 1;
        } catch {
          threads = 1;
        }
        // EMOJE_FUSED_KERNELS=off keeps the op-by-op path (to compare, or to rule the kernels out when debugging).
        if (process.env.EMOJE_FUSED_KERNELS === 'off') {
          unregisterWasmKernels();
          return { simd, threads, fusedKernels: 0 };
        }
        const fused = await registerWasmKernels();
        return { simd, threads, fusedKernels: fused.kernels.length };
      },
    },
    {
      name: 'cpu',
      source: '@tensorflow/tfjs-backend-cpu',
      load: async () => {
        await importPackage(importer, '@tensorflow/tfjs-backend-cpu');
      },
    },
  ];
}

const initializer = createBackendInitializer<InitBackendOptions>(
  (options) =>
    selectBackend(nodeBackendCandidates(options.importer), {
      order: options.order,
      backend: options.backend,
      logger: options.logger,
    }),
  (options) => [JSON.stringify(options.order ?? null), options.backend, options.logger, options.importer],
);

/**
 * Picks and activates the best tfjs backend available in this Node process.
 *
 * Default order: `tensorflow` via `@tensorflow/tfjs-node-gpu`, `tensorflow` via
 * `@tensorflow/tfjs-node`, `wasm` (`@tensorflow/tfjs-backend-wasm`, the embedded default), `cpu`.
 * The native packages are optional peers: their absence is logged at debug level; an installed
 * but broken one (e.g. missing CUDA libraries) gives one warning line and the next is tried.
 *
 * The selection promise is cached: concurrent and later calls with the same `order`/`backend`
 * share it. A call with a different `order`, `backend`, `logger` or `importer`, or with
 * `reinit: true`, waits for any selection in flight and then selects again, replacing the cache.
 * A failed selection is not cached, so a later call retries.
 *
 * @example
 * const { backend, reason } = await initBackend();   // 'wasm', 'fallback in the default order: ...'
 * await initBackend({ backend: 'cpu' });              // force the reference backend
 * @returns the active backend, its package, why it was chosen, and every attempt.
 * @throws EmojeInputError when `order` or `backend` names an unknown backend.
 * @throws BackendUnavailableError listing every attempt when nothing works.
 */
export function initBackend(options: InitBackendOptions = {}): Promise<BackendSelection> {
  return initializer.init(options);
}

/** Forgets the cached selection so the next {@link initBackend} selects again. The active tfjs backend is unchanged. */
export function resetBackendCache(): void {
  initializer.reset();
}

/**
 * One line for humans: the backend, its package, SIMD/threads for wasm, why it was chosen, and
 * the tfjs version, e.g. `wasm (@tensorflow/tfjs-backend-wasm, SIMD, 1 thread): fallback ...; tfjs-core 4.22.0`.
 * Describes `selection` if given, else the last completed {@link initBackend}, else the active
 * tfjs backend (noting that initBackend has not run).
 */
export function describeBackend(selection?: BackendSelection): string {
  return initializer.describe(selection);
}
