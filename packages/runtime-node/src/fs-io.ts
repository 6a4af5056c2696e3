import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkWeightData, loadModel as loadEmojeModel, loadModelOrEnsemble as loadEmojeModelOrEnsemble, type EmojeEnsemble, type EmojeModel } from '@emoje/model';
import { EmojeInputError, describeJsonSyntaxError } from '@emoje/core';
import { replaceDirAtomic, writeFileDurable, type AtomicWriteOptions } from './atomic';

/** The file names a saved model folder holds (the tfjs layers format, as tfjs-node writes it). */
export const MODEL_JSON_FILE = 'model.json';
export const WEIGHTS_BIN_FILE = 'weights.bin';

/** The URL scheme routed to {@link fileSystem} by `model.save(url)` and `tf.loadLayersModel(url)`. */
export const FILE_SCHEME = 'file://';

/** Options of {@link fileSystem}, {@link saveModel} and {@link loadModel}. */
export type FileSystemOptions = AtomicWriteOptions;

function stripScheme(path: string): string {
  return path.startsWith(FILE_SCHEME) ? path.slice(FILE_SCHEME.length) : path;
}

function weightDataBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/** Resolves a manifest path inside `dir`, refusing paths that leave it. */
function weightsPath(dir: string, path: string): string {
  const full = resolve(dir, path);
  const rel = relative(dir, full);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new EmojeInputError('weightsManifest.paths', `a file inside ${dir}`, JSON.stringify(path));
  }
  return full;
}

class FileSystemHandler implements tf.io.IOHandler {
  constructor(
    private readonly path: string,
    private readonly options: FileSystemOptions,
  ) {}

  async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
    if (this.path.endsWith('.json')) {
      throw new EmojeInputError('path', 'a folder to save model.json and weights.bin into', JSON.stringify(this.path));
    }
    if (artifacts.modelTopology instanceof ArrayBuffer) {
      throw new EmojeInputError('modelTopology', 'a JSON model topology (tfjs layers format)', 'a binary topology');
    }
    const write = this.options.writeFile ?? writeFileDurable;
    const modelJSON: tf.io.ModelJSON = {
      modelTopology: artifacts.modelTopology as {},
      weightsManifest: [{ paths: [`./${WEIGHTS_BIN_FILE}`], weights: artifacts.weightSpecs ?? [] }],
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
    };
    if (artifacts.trainingConfig != null) modelJSON.trainingConfig = artifacts.trainingConfig;
    if (artifacts.signature != null) modelJSON.signature = artifacts.signature;
    if (artifacts.userDefinedMetadata != null) modelJSON.userDefinedMetadata = artifacts.userDefinedMetadata;
    if (artifacts.modelInitializer != null) modelJSON.modelInitializer = artifacts.modelInitializer;
    if (artifacts.initializerSignature != null) modelJSON.initializerSignature = artifacts.initializerSignature;

