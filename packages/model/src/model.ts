import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { collate, disposeBatch, type DialogueInput } from './batch';
import { resolveModelConfig, type ModelConfig, type ResolvedModelConfig } from './config';
import { predictDialogues, type PredictOptions, type UtterancePrediction } from './inference';
import { assignWeights, decodeArtifactWeights, loadArtifacts, namedWeights, saveHandler } from './io';
import { EmojeNetwork } from './network';

export type { PredictOptions, PredictedUtterance, UnusableUtterance, UtterancePrediction } from './inference';

/** What a model and an ensemble both are: something that predicts dialogues, saves, and is disposed. */
export interface EmojePredictor {
  /** The model's config (for an ensemble, the first member's: every member reads the same inputs). */
  readonly config: ResolvedModelConfig;
  /** The networks whose class probabilities are averaged (one for a model): what `evaluate` takes. */
  readonly networks: readonly EmojeNetwork[];
  /** Per-utterance predictions for one dialogue whose utterances carry any subset of modalities. */
  predict(dialogue: DialogueInput, options?: PredictOptions): Promise<UtterancePrediction[]>;
  /** Predictions for several dialogues in one batch. */
  predictBatch(dialogues: DialogueInput[], options?: PredictOptions): Promise<UtterancePrediction[][]>;
  /** Saves configs and weights through a tf.io handler or URL (`file://`, `indexeddb://`, ...). */
  save(destination: tf.io.IOHandler | string): Promise<tf.io.SaveResult>;
  /** Total number of weights (scalars). */
  countParams(): number;
  dispose(): void;
}

/** An AM²-EmoJE model: predict, save, dispose. Create with {@link createModel} or {@link loadModel}. */
export interface EmojeModel extends EmojePredictor {
  /** The underlying network, for training and inspection (`networks` is `[network]`). */
  readonly network: EmojeNetwork;
}

/** Marks the artifacts of an emoje model (`modelTopology.format`). */
export const MODEL_FORMAT = 'emoje-model';
export const MODEL_FORMAT_VERSION = 1;
/** Marks the artifacts of an ensemble of emoje models (see `createEnsemble`). */
export const ENSEMBLE_FORMAT = 'emoje-ensemble';

class Model implements EmojeModel {
  readonly network: EmojeNetwork;
  readonly networks: readonly EmojeNetwork[];
  private disposed = false;

  constructor(readonly config: ResolvedModelConfig) {
    this.network = new EmojeNetwork(config);
    this.networks = [this.network];
    this.build();
  }

  /** Runs one dummy utterance so every layer creates its weights. */
  private build(): void {
    const dialogue: DialogueInput = {
      utterances: [{ speaker: 0, features: Object.fromEntries(this.config.modalities.map((m) => [m.name, m.kind === 'tokens' ? [1] : new Float32Array(m.dim)])) }],
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
    return predictDialogues([this.network], this.config, dialogues, options);
  }

  async save(destination: tf.io.IOHandler | string): Promise<tf.io.SaveResult> {
    this.assertUsable();
    const handler = saveHandler(destination);
    const { data, specs } = await tf.io.encodeWeights(namedWeights(this.network));
    return handler.save({
      modelTopology: {
        format: MODEL_FORMAT,
        formatVersion: MODEL_FORMAT_VERSION,
        config: this.config,
        ...(this.network.decisionBias ? { decisionBias: this.network.decisionBias } : {}),
      } as unknown as tf.io.ModelArtifacts['modelTopology'],
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
  const artifacts = await loadArtifacts(source);
  const topology = artifacts.modelTopology as unknown as { format?: string; formatVersion?: number; config?: ModelConfig; decisionBias?: number[] } | undefined;
  if (topology?.format === ENSEMBLE_FORMAT) {
    throw new EmojeInputError('modelTopology.format', `'${MODEL_FORMAT}'`, `'${ENSEMBLE_FORMAT}'`, 'This is an ensemble: load it with loadEnsemble');
  }
  if (!topology || topology.format !== MODEL_FORMAT || !topology.config) {
    throw new EmojeInputError('modelTopology.format', `'${MODEL_FORMAT}'`, JSON.stringify(topology?.format));
  }
  if (topology.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new EmojeInputError('modelTopology.formatVersion', String(MODEL_FORMAT_VERSION), String(topology.formatVersion));
  }
  const tensors = decodeArtifactWeights(artifacts, typeof source === 'string' ? source : 'weightData');
  try {
    const model = createModel(topology.config);
    try {
      assignWeights(model.network, tensors);
      if (topology.decisionBias != null) model.network.setDecisionBias(topology.decisionBias, 'modelTopology.decisionBias');
    } catch (error) {
      model.dispose();
      throw error;
    }
    return model;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
