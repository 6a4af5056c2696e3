import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { assertFaceApiModule, createFaceApiNets, decodeFaceApiWeights, type FaceApiModule, type FaceApiNetChoice, type FaceApiNets } from './nets';

export * from './index';

/**
 * face-api's build for Node without tfjs-node: CommonJS, `require('@tensorflow/tfjs')` and
 * `require('@tensorflow/tfjs-backend-wasm')` from node_modules, nothing bundled. (Its package `main`,
 * `dist/face-api.node.js`, requires `@tensorflow/tfjs-node` and is never loaded here.)
 */
export const FACE_API_NODE_BUILD = '@vladmandic/face-api/dist/face-api.node-wasm.js';

const requireHere = createRequire(import.meta.url);

function notInstalled(error: unknown): string | null {
  const code = (error as { code?: unknown })?.code;
  if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') return null;
  const message = (error as Error).message;
  for (const name of ['@vladmandic/face-api', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs']) {
    if (message.includes(`'${name}'`) || message.includes(`'${name}/`) || message.includes(`"${name}"`)) return name;
  }
  return null;
}

function installHint(missing: string): Error {
  return new Error(
    `${missing} is not installed. @emoje/face-api-adapter needs, in Node: npm install @vladmandic/face-api @tensorflow/tfjs@^4.22.0 ` +
      '(face-api is an optional peer dependency; its Node build without tfjs-node requires the @tensorflow/tfjs union package)',
  );
}

/**
 * The folder of face-api's weights inside the installed `@vladmandic/face-api` package (`.../@vladmandic/face-api/model`),
 * resolved from this package's location the way `require` would.
 * @throws Error with the install command when face-api is not installed.
 */
export function faceApiModelDir(): string {
  try {
    return join(dirname(requireHere.resolve('@vladmandic/face-api/package.json')), 'model');
  } catch (error) {
    if (notInstalled(error)) throw installHint('@vladmandic/face-api');
    throw error;
  }
}

/**
 * Loads face-api's Node build without tfjs-node ({@link FACE_API_NODE_BUILD}) and checks it shares this package's
 * `@tensorflow/tfjs-core`. Pick the backend first (`initBackend()` of `@emoje/runtime-node`, or `tf.setBackend`):
 * face-api uses whichever backend tfjs has.
 * @throws Error naming the missing package and the install command when face-api or `@tensorflow/tfjs` is absent.
 */
export function requireFaceApi(): FaceApiModule {
  let faceapi: unknown;
  try {
    faceapi = requireHere(FACE_API_NODE_BUILD);
  } catch (error) {
    const missing = notInstalled(error);
    if (missing) throw installHint(missing);
    throw error;
  }
  assertFaceApiModule(faceapi);
  return faceapi;
}

/**
 * Reads one face-api model (`<modelName>-weights_manifest.json` and its `.bin` files) from `modelDir`
 * (default: {@link faceApiModelDir}) into a `NamedTensorMap` on the current backend. The caller owns the tensors.
 */
export function readFaceApiWeights(modelName: string, modelDir: string = faceApiModelDir()): tf.NamedTensorMap {
  const file = join(modelDir, `${modelName}-weights_manifest.json`);
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`face-api weights manifest ${file} could not be read (${(error as Error).message})`);
  }
  return decodeFaceApiWeights(manifest, (path) => readFileSync(join(modelDir, path)));
}

/** Options of {@link loadFaceApiNetsFromDisk}. */
export interface LoadFaceApiNetsFromDiskOptions extends FaceApiNetChoice {
  /** The face-api module. Defaults to {@link requireFaceApi} (the Node build without tfjs-node). */
  faceapi?: unknown;
  /** Folder of the weights. Defaults to {@link faceApiModelDir}: the `model/` folder of the installed face-api package. */
  modelDir?: string;
}

/**
 * Loads face-api's expression network (and, with `landmarks: true | 'tiny'`, a 68-landmark network) from the weights
 * shipped in the installed `@vladmandic/face-api` package, on the current tfjs backend. Release with `disposeFaceApiNets`.
 */
export function loadFaceApiNetsFromDisk(options: LoadFaceApiNetsFromDiskOptions = {}): FaceApiNets {
  const { faceapi = requireFaceApi(), modelDir, ...choice } = options;
  const dir = modelDir ?? faceApiModelDir();
  return createFaceApiNets(faceapi, (name) => readFaceApiWeights(name, dir), choice);
}
