import * as tf from '@tensorflow/tfjs-core';
import {
  BackendAbsentError,
  BackendSkippedError,
  createBackendInitializer,
  selectBackend,
  type BackendCandidate,
  type BackendLogger,
  type BackendSelection,
  type CachedInitOptions,
  type SelectBackendOptions,
} from '@emoje/core';
import { registerWasmKernels } from '@emoje/wasm-kernels';

/** The tfjs backends runtime-web can pick, best first. */
export const WEB_BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
/** A backend name runtime-web knows. */
export type WebBackendName = (typeof WEB_BACKENDS)[number];

/** The package that provides each backend. */
export const WEB_BACKEND_PACKAGES: Readonly<Record<WebBackendName, string>> = {
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  webgl: '@tensorflow/tfjs-backend-webgl',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

/** Imports one backend package (which registers it with tfjs) and resolves to the module. */
export type BackendModuleLoader = () => Promise<unknown>;

/**
 * The default loaders: dynamic imports with literal specifiers, so bundlers split each backend
 * into its own chunk that is fetched only when tried.
 */
export const DEFAULT_LOADERS: Readonly<Record<WebBackendName, BackendModuleLoader>> = {
  webgpu: () => import('@tensorflow/tfjs-backend-webgpu'),
  webgl: () => import('@tensorflow/tfjs-backend-webgl'),
  wasm: () => import('@tensorflow/tfjs-backend-wasm'),
  cpu: () => import('@tensorflow/tfjs-backend-cpu'),
};

/** Where the `.wasm` binaries are: a folder URL prefix, or one URL per binary (see tfjs `setWasmPaths`). */
export type WasmPaths = string | Partial<Record<'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm', string>>;

/** Options of {@link initBackend}. */
export interface WebInitBackendOptions extends CachedInitOptions {
  /** Backends to try, in this order. Defaults to `['webgpu', 'webgl', 'wasm', 'cpu']`. */
  order?: readonly WebBackendName[];
  /** Force one backend: only it is tried, and failure throws. Defaults to none (use `order`). */
  backend?: WebBackendName;
  /**
   * Where the wasm binaries are served from, passed to tfjs `setWasmPaths` before the wasm backend
   * starts (needed when a bundler does not copy them next to the script). Defaults to tfjs's own
   * lookup (next to the script).
   */
  wasmPaths?: WasmPaths;
  /** Where messages go. Defaults to silent debug and `console.warn`. */
  logger?: Partial<BackendLogger>;
  /** Replace the module loader of some backends (tests, custom builds). Defaults to {@link DEFAULT_LOADERS}. */
  loaders?: Partial<Record<WebBackendName, BackendModuleLoader>>;
  /**
   * The object WebGPU is detected on (`gpu` property). Defaults to `globalThis.navigator`;
   * WebGPU is tried only when `navigator.gpu` exists.
   */
  navigator?: { gpu?: unknown } | null;
  /**
   * Use WebGPU even when the only adapter is a software fallback (`isFallbackAdapter`, e.g. SwiftShader in a
   * browser without a usable GPU), which is much slower than WebAssembly. Defaults to `false`, unless
   * `backend: 'webgpu'` forces WebGPU, which then takes whatever adapter there is.
   */
  allowFallbackAdapter?: boolean;
  /**
   * Use WebGL even when it renders in software (SwiftShader, llvmpipe: a browser without a usable GPU), which is
   * much slower than WebAssembly. Defaults to `false`, unless `backend: 'webgl'` forces WebGL.
   */
  allowSoftwareWebGL?: boolean;
  /**
   * Returns the WebGL renderer's name, or null when it cannot tell. Defaults to {@link webglRendererName}
   * (a 1x1 canvas and `WEBGL_debug_renderer_info`; null outside a browser).
   */
  webglRenderer?: () => string | null;
  /** Makes a loaded backend active. Defaults to `tf.setBackend(name)` then `tf.ready()`. */
  activate?: SelectBackendOptions['activate'];
}

interface WasmModule {
  setWasmPaths?: (paths: WasmPaths) => void;
  getThreadsCount?: () => number;
}

function defaultNavigator(): { gpu?: unknown } | null {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  return nav ?? null;
}

/** The parts of a `GPUAdapter` the selection reads (`isFallbackAdapter` moved into `info` in newer browsers). */
export interface WebGpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: { isFallbackAdapter?: boolean; vendor?: string; architecture?: string; description?: string };
}

