import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { describe } from './util';
import { FACE_API_EXPRESSIONS, FACE_API_EXPRESSION_COUNT, FACE_API_LANDMARK_COUNT, type FaceApiResult } from './results';

/**
 * The part of a face-api network the adapter uses (face-api's `FaceExpressionNet`, `FaceLandmark68Net`,
 * `FaceLandmark68TinyNet`): `forward` on an array of `tf.Tensor3D` face crops resolves to one row per crop
 * (7 softmax probabilities, or 136 interleaved x, y landmark coordinates relative to the crop's width and height).
 */
export interface FaceApiNet {
  readonly isLoaded: boolean;
  forward(input: tf.Tensor3D[]): Promise<tf.Tensor2D>;
  loadFromWeightMap(weightMap: tf.NamedTensorMap): void;
  loadFromUri(uri: string): Promise<void>;
  dispose(throwOnRedispose?: boolean): void;
}

/** The face-api module, structurally: its network classes, and `tf` (the tfjs it was loaded with) when it exports one. */
export interface FaceApiModule {
  FaceExpressionNet: new () => FaceApiNet;
  FaceLandmark68Net: new () => FaceApiNet;
  FaceLandmark68TinyNet: new () => FaceApiNet;
  tf?: { Tensor?: unknown };
  version?: unknown;
}

/** Loaded face-api networks: an expression net, a landmark net, or both. */
export interface FaceApiNets {
  expression?: FaceApiNet;
  landmarks?: FaceApiNet;
}

/** Which networks to load. */
export interface FaceApiNetChoice {
  /** face-api's expression network (`face_expression_model`, 329 kB). Defaults to true. */
  expression?: boolean;
  /** A landmark network: `true` = `face_landmark_68_model` (357 kB), `'tiny'` = `face_landmark_68_tiny_model` (77 kB). Defaults to false. */
  landmarks?: boolean | 'tiny';
}

/** face-api's model names (the `<name>-weights_manifest.json` files in its `model/` folder) for each network. */
export const FACE_API_MODEL_NAMES = {
  expression: 'face_expression_model',
  landmarks: 'face_landmark_68_model',
  landmarksTiny: 'face_landmark_68_tiny_model',
} as const;

/** One weight group of a tfjs weights manifest (`<name>-weights_manifest.json`). */
export interface WeightsManifestGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

/**
 * Throws unless `faceapi` looks like the face-api module and, when it exports its `tf`, uses the same
 * `@tensorflow/tfjs-core` as this package (a second copy would make face-api reject this package's tensors).
 */
export function assertFaceApiModule(faceapi: unknown): asserts faceapi is FaceApiModule {
  const m = faceapi as Partial<FaceApiModule> | null;
  for (const name of ['FaceExpressionNet', 'FaceLandmark68Net', 'FaceLandmark68TinyNet'] as const) {
    if (m === null || (typeof m !== 'object' && typeof m !== 'function') || typeof m[name] !== 'function') {
      throw new EmojeInputError(`faceapi.${name}`, 'the @vladmandic/face-api module (its network classes)', m === null ? 'null' : typeof m?.[name]);
    }
  }
  const theirs = m!.tf?.Tensor;
  if (theirs !== undefined && theirs !== tf.Tensor) {
    throw new EmojeInputError(
      'faceapi.tf',
      'face-api loaded with the same @tensorflow/tfjs-core as @emoje/face-api-adapter',
      'another copy of tfjs',
      "Use face-api's non-bundled builds (dist/face-api.node-wasm.js in Node, dist/face-api.esm-nobundle.js with a bundler) with one @tensorflow/tfjs-core 4.22 in node_modules",
    );
  }
}

function netsToLoad(choice: FaceApiNetChoice): Array<['expression' | 'landmarks', keyof typeof FACE_API_MODEL_NAMES]> {
  if (choice === null || typeof choice !== 'object') throw new EmojeInputError('options', 'an options object', String(choice));
  const expression = choice.expression ?? true;
  const landmarks = choice.landmarks ?? false;
  if (typeof expression !== 'boolean') throw new EmojeInputError('options.expression', 'a boolean', String(expression));
  if (landmarks !== true && landmarks !== false && landmarks !== 'tiny') throw new EmojeInputError('options.landmarks', "true, false or 'tiny'", String(landmarks));
  const out: Array<['expression' | 'landmarks', keyof typeof FACE_API_MODEL_NAMES]> = [];
  if (expression) out.push(['expression', 'expression']);
  if (landmarks) out.push(['landmarks', landmarks === 'tiny' ? 'landmarksTiny' : 'landmarks']);
  if (out.length === 0) throw new EmojeInputError('options', 'at least one network (expression or landmarks)', 'none');
  return out;
}

function construct(faceapi: FaceApiModule, which: keyof typeof FACE_API_MODEL_NAMES): FaceApiNet {
  if (which === 'expression') return new faceapi.FaceExpressionNet();
  return which === 'landmarks' ? new faceapi.FaceLandmark68Net() : new faceapi.FaceLandmark68TinyNet();
}