    await replaceDirAtomic(this.path, async (temp) => {
      await write(join(temp, WEIGHTS_BIN_FILE), weightDataBytes(artifacts.weightData));
      await write(join(temp, MODEL_JSON_FILE), JSON.stringify(modelJSON));
    });
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }

  async load(): Promise<tf.io.ModelArtifacts> {
    let jsonPath = resolve(this.path);
    if (!jsonPath.endsWith('.json')) {
      const info = await stat(jsonPath).catch(() => undefined);
      if (info === undefined) throw new EmojeInputError('path', 'a saved model folder or its model.json', `${JSON.stringify(this.path)}, which does not exist`);
      if (info.isDirectory()) jsonPath = join(jsonPath, MODEL_JSON_FILE);
    }
    const dir = dirname(jsonPath);
    let modelJSON: tf.io.ModelJSON;
    try {
      modelJSON = JSON.parse((await readRegularModelFile(jsonPath)).toString('utf8')) as tf.io.ModelJSON;
    } catch (error) {
      if (error instanceof EmojeInputError) throw error;
      // Never the parser's message: V8 quotes the start of the text (issue 19, item 5).
      const why = error instanceof SyntaxError ? describeJsonSyntaxError(error) : `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`;
      throw new EmojeInputError('path', `a readable tfjs ${basename(jsonPath)}`, `${JSON.stringify(jsonPath)}, ${why}`);
    }
    if (modelJSON === null || typeof modelJSON !== 'object' || modelJSON.modelTopology == null || !Array.isArray(modelJSON.weightsManifest)) {
      throw new EmojeInputError(basename(jsonPath), 'a tfjs model JSON with modelTopology and weightsManifest', JSON.stringify(jsonPath));
    }
    checkWeightsManifest(modelJSON.weightsManifest, jsonPath);
    return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of manifest) {
        specs.push(...group.weights);
        const files = group.paths.map((path) => weightsPath(dir, path));
        const groupBuffers: ArrayBuffer[] = [];
        for (const file of files) {
          const bytes = await readRegularModelFile(file);
          groupBuffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
        }
        // Sizes against the manifest and finite values, naming the file, before tfjs decodes anything.
        checkWeightData(group.weights, tf.io.concatenateArrayBuffers(groupBuffers), files.join(' + '));
        buffers.push(...groupBuffers);
      }
      return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
    });
  }
}

/**
 * Reads a file of a saved model, refusing anything but a regular file before opening it (a FIFO named model.json or
 * weights.bin would otherwise hang the load; a device would be read without end).
 */
async function readRegularModelFile(path: string): Promise<Buffer> {
  const info = await stat(path);
  if (!info.isFile()) throw new EmojeInputError('path', `a regular file ${basename(path)}`, `${JSON.stringify(path)}, which is not a regular file`);
  return readFile(path);
}

/** Bytes per element of the dtypes a saved emoje model's weights use. */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** Checks the shape of a `weightsManifest` before tfjs walks it (a fuzzed one crashed with a TypeError). */
function checkWeightsManifest(manifest: unknown[], jsonPath: string): void {
  manifest.forEach((group, g) => {
    const at = `${basename(jsonPath)} weightsManifest[${g}]`;
    const entry = group as { paths?: unknown; weights?: unknown } | null;
    if (!entry || typeof entry !== 'object' || !Array.isArray(entry.paths) || entry.paths.some((p) => typeof p !== 'string')) {
      throw new EmojeInputError(`${at}.paths`, 'an array of weight file names', JSON.stringify(jsonPath));
    }
    if (!Array.isArray(entry.weights)) throw new EmojeInputError(`${at}.weights`, 'an array of {name, shape, dtype}', JSON.stringify(jsonPath));
    entry.weights.forEach((w: { name?: unknown; shape?: unknown; dtype?: unknown } | null, k) => {
      const ok =
        w !== null && typeof w === 'object' && typeof w.name === 'string' && typeof w.dtype === 'string' && w.dtype in DTYPE_BYTES &&
        Array.isArray(w.shape) && w.shape.every((d) => Number.isInteger(d) && d >= 0 && d < 2 ** 31) &&
        !('quantization' in w);
      if (!ok) throw new EmojeInputError(`${at}.weights[${k}]`, `{name, shape: non-negative integers, dtype: ${Object.keys(DTYPE_BYTES).join(' | ')}}`, JSON.stringify(jsonPath));
    });
  });
}

/**
 * A tfjs IOHandler that saves to and loads from a folder on disk, in the format tfjs-node uses
 * (`model.json` with a `weightsManifest`, plus `weights.bin`), without needing tfjs-node.
 *
 * Saving is atomic: both files are written and fsynced in a sibling temporary folder
 * (`<dir>.tmp-<random>`) that is then renamed into place; an existing folder is swapped out and
 * removed only after the new one is in place. A failed save leaves the previous folder intact and
 * no temporary folder behind. Loading accepts the folder or its `model.json`.
 *
 * @param path a folder (a `file://` prefix is accepted); for loading, also `<folder>/model.json`.
 * @example
 * await model.save(fileSystem('models/mosi'));
 * const again = await tf.loadLayersModel(fileSystem('models/mosi'));
 */