/** Whether a WebGPU adapter is a software fallback (`adapter.isFallbackAdapter` or `adapter.info.isFallbackAdapter`). */
export function isFallbackAdapter(adapter: WebGpuAdapterLike): boolean {
  return adapter.isFallbackAdapter === true || adapter.info?.isFallbackAdapter === true;
}

/** `google swiftshader`-style name of an adapter, for messages ('' when the browser says nothing). */
function adapterName(adapter: WebGpuAdapterLike): string {
  const info = adapter.info ?? {};
  return [info.vendor, info.architecture, info.description].filter((s) => typeof s === 'string' && s.length > 0).join(' ');
}

/** tfjs's `WEBGPU_USE_LOW_POWER_GPU` flag, false while the WebGPU backend (which registers it) is not loaded. */
function lowPowerFlag(): boolean {
  try {
    return tf.env().getBool('WEBGPU_USE_LOW_POWER_GPU');
  } catch {
    return false;
  }
}

/** Renderer names of software WebGL implementations (a CPU emulating a GPU). */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software rasterizer|microsoft basic render/i;

/** The software renderer `renderer` names (e.g. `SwiftShader`), or null for a hardware one. */
export function softwareRenderer(renderer: string | null | undefined): string | null {
  return renderer ? (SOFTWARE_RENDERER.exec(renderer)?.[0] ?? null) : null;
}

/**
 * The name of the browser's WebGL renderer (`UNMASKED_RENDERER_WEBGL` where the browser gives it, else
 * `RENDERER`), read from a 1x1 canvas whose context is released at once; null where there is no canvas or no WebGL.
 */
export function webglRendererName(): string | null {
  try {
    const g = globalThis as { OffscreenCanvas?: new (w: number, h: number) => { getContext(kind: string): unknown }; document?: { createElement(tag: string): { getContext(kind: string): unknown } } };
    const canvas = g.OffscreenCanvas ? new g.OffscreenCanvas(1, 1) : g.document?.createElement('canvas');
    if (!canvas) return null;
    type Gl = { RENDERER: number; getExtension(name: string): unknown; getParameter(p: number): unknown };
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as Gl | null;
    if (!gl) return null;
    const info = gl.getExtension('WEBGL_debug_renderer_info') as { UNMASKED_RENDERER_WEBGL: number } | null;
    const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
    (gl.getExtension('WEBGL_lose_context') as { loseContext(): void } | null)?.loseContext();
    return name || null;
  } catch {
    return null;
  }
}

/**
 * Asks the browser for the adapter tfjs's WebGPU backend will get (same `powerPreference`) and refuses a
 * software fallback unless allowed.
 * @throws BackendAbsentError when there is no adapter at all.
 * @throws BackendSkippedError when the adapter is a fallback and `allowFallback` is false.
 */
async function checkWebGpuAdapter(gpu: unknown, allowFallback: boolean): Promise<void> {
  const request = (gpu as { requestAdapter?: (options?: { powerPreference?: string }) => Promise<WebGpuAdapterLike | null> }).requestAdapter;
  if (typeof request !== 'function') throw new BackendAbsentError('WebGPU is not available (navigator.gpu.requestAdapter is not a function)');
  const powerPreference = lowPowerFlag() ? 'low-power' : 'high-performance';
  const adapter = await request.call(gpu, { powerPreference });
  if (adapter == null) throw new BackendAbsentError('WebGPU is not available (navigator.gpu.requestAdapter() returned no adapter)');
  if (!allowFallback && isFallbackAdapter(adapter)) {
    const name = adapterName(adapter);
    throw new BackendSkippedError(
      `the only WebGPU adapter is a software fallback${name ? ` (${name})` : ''}, slower than WebAssembly; pass allowFallbackAdapter: true or backend: 'webgpu' to use it`,
    );
  }
}

/**
 * The candidates runtime-web tries, best first: WebGPU (only where `navigator.gpu` gives an adapter, and not a
 * software fallback adapter unless `allowFallbackAdapter` or `backend: 'webgpu'`), WebGL (fails over when tfjs
 * cannot create a WebGL context; skipped when it renders in software unless `allowSoftwareWebGL` or
 * `backend: 'webgl'`), WebAssembly, and plain JS `cpu`.
 */