/**
 * Creates face-api networks from weights you already hold (one tfjs `NamedTensorMap` per model name of
 * {@link FACE_API_MODEL_NAMES}, e.g. from {@link decodeFaceApiWeights}). The networks take ownership of the tensors;
 * release them with {@link disposeFaceApiNets}.
 */
export function createFaceApiNets(faceapi: unknown, weights: (modelName: string) => tf.NamedTensorMap, choice: FaceApiNetChoice = {}): FaceApiNets {
  assertFaceApiModule(faceapi);
  const nets: FaceApiNets = {};
  try {
    for (const [slot, which] of netsToLoad(choice)) {
      const net = construct(faceapi, which);
      const weightMap = weights(FACE_API_MODEL_NAMES[which]);
      try {
        net.loadFromWeightMap(weightMap);
      } catch (error) {
        tf.dispose(weightMap);
        throw error;
      }
      nets[slot] = net;
    }
  } catch (error) {
    disposeFaceApiNets(nets);
    throw error;
  }
  return nets;
}

/**
 * Loads face-api networks over HTTP with face-api's own `loadFromUri` (in a browser: serve the `model/` folder of
 * `@vladmandic/face-api` and pass its URL). In Node use `loadFaceApiNetsFromDisk` from `@emoje/face-api-adapter/node`.
 */
export async function loadFaceApiNets(faceapi: unknown, modelUrl: string, choice: FaceApiNetChoice = {}): Promise<FaceApiNets> {
  assertFaceApiModule(faceapi);
  if (typeof modelUrl !== 'string' || modelUrl === '') throw new EmojeInputError('modelUrl', "the URL of face-api's model/ folder", String(modelUrl));
  const nets: FaceApiNets = {};
  try {
    for (const [slot, which] of netsToLoad(choice)) {
      const net = construct(faceapi, which);
      await net.loadFromUri(modelUrl);
      nets[slot] = net;
    }
  } catch (error) {
    disposeFaceApiNets(nets);
    throw error;
  }
  return nets;
}

/**
 * Decodes a tfjs weights manifest (parsed JSON, an array of groups) whose binary files `readFile` returns by path,
 * into a `NamedTensorMap` (quantised uint8/uint16 weights are dequantised). The caller owns the tensors.
 */
export function decodeFaceApiWeights(manifest: unknown, readFile: (path: string) => ArrayBuffer | Uint8Array): tf.NamedTensorMap {
  if (!Array.isArray(manifest) || manifest.length === 0) throw new EmojeInputError('manifest', 'a tfjs weights manifest: a non-empty array of { paths, weights }', JSON.stringify(manifest)?.slice(0, 80) ?? String(manifest));
  const map: tf.NamedTensorMap = {};
  try {
    (manifest as WeightsManifestGroup[]).forEach((group, g) => {
      if (group === null || typeof group !== 'object' || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
        throw new EmojeInputError(`manifest[${g}]`, 'a weight group { paths: string[], weights: [...] }', JSON.stringify(group)?.slice(0, 80) ?? String(group));
      }
      const parts = group.paths.map((p) => {
        const data = readFile(p);
        return data instanceof Uint8Array ? data : new Uint8Array(data);
      });
      const joined = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
      let offset = 0;
      for (const p of parts) {
        joined.set(p, offset);
        offset += p.byteLength;
      }
      const expected = group.weights.reduce((n, w) => {
        const count = w.shape.reduce((a, b) => a * b, 1);
        const bytes = w.quantization ? (w.quantization.dtype === 'uint8' ? 1 : 2) : 4;
        return n + count * bytes;
      }, 0);
      if (joined.byteLength !== expected) {
        throw new EmojeInputError(`manifest[${g}].paths`, `${expected} bytes of weights`, `${joined.byteLength} bytes in ${group.paths.join(', ')}`);
      }
      Object.assign(map, tf.io.decodeWeights(joined.buffer, group.weights));
    });
  } catch (error) {
    tf.dispose(map);
    throw error;
  }
  return map;
}

/** Disposes every network of `nets` (their weights). */
export function disposeFaceApiNets(nets: FaceApiNets): void {
  nets.expression?.dispose(false);
  nets.landmarks?.dispose(false);
}

/** Options of {@link runFaceApiNets}. */
export interface RunFaceApiNetsOptions {
  /** Detection score per frame (one per crop, read where the crop is not null), e.g. from face-api's detector. Defaults to 1. */
  scores?: ArrayLike<number>;
  /** Crops per forward pass. Defaults to 16. */
  batchSize?: number;
}

function assertCrop(field: string, crop: unknown): asserts crop is tf.Tensor3D {
  if (!(crop instanceof tf.Tensor)) {
    throw new EmojeInputError(field, 'a tf.Tensor3D [height, width, 3] (an RGB face crop, values 0-255) or null', describe(crop));
  }
  const [h, w, c] = crop.shape;
  if (crop.rank !== 3 || c !== 3 || !(h > 0 && w > 0)) throw new EmojeInputError(field, 'shape [height, width, 3] (an RGB face crop, values 0-255)', `shape [${crop.shape.join(', ')}]`);
  if (crop.dtype !== 'float32' && crop.dtype !== 'int32') throw new EmojeInputError(field, 'dtype float32 or int32', `dtype ${crop.dtype}`);
}