export function fileSystem(path: string, options: FileSystemOptions = {}): tf.io.IOHandler {
  const clean = stripScheme(path);
  if (clean.length === 0) throw new EmojeInputError('path', 'a non-empty folder path', JSON.stringify(path));
  return new FileSystemHandler(clean, options);
}

/** Anything with a tfjs `save(handler)` method, such as a `tf.LayersModel`. */
export interface SavableModel {
  save(handler: tf.io.IOHandler): Promise<tf.io.SaveResult>;
}

/**
 * Saves `model` to the folder `dir` atomically (see {@link fileSystem}).
 * @returns tfjs's save result (sizes of the topology and weights).
 */
export function saveModel(model: SavableModel, dir: string, options: FileSystemOptions = {}): Promise<tf.io.SaveResult> {
  return model.save(fileSystem(dir, options));
}

/**
 * Loads a tfjs-layers model from the folder `dir` (or its `model.json`). Custom layers must be
 * registered first, i.e. the packages defining them imported (`@emoje/model` for emoje models).
 * @param options tfjs load options, e.g. `{ strict: false }` to tolerate missing weights.
 */
export function loadLayersModel(dir: string, options: tf.io.LoadOptions = {}): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(fileSystem(dir), options);
}

/**
 * Loads an emoje model (saved by `EmojeModel.save` or {@link saveModel}) from the folder `dir`.
 * @example
 * const model = await loadModel('models/mosi');
 * console.log(await model.predict(dialogue));
 */
export function loadModel(dir: string): Promise<EmojeModel> {
  return loadEmojeModel(fileSystem(dir));
}

/**
 * Loads a saved model or ensemble (`EmojeEnsemble.save`) from the folder `dir`, whichever it holds.
 * @example
 * const model = await loadModelOrEnsemble('models/meld-ensemble');
 * console.log(await model.predict(dialogue), evaluate(model.networks, dataset.test).weightedF1);
 */
export function loadModelOrEnsemble(dir: string): Promise<EmojeModel | EmojeEnsemble> {
  return loadEmojeModelOrEnsemble(fileSystem(dir));
}

let routersRegistered = false;
let inRouter = false;

type Router = (url: string | string[]) => tf.io.IOHandler | null;

/** Returns a handler for `file://` URLs unless another router (tfjs-node's) also claims them. */
function fileRouter(lookup: (url: string) => tf.io.IOHandler[]): Router {
  return (url) => {
    if (inRouter || typeof url !== 'string' || !url.startsWith(FILE_SCHEME)) return null;
    inRouter = true;
    let others: number;
    try {
      others = lookup(url).length;
    } finally {
      inRouter = false;
    }
    return others > 0 ? null : fileSystem(url);
  };
}

/**
 * Registers `file://` save and load routers so `model.save('file://dir')` and
 * `tf.loadLayersModel('file://dir/model.json')` use {@link fileSystem}. Does nothing if a
 * `file://` router is already registered (tfjs-node's), and the routers step aside at call time
 * if one is registered later, so tfjs-node's own handler always wins when present.
 * Called when `@emoje/runtime-node` is imported.
 * @returns whether routers were registered by this call.
 */
export function registerFileSystemRouters(): boolean {
  if (routersRegistered) return false;
  const probe = `${FILE_SCHEME}${resolve('emoje-router-probe')}`;
  if (tf.io.getSaveHandlers(probe).length > 0 || tf.io.getLoadHandlers(probe).length > 0) return false;
  // tfjs types routers as always returning a handler, but its registry skips null results.
  tf.io.registerSaveRouter(fileRouter((url) => tf.io.getSaveHandlers(url)) as (url: string | string[]) => tf.io.IOHandler);
  tf.io.registerLoadRouter(fileRouter((url) => tf.io.getLoadHandlers(url)) as (url: string | string[]) => tf.io.IOHandler);
  routersRegistered = true;
  return true;
}
