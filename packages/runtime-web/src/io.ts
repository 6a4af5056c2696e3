import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { loadModel, type EmojeModel } from '@emoje/model';

/** The URL scheme of models kept in the browser's IndexedDB (tfjs's `indexeddb://`). */
export const INDEXED_DB_SCHEME = 'indexeddb://';

/** Options of {@link loadModelFromUrl}. */
export interface HttpLoadOptions {
  /** Passed to every `fetch` (headers, credentials, `signal` to abort). Defaults to none. */
  requestInit?: RequestInit;
  /** The fetch function to use. Defaults to `globalThis.fetch`. */
  fetchFunc?: typeof fetch;
  /** Called with the fraction (0 to 1) of weight files fetched. Defaults to none. */
  onProgress?: (fraction: number) => void;
  /** Where the weight files are, if not next to `model.json`. Defaults to the folder of `url`. */
  weightPathPrefix?: string;
}

/** Options of {@link loadModelCached}: {@link HttpLoadOptions} plus the IndexedDB key. */
export interface CachedLoadOptions extends HttpLoadOptions {
  /** The IndexedDB key the model is kept under (see {@link saveModelToIndexedDB}). */
  key: string;
  /** Fetch over HTTP and overwrite the stored copy even if one exists. Defaults to false. */
  refresh?: boolean;
}

/** Where {@link loadModelCached} found the model. */
export type ModelSource = 'indexeddb' | 'http';

function assertUrl(field: string, url: unknown): asserts url is string {
  if (typeof url !== 'string' || url.trim().length === 0) {
    throw new EmojeInputError(field, 'a non-empty URL string (e.g. /models/demo/model.json)', JSON.stringify(url));
  }
}

/**
 * The `indexeddb://` URL of `key`, checking the key: a non-empty string of at most 200 characters.
 * A key that already starts with `indexeddb://` is returned as is.
 * @throws EmojeInputError naming `key`.
 */
export function indexedDbUrl(key: string): string {
  if (typeof key !== 'string') throw new EmojeInputError('key', 'a non-empty string', JSON.stringify(key));
  const bare = key.startsWith(INDEXED_DB_SCHEME) ? key.slice(INDEXED_DB_SCHEME.length) : key;
  if (bare.length === 0 || bare.length > 200) {
    throw new EmojeInputError('key', 'a non-empty string of at most 200 characters', JSON.stringify(key));
  }
  return INDEXED_DB_SCHEME + bare;
}

/** The `indexeddb://` handler of `key`, or a clear error where this runtime has no IndexedDB. */
function indexedDbHandler(key: string, kind: 'save' | 'load'): tf.io.IOHandler {
  const url = indexedDbUrl(key);
  const handlers = kind === 'save' ? tf.io.getSaveHandlers(url) : tf.io.getLoadHandlers(url);
  if (handlers.length === 0) {
    throw new EmojeInputError('key', `a key in a runtime with IndexedDB (a browser; tfjs registers no ${INDEXED_DB_SCHEME} handler here)`, JSON.stringify(key));
  }
  return handlers[0];
}

/**
 * Loads a model saved by `EmojeModel.save` (a `model.json` with its weight files) over HTTP(S).
 * Relative URLs resolve against the page.
 *
 * @example
 * const model = await loadModelFromUrl('/models/demo/model.json', { onProgress: (f) => console.log(f) });
 * @throws EmojeInputError naming `url` when it is not a string; an `Error` naming the URL when the fetch or the model fails.
 */
export async function loadModelFromUrl(url: string, options: HttpLoadOptions = {}): Promise<EmojeModel> {
  assertUrl('url', url);
  const handler = tf.io.http(url, {
    requestInit: options.requestInit,
    fetchFunc: options.fetchFunc,
    onProgress: options.onProgress,
    weightPathPrefix: options.weightPathPrefix,
  });
  try {
    return await loadModel(handler);
  } catch (error) {
    if (error instanceof EmojeInputError) throw error;
    throw new Error(`could not load the emoje model from ${url}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Keeps `model` (config and weights) in the browser's IndexedDB under `key`, replacing what was there.
 *
 * @example
 * await saveModelToIndexedDB(model, 'emoje-demo');
 * const again = await loadModelFromIndexedDB('emoje-demo'); // works offline
 * @throws EmojeInputError naming `key` when it is invalid or the runtime has no IndexedDB.
 */
export async function saveModelToIndexedDB(model: EmojeModel, key: string): Promise<tf.io.SaveResult> {
  return model.save(indexedDbHandler(key, 'save'));
}

/**
 * Loads a model kept by {@link saveModelToIndexedDB}.
 * @throws EmojeInputError naming `key` when it is invalid or the runtime has no IndexedDB; an `Error` naming the key when nothing is stored under it.
 */
export async function loadModelFromIndexedDB(key: string): Promise<EmojeModel> {
  const handler = indexedDbHandler(key, 'load');
  try {
    return await loadModel(handler);
  } catch (error) {
    if (error instanceof EmojeInputError) throw error;
    throw new Error(`could not load the emoje model from ${indexedDbUrl(key)}: ${(error as Error).message}`, { cause: error });
  }
}

/** Whether IndexedDB holds a model under `key` (false where the runtime has no IndexedDB). */
export async function hasModelInIndexedDB(key: string): Promise<boolean> {
  const url = indexedDbUrl(key);
  if (tf.io.getLoadHandlers(url).length === 0) return false;
  const models = await tf.io.listModels();
  return Object.prototype.hasOwnProperty.call(models, url);
}

/** Deletes the model kept under `key`; resolves to whether one was there. */
export async function removeModelFromIndexedDB(key: string): Promise<boolean> {
  if (!(await hasModelInIndexedDB(key))) return false;
  await tf.io.removeModel(indexedDbUrl(key));
  return true;
}

/**
 * Loads the model from IndexedDB if it is kept under `options.key`, else over HTTP from `url` and then
 * keeps it in IndexedDB for the next visit (a failed save only logs a warning: the model is still returned).
 *
 * @example
 * const { model, source } = await loadModelCached('/models/demo/model.json', { key: 'emoje-demo' });
 * console.log(source); // 'http' the first time, 'indexeddb' afterwards
 */
export async function loadModelCached(url: string, options: CachedLoadOptions): Promise<{ model: EmojeModel; source: ModelSource }> {
  assertUrl('url', url);
  if (options == null || typeof options !== 'object') throw new EmojeInputError('options', 'an object with a key', String(options));
  indexedDbUrl(options.key);
  if (!options.refresh && (await hasModelInIndexedDB(options.key))) {
    return { model: await loadModelFromIndexedDB(options.key), source: 'indexeddb' };
  }
  const model = await loadModelFromUrl(url, options);
  if (tf.io.getSaveHandlers(indexedDbUrl(options.key)).length > 0) {
    try {
      await saveModelToIndexedDB(model, options.key);
    } catch (error) {
      console.warn(`emoje: could not keep the model in IndexedDB under ${JSON.stringify(options.key)} (${(error as Error).message}); it will be fetched again next time.`);
    }
  }
  return { model, source: 'http' };
}