/**
 * Runs face-api's networks on face crops, one per video frame, without face-api's canvas or DOM code:
 * tensors go straight into the networks (face-api pads each crop to a square and resizes it to 112 x 112 itself).
 *
 * @param crops one `tf.Tensor3D [height, width, 3]` RGB crop (values 0-255) per frame, `null` where no face was
 * detected. The crops are not disposed.
 * @returns one {@link FaceApiResult} per frame (`null` where the crop was `null`): `expressions` as a
 * `{ neutral, happy, sad, angry, fearful, disgusted, surprised }` record of probabilities, `landmarks` as 68 points in the
 * crop's pixel coordinates, `detection.score` from `options.scores` (1 by default). Feed them to `faceApiUtteranceVector`.
 */
export async function runFaceApiNets(
  nets: FaceApiNets,
  crops: ReadonlyArray<tf.Tensor3D | null | undefined>,
  options: RunFaceApiNetsOptions = {},
): Promise<Array<FaceApiResult | null>> {
  if (nets === null || typeof nets !== 'object' || (!nets.expression && !nets.landmarks)) {
    throw new EmojeInputError('nets', 'face-api networks { expression?, landmarks? } with at least one', describe(nets));
  }
  for (const slot of ['expression', 'landmarks'] as const) {
    const net = nets[slot];
    if (net && (typeof net.forward !== 'function' || !net.isLoaded)) throw new EmojeInputError(`nets.${slot}`, 'a loaded face-api network', typeof net.forward !== 'function' ? 'an object without forward()' : 'a network without weights');
  }
  if (!Array.isArray(crops)) throw new EmojeInputError('crops', 'an array with one face crop (tf.Tensor3D) or null per frame', describe(crops));
  const { scores, batchSize = 16 } = options ?? {};
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new EmojeInputError('options.batchSize', 'a positive integer', String(batchSize));
  if (scores !== undefined && (scores === null || typeof scores !== 'object' || scores.length !== crops.length)) {
    throw new EmojeInputError('options.scores', `one detection score per crop (${crops.length})`, describe(scores));
  }
  const present: number[] = [];
  crops.forEach((crop, t) => {
    if (crop == null) return;
    assertCrop(`crops[${t}]`, crop);
    present.push(t);
    if (scores) {
      const s = scores[t];
      if (typeof s !== 'number' || !(s >= 0 && s <= 1)) throw new EmojeInputError(`options.scores[${t}]`, 'a score in [0, 1]', String(s));
    }
  });
  const out: Array<FaceApiResult | null> = crops.map(() => null);
  for (let start = 0; start < present.length; start += batchSize) {
    const frames = present.slice(start, start + batchSize);
    const batch = frames.map((t) => crops[t] as tf.Tensor3D);
    const expressions = nets.expression ? await readRows(nets.expression, batch, FACE_API_EXPRESSION_COUNT, 'nets.expression') : null;
    const landmarks = nets.landmarks ? await readRows(nets.landmarks, batch, 2 * FACE_API_LANDMARK_COUNT, 'nets.landmarks') : null;
    frames.forEach((t, i) => {
      const result: FaceApiResult = { detection: { score: scores ? scores[t] : 1 } };
      if (expressions) {
        const row = expressions.subarray(i * FACE_API_EXPRESSION_COUNT, (i + 1) * FACE_API_EXPRESSION_COUNT);
        result.expressions = Object.fromEntries(FACE_API_EXPRESSIONS.map((name, e) => [name, row[e]]));
      }
      if (landmarks) {
        const [h, w] = batch[i].shape;
        const row = landmarks.subarray(i * 2 * FACE_API_LANDMARK_COUNT, (i + 1) * 2 * FACE_API_LANDMARK_COUNT);
        result.landmarks = Array.from({ length: FACE_API_LANDMARK_COUNT }, (_, k) => ({ x: row[2 * k] * w, y: row[2 * k + 1] * h }));
      }
      out[t] = result;
    });
  }
  return out;
}

async function readRows(net: FaceApiNet, batch: tf.Tensor3D[], width: number, field: string): Promise<Float32Array> {
  const output = await net.forward(batch);
  try {
    if (output.rank !== 2 || output.shape[0] !== batch.length || output.shape[1] !== width) {
      throw new EmojeInputError(`${field} output`, `shape [${batch.length}, ${width}]`, `shape [${output.shape.join(', ')}]`, 'Is it the right network?');
    }
    const values = (await output.data()) as Float32Array;
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) {
        throw new EmojeInputError(`${field} output`, 'finite values', `${values[i]} for crop ${Math.floor(i / width)} of the batch`, 'Check that the crops hold finite pixel values');
      }
    }
    return values;
  } finally {
    output.dispose();
  }
}
