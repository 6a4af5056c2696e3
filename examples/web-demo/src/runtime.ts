/// <reference types="vite/client" />
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_LOADERS, WEB_BACKENDS, initBackend, type BackendSelection, type WebBackendName } from '@emoje/runtime-web';
// The wasm binaries, emitted by Vite as hashed assets and handed to tfjs (the threaded one is never used, see below).
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';

/** The backend named by `?backend=` in the page URL, if it is one runtime-web knows. */
export function requestedBackend(search = location.search): WebBackendName | undefined {
  const name = new URLSearchParams(search).get('backend');
  return (WEB_BACKENDS as readonly string[]).includes(name ?? '') ? (name as WebBackendName) : undefined;
}

/**
 * Starts tfjs with the best backend (or the one forced). The wasm backend runs single-threaded: its threaded
 * build needs cross-origin isolation (COOP/COEP headers) and hung in a minified production build, so the
 * demo neither sends those headers nor lets tfjs pick the threaded binary.
 */
export function startBackend(options: { backend?: WebBackendName; order?: readonly WebBackendName[]; reinit?: boolean } = {}): Promise<BackendSelection> {
  return initBackend({
    // a forced `?backend=webgpu` takes a software fallback adapter; "best available" skips it (runtime-web)
    backend: options.backend,
    order: options.order,
    reinit: options.reinit,
    // tfjs wants an entry for all three binaries; the threaded one is never fetched (multithreading is off),
    // so it points at the SIMD binary instead of adding 1 MB of unused wasm to the build
    wasmPaths: { 'tfjs-backend-wasm.wasm': wasmPlainUrl, 'tfjs-backend-wasm-simd.wasm': wasmSimdUrl, 'tfjs-backend-wasm-threaded-simd.wasm': wasmSimdUrl },
    loaders: {
      wasm: async () => {
        const module = await DEFAULT_LOADERS.wasm();
        tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
        return module;
      },
    },
    logger: { debug: () => undefined, warn: (m) => console.warn(m) },
  });
}

declare const __DEMO_MODEL_PATH__: string;
declare const __DEMO_MODEL_HASH__: string;

/** The URL of the model the page loads (set in one place: `DEMO_MODEL_DIR` in vite.config.ts). */
export const DEMO_MODEL_URL = new URL(`${import.meta.env.BASE_URL}${__DEMO_MODEL_PATH__}`, location.href).href;

/** The IndexedDB key the page keeps the model under: the model's path and a hash of its files. */
export const DEMO_MODEL_KEY = `emoje-web-demo/${__DEMO_MODEL_PATH__}/${__DEMO_MODEL_HASH__}`;

declare const __MELD_URLS__: { pretrained: string; encoder: string };
declare const __MELD_MODEL_HASH__: string;

/** Where the MELD model (`@emoje/pretrained`'s assets folder) and USE-lite's files are served, as absolute URLs. */
export const MELD_URLS = {
  pretrained: new URL(`${import.meta.env.BASE_URL}${__MELD_URLS__.pretrained}`, location.href).href,
  encoder: new URL(`${import.meta.env.BASE_URL}${__MELD_URLS__.encoder}`, location.href).href,
  /** The MELD model's `model.json`. */
  model: new URL(`${import.meta.env.BASE_URL}${__MELD_URLS__.pretrained}meld/model.json`, location.href).href,
};

/** The IndexedDB key of the MELD model: its path and a hash of its files (USE-lite is kept in the Cache API instead). */
export const MELD_MODEL_KEY = `emoje-web-demo/${__MELD_URLS__.pretrained}meld/${__MELD_MODEL_HASH__}`;
