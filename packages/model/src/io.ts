import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import type { EmojeNetwork } from './network';

/** The tf.io handler registered for `url` (`file://` needs @emoje/runtime-node, `indexeddb://` a browser). */
export function resolveHandler(url: string, kind: 'save' | 'load'): tf.io.IOHandler {
  const handlers = kind === 'save' ? tf.io.getSaveHandlers(url) : tf.io.getLoadHandlers(url);
  if (handlers.length === 0) {
    throw new EmojeInputError('destination', `a URL with a registered tf.io ${kind} handler (file:// needs @emoje/runtime-node, indexeddb:// a browser)`, JSON.stringify(url));
  }
  return handlers[0];
}

/** A save handler for `destination`, which may be a URL or a handler. */
export function saveHandler(destination: tf.io.IOHandler | string): tf.io.IOHandler & Required<Pick<tf.io.IOHandler, 'save'>> {
  const handler = typeof destination === 'string' ? resolveHandler(destination, 'save') : destination;
  if (!handler.save) throw new EmojeInputError('destination', 'an IOHandler with save()', 'a handler without save');
  return handler as tf.io.IOHandler & Required<Pick<tf.io.IOHandler, 'save'>>;
}

/** Loads the artifacts behind `source` (a URL or a handler) and checks they carry weights. */
export async function loadArtifacts(source: tf.io.IOHandler | string): Promise<tf.io.ModelArtifacts> {
  const handler = typeof source === 'string' ? resolveHandler(source, 'load') : source;
  if (!handler.load) throw new EmojeInputError('source', 'an IOHandler with load()', 'a handler without load');
  return handler.load();
}

/** Every weight of `network`, named `<prefix><layer>/<index>` (the names saved models use). */
export function namedWeights(network: EmojeNetwork, prefix = ''): { name: string; tensor: tf.Tensor }[] {
  return network.layers.flatMap((layer) => layer.weights.map((w, k) => ({ name: `${prefix}${layer.name}/${k}`, tensor: w.read() })));
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/**
 * The number of bytes one weight of a manifest takes in the binary data, or `undefined` for string weights (their
 * length is written inside the data).
 * @throws EmojeInputError on a shape or dtype tfjs cannot decode.
 */
export function weightByteLength(spec: tf.io.WeightsManifestEntry): number | undefined {
  if (!Array.isArray(spec.shape) || spec.shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new EmojeInputError(`weightsManifest.${spec.name}.shape`, 'an array of non-negative integers', JSON.stringify(spec.shape));
  }
  const size = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.quantization) return size * (spec.quantization.dtype === 'uint8' ? 1 : 2);
  if (spec.dtype === 'string') return undefined;
  const bytes = DTYPE_BYTES[spec.dtype];
  if (bytes === undefined) throw new EmojeInputError(`weightsManifest.${spec.name}.dtype`, 'float32, int32, bool, complex64 or string', JSON.stringify(spec.dtype));
  return size * bytes;
}

/**
 * Checks binary weights against their manifest before tfjs decodes them: the length must be what the specs list
 * (a truncated or padded file is named, not left to fail deep in tfjs), and every float32 value must be finite (a
 * NaN weight would predict NaN probabilities).
 * @param where what to name in errors: the file (`models/mosi/weights.bin`) or `'weightData'`.
 * @throws EmojeInputError naming `where`, and the weight and index of the first non-finite value.
 */
export function checkWeightData(specs: readonly tf.io.WeightsManifestEntry[], data: ArrayBuffer, where: string): void {
  const sizes = specs.map(weightByteLength);
  if (sizes.every((n) => n !== undefined)) {
    const expected = (sizes as number[]).reduce((a, b) => a + b, 0);
    if (expected !== data.byteLength) {
      throw new EmojeInputError(
        where,
        `${expected} bytes, as the manifest lists for its ${specs.length} weights`,
        `${data.byteLength} bytes`,
        data.byteLength < expected ? 'The weights are truncated' : 'The weights hold more than the manifest lists',
      );
    }
  }
  let offset = 0;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i];
    const bytes = sizes[i];
    if (bytes === undefined) return; // a string weight: the offsets after it depend on its content; tfjs checks those
    if (spec.dtype === 'float32' && !spec.quantization) {
      const n = bytes / 4;
      const values = offset % 4 === 0 ? new Float32Array(data, offset, n) : new Float32Array(data.slice(offset, offset + bytes));
      for (let k = 0; k < n; k++) {
        if (!Number.isFinite(values[k])) {
          throw new EmojeInputError(`${where}: weight ${spec.name}[${k}]`, 'a finite number', String(values[k]), 'The weights are damaged; save or download the model again');
        }
      }
    }
    offset += bytes;
  }
}

/**
 * Decodes the weights of saved artifacts into named tensors (the caller disposes them), after checking their length
 * against the manifest and their values for NaN and infinities ({@link checkWeightData}).
 * @param where what errors name: the model's URL or file. Defaults to `'weightData'`.
 */
export function decodeArtifactWeights(artifacts: tf.io.ModelArtifacts, where = 'weightData'): tf.NamedTensorMap {
  if (!artifacts.weightSpecs || !artifacts.weightData) {
    throw new EmojeInputError(where, 'weights saved with the model', 'no weights');
  }
  const weightData = Array.isArray(artifacts.weightData) ? tf.io.concatenateArrayBuffers(artifacts.weightData) : artifacts.weightData;
  checkWeightData(artifacts.weightSpecs, weightData, where);
  return tf.io.decodeWeights(weightData, artifacts.weightSpecs);
}

/**
 * Sets every weight of `network` from `tensors` (names as {@link namedWeights} writes them).
 * @throws EmojeInputError naming the first weight that is absent or has another shape.
 */
export function assignWeights(network: EmojeNetwork, tensors: tf.NamedTensorMap, prefix = ''): void {
  for (const layer of network.layers) {
    const values = layer.weights.map((w, k) => {
      const name = `${prefix}${layer.name}/${k}`;
      const t = tensors[name];
      if (!t || t.shape.join(',') !== w.shape.join(',')) {
        throw new EmojeInputError(`weights.${name}`, `shape [${w.shape.join(', ')}]`, t ? `shape [${t.shape.join(', ')}]` : 'nothing');
      }
      return t;
    });
    if (values.length) layer.setWeights(values);
  }
}
