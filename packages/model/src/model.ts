import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { collate, disposeBatch, scenarioPolicy, validateDialogue, type DialogueInput } from './batch';
import { resolveModelConfig, type ModelConfig, type ResolvedModelConfig } from './config';
import { EmojeNetwork } from './network';

/** What the model says about one utterance. */
export interface UtterancePrediction {
  /** The most probable class name. */
  label: string;
  labelIndex: number;
  /** Probability per class name. */
  probabilities: Record<string, number>;
  /** How much each modality counted (QAF weights; 0 for unused modalities; they sum to 1). */
  modalityWeights: Record<string, number>;
  /** Modalities missing from the input. */
  missing: string[];
  /** Missing modalities that the joint embedding filled in. */
  imputed: string[];
}

export interface PredictOptions {
  /** Use only these modalities (the others are treated as missing). Defaults to all. */
  modalities?: string[];
}

/** An AM²-EmoJE model: predict, save, dispose. Create with {@link createModel} or {@link loadModel}. */
export interface EmojeModel {
  readonly config: ResolvedModelConfig;
  /** The underlying network, for training and inspection. */
  readonly network: EmojeNetwork;
  /** Per-utterance predictions for one dialogue whose utterances carry any subset of modalities. */
  predict(dialogue: DialogueInput, options?: PredictOptions): Promise<UtterancePrediction[]>;
  /** Predictions for several dialogues in one batch. */
  predictBatch(dialogues: DialogueInput[], options?: PredictOptions): Promise<UtterancePrediction[][]>;
  /** Saves config and weights through a tf.io handler or URL (`file://`, `indexeddb://`, ...). */
  save(destination: tf.io.IOHandler | string): Promise<tf.io.SaveResult>;
  /** Total number of weights (scalars). */
  countParams(): number;
  dispose(): void;
}

/** Marks the artifacts of an emoje model (`modelTopology.format`). */
export const MODEL_FORMAT = 'emoje-model';
export const MODEL_FORMAT_VERSION = 1;

class Model implements EmojeModel {
  readonly network: EmojeNetwork;
  private disposed = false;

  constructor(readonly config: ResolvedModelConfig) {
    this.network = new EmojeNetwork(config);
    this.build();
  }

  /** Runs one dummy utterance so every layer creates its weights. */
  private build(): void {
    const dialogue: DialogueInput = {
      utterances: [{ speaker: 0, features: Object.fromEntries(this.config.modalities.map((m) => [m.name, m.kind === 'vector' ? new Float32Array(m.dim) : [1]])) }],
    };
    const batch = collate([dialogue], this.config.modalities);
    try {
      tf.dispose(Object.values(this.network.forward(batch, false)).filter((t): t is tf.Tensor => t instanceof tf.Tensor));
    } finally {
      disposeBatch(batch);
    }
  }

  private assertUsable(): void {
    if (this.disposed) throw new EmojeInputError('model', 'a model that is not disposed', 'a disposed model');
  }

  async predict(dialogue: DialogueInput, options?: PredictOptions): Promise<UtterancePrediction[]> {
    return (await this.predictBatch([dialogue], options))[0];
  }

  async predictBatch(dialogues: DialogueInput[], options: PredictOptions = {}): Promise<UtterancePrediction[][]> {
    this.assertUsable();
    const { modalities, classes } = this.config;
    if (!Array.isArray(dialogues) || dialogues.length === 0) {
      throw new EmojeInputError('dialogues', 'a non-empty array of dialogues', JSON.stringify(dialogues));
    }
    dialogues.forEach((d, i) => validateDialogue(d, modalities, classes.length, dialogues.length > 1 ? `dialogues[${i}]` : 'dialogue', this.config.maxSpeakers));
    const policy = options.modalities ? scenarioPolicy(modalities, options.modalities) : undefined;
    const batch = collate(dialogues, modalities, policy);
    try {
      const [probs, weights, imputed] = tf.tidy(() => {
        const out = this.network.forward(batch, false);
        return [tf.softmax(out.logits), out.modalityWeights, out.imputed];
      });
      const [p, w, imp] = await Promise.all([probs.data(), weights.data(), imputed.data()]);
      tf.dispose([probs, weights, imputed]);
      const u = batch.host.maxUtterances;
      const m = modalities.length;
      const c = classes.length;
      return dialogues.map((dialogue, i) =>
        dialogue.utterances.map((_, j) => {
          const slot = i * u + j;
          const probabilities: Record<string, number> = {};
          let best = 0;
          classes.forEach((name, k) => {
            probabilities[name] = p[slot * c + k];
            if (p[slot * c + k] > p[slot * c + best]) best = k;
          });
          const modalityWeights: Record<string, number> = {};
          const missing: string[] = [];
          const imputedNames: string[] = [];
          modalities.forEach((mod, k) => {
            modalityWeights[mod.name] = w[slot * m + k];
            if (batch.host.availability[slot * m + k] === 0) missing.push(mod.name);
            if (imp[slot * m + k] > 0.5) imputedNames.push(mod.name);
          });
          return { label: classes[best], labelIndex: best, probabilities, modalityWeights, missing, imputed: imputedNames };
        }),
      );
    } finally {
      disposeBatch(batch);
    }
  }

