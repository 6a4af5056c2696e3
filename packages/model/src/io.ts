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

/** Decodes the weights of saved artifacts into named tensors (the caller disposes them). */
export function decodeArtifactWeights(artifacts: tf.io.ModelArtifacts): tf.NamedTensorMap {
  if (!artifacts.weightSpecs || !artifacts.weightData) {
    throw new EmojeInputError('weightData', 'weights saved with the model', 'no weights');
  }
  const weightData = Array.isArray(artifacts.weightData) ? tf.io.concatenateArrayBuffers(artifacts.weightData) : artifacts.weightData;
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