export function webBackendCandidates(
  options: Pick<WebInitBackendOptions, 'loaders' | 'navigator' | 'wasmPaths' | 'allowFallbackAdapter' | 'allowSoftwareWebGL' | 'webglRenderer' | 'backend'> = {},
): BackendCandidate[] {
  const loaders = { ...DEFAULT_LOADERS, ...options.loaders };
  let wasm: WasmModule | undefined;
  return [
    {
      name: 'webgpu',
      source: WEB_BACKEND_PACKAGES.webgpu,
      load: async () => {
        const nav = options.navigator === undefined ? defaultNavigator() : options.navigator;
        if (nav == null || nav.gpu == null) throw new BackendAbsentError('WebGPU is not available (navigator.gpu is undefined)');
        await checkWebGpuAdapter(nav.gpu, options.allowFallbackAdapter ?? options.backend === 'webgpu');
        await loaders.webgpu();
      },
    },
    {
      name: 'webgl',
      source: WEB_BACKEND_PACKAGES.webgl,
      load: async () => {
        if (!(options.allowSoftwareWebGL ?? options.backend === 'webgl')) {
          const software = softwareRenderer((options.webglRenderer ?? webglRendererName)());
          if (software) {
            throw new BackendSkippedError(`WebGL renders in software (${software}), slower than WebAssembly; pass allowSoftwareWebGL: true or backend: 'webgl' to use it`);
          }
        }
        await loaders.webgl();
      },
    },
    {
      name: 'wasm',
      source: WEB_BACKEND_PACKAGES.wasm,
      load: async () => {
        wasm = (await loaders.wasm()) as WasmModule;
        if (options.wasmPaths !== undefined) {
          if (typeof wasm?.setWasmPaths !== 'function') throw new Error('the wasm backend module has no setWasmPaths');
          wasm.setWasmPaths(options.wasmPaths);
        }
      },
      details: async () => {
        const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
        let threads = 1;
        try {
          threads = wasm?.getThreadsCount?.() ?? 1;
        } catch {
          threads = 1;
        }
        const fused = await registerWasmKernels();
        return { simd, threads, fusedKernels: fused.kernels.length };
      },
    },
    {
      name: 'cpu',
      source: WEB_BACKEND_PACKAGES.cpu,
      load: async () => {
        await loaders.cpu();
      },
    },
  ];
}

const initializer = createBackendInitializer<WebInitBackendOptions>(
  (options) =>
    selectBackend(webBackendCandidates(options), {
      order: options.order,
      backend: options.backend,
      logger: options.logger,
      activate: options.activate,
    }),
  (options) => [
    JSON.stringify(options.order ?? null),
    options.backend,
    JSON.stringify(options.wasmPaths ?? null),
    options.logger,
    options.loaders,
    options.navigator,
    options.allowFallbackAdapter,
    options.allowSoftwareWebGL,
    options.webglRenderer,
    options.activate,
  ],
);

/**
 * Picks and activates the best tfjs backend in this browser: `webgpu` (where `navigator.gpu`
 * gives a hardware adapter; a software fallback adapter such as SwiftShader is skipped, recorded
 * as an attempt with `skipped: true`), `webgl` (unless tfjs fails to create a context; a software renderer such
 * as SwiftShader is skipped the same way), `wasm`, then `cpu`.
 * Normal absences (no WebGPU) are logged at debug level; a backend that is present but fails to
 * start gives one warning line naming its package and the cause.
 *
 * The selection promise is cached: concurrent and later calls with equal options share it. A
 * call with different options, or `reinit: true`, waits for any selection in flight and selects
 * again. A failed selection is not cached.
 *
 * @example
 * const { backend, reason } = await initBackend({ wasmPaths: '/assets/tfjs-wasm/' });
 * @returns the active backend, its package, why it was chosen, and every attempt.
 * @throws EmojeInputError when `order` or `backend` names an unknown backend.
 * @throws BackendUnavailableError listing every attempt when nothing works.
 */
export function initBackend(options: WebInitBackendOptions = {}): Promise<BackendSelection> {
  return initializer.init(options);
}

/** Forgets the cached selection so the next {@link initBackend} selects again. The active tfjs backend is unchanged. */
export function resetBackendCache(): void {
  initializer.reset();
}

/**
 * One line for humans, e.g. `webgl (@tensorflow/tfjs-backend-webgl): fallback ...; tfjs-core 4.22.0`.
 * Describes `selection` if given, else the last completed {@link initBackend}.
 */
export function describeBackend(selection?: BackendSelection): string {
  return initializer.describe(selection);
}