  async save(destination: tf.io.IOHandler | string): Promise<tf.io.SaveResult> {
    this.assertUsable();
    const handler = typeof destination === 'string' ? resolveHandler(destination, 'save') : destination;
    if (!handler.save) throw new EmojeInputError('destination', 'an IOHandler with save()', 'a handler without save');
    const named = this.network.layers.flatMap((layer) =>
      layer.weights.map((w, k) => ({ name: `${layer.name}/${k}`, tensor: w.read() })),
    );
    const { data, specs } = await tf.io.encodeWeights(named);
    return handler.save({
      modelTopology: { format: MODEL_FORMAT, formatVersion: MODEL_FORMAT_VERSION, config: this.config } as unknown as tf.io.ModelArtifacts['modelTopology'],
      format: MODEL_FORMAT,
      generatedBy: `@emoje/model ${MODEL_FORMAT_VERSION}`,
      convertedBy: null,
      weightSpecs: specs,
      weightData: data,
    });
  }

  countParams(): number {
    return this.network.weights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
  }

  dispose(): void {
    if (this.disposed) return;
    this.network.dispose();
    this.disposed = true;
  }
}

function resolveHandler(url: string, kind: 'save' | 'load'): tf.io.IOHandler {
  const handlers = kind === 'save' ? tf.io.getSaveHandlers(url) : tf.io.getLoadHandlers(url);
  if (handlers.length === 0) {
    throw new EmojeInputError('destination', `a URL with a registered tf.io ${kind} handler (file:// needs @emoje/runtime-node, indexeddb:// a browser)`, JSON.stringify(url));
  }
  return handlers[0];
}

/**
 * Creates an AM²-EmoJE model with freshly initialised weights.
 * @throws EmojeInputError naming the config field at fault.
 */
export function createModel(config: ModelConfig): EmojeModel {
  return new Model(resolveModelConfig(config));
}

/**
 * Loads a model saved by {@link EmojeModel.save}, from a tf.io handler or a URL
 * (`file://` with @emoje/runtime-node, `indexeddb://` or `http(s)://` in browsers).
 */
export async function loadModel(source: tf.io.IOHandler | string): Promise<EmojeModel> {
  const handler = typeof source === 'string' ? resolveHandler(source, 'load') : source;
  if (!handler.load) throw new EmojeInputError('source', 'an IOHandler with load()', 'a handler without load');
  const artifacts = await handler.load();
  const topology = artifacts.modelTopology as unknown as { format?: string; formatVersion?: number; config?: ModelConfig } | undefined;
  if (!topology || topology.format !== MODEL_FORMAT || !topology.config) {
    throw new EmojeInputError('modelTopology.format', `'${MODEL_FORMAT}'`, JSON.stringify(topology?.format));
  }
  if (topology.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new EmojeInputError('modelTopology.formatVersion', String(MODEL_FORMAT_VERSION), String(topology.formatVersion));
  }
  if (!artifacts.weightSpecs || !artifacts.weightData) {
    throw new EmojeInputError('weightData', 'weights saved with the model', 'no weights');
  }
  const model = new Model(resolveModelConfig(topology.config));
  const weightData = Array.isArray(artifacts.weightData) ? tf.io.concatenateArrayBuffers(artifacts.weightData) : artifacts.weightData;
  const tensors = tf.io.decodeWeights(weightData, artifacts.weightSpecs);
  try {
    for (const layer of model.network.layers) {
      const values = layer.weights.map((w, k) => {
        const t = tensors[`${layer.name}/${k}`];
        if (!t || t.shape.join(',') !== w.shape.join(',')) {
          throw new EmojeInputError(`weights.${layer.name}/${k}`, `shape [${w.shape.join(', ')}]`, t ? `shape [${t.shape.join(', ')}]` : 'nothing');
        }
        return t;
      });
      if (values.length) layer.setWeights(values);
    }
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return model;
}
