import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import type { DialogueInput } from './batch';
import type { ModelConfig, ResolvedModelConfig } from './config';
import { predictDialogues, type PredictOptions, type UtterancePrediction } from './inference';
import { assignWeights, checkWeightData, decodeArtifactWeights, loadArtifacts, namedWeights, saveHandler } from './io';
import { createModel, ENSEMBLE_FORMAT, loadModel, MODEL_FORMAT, MODEL_FORMAT_VERSION, type EmojeModel, type EmojePredictor } from './model';
import type { EmojeNetwork } from './network';

/**
 * Several AM²-EmoJE models that read the same inputs, predicting together: the class probabilities and modality
 * weights are the means of the members' (a deep ensemble, Lakshminarayanan et al. 2017). Members trained from
 * different seeds make errors that partly cancel, at the cost of one forward pass per member. `save` writes every
 * member as one artifact (`modelTopology.format` `'emoje-ensemble'`); `dispose` disposes every member.
 */
export interface EmojeEnsemble extends EmojePredictor {
  readonly members: readonly EmojeModel[];
}

/** What two members must share to be averaged over one batch. */
function inputSignature(config: ResolvedModelConfig): Record<string, string> {
  return { modalities: JSON.stringify(config.modalities), classes: JSON.stringify(config.classes), maxSpeakers: String(config.maxSpeakers) };
}

class Ensemble implements EmojeEnsemble {
  readonly config: ResolvedModelConfig;
  readonly networks: readonly EmojeNetwork[];
  private disposed = false;

  constructor(readonly members: readonly EmojeModel[]) {
    this.config = members[0].config;
    this.networks = members.map((m) => m.network);
  }

  private assertUsable(): void {
    if (this.disposed) throw new EmojeInputError('ensemble', 'an ensemble that is not disposed', 'a disposed ensemble');
  }

  async predict(dialogue: DialogueInput, options?: PredictOptions): Promise<UtterancePrediction[]> {
    return (await this.predictBatch([dialogue], options))[0];
  }

  async predictBatch(dialogues: DialogueInput[], options: PredictOptions = {}): Promise<UtterancePrediction[][]> {
    this.assertUsable();
    return predictDialogues(this.networks, this.config, dialogues, options);
  }

  async save(destination: tf.io.IOHandler | string): Promise<tf.io.SaveResult> {
    this.assertUsable();
    const handler = saveHandler(destination);
    const { data, specs } = await tf.io.encodeWeights(this.networks.flatMap((n, i) => namedWeights(n, `member${i}/`)));
    return handler.save({
      modelTopology: {
        format: ENSEMBLE_FORMAT,
        formatVersion: MODEL_FORMAT_VERSION,
        members: this.members.map((m) => ({
          format: MODEL_FORMAT,
          config: m.config,
          ...(m.network.decisionBias ? { decisionBias: m.network.decisionBias } : {}),
        })),
      } as unknown as tf.io.ModelArtifacts['modelTopology'],
      format: ENSEMBLE_FORMAT,
      generatedBy: `@emoje/model ${MODEL_FORMAT_VERSION}`,
      convertedBy: null,
      weightSpecs: specs,
      weightData: data,
    });
  }

  countParams(): number {
    return this.members.reduce((n, m) => n + m.countParams(), 0);
  }

  dispose(): void {
    if (this.disposed) return;
    for (const m of this.members) m.dispose();
    this.disposed = true;
  }
}

/**
 * Makes an ensemble of trained models that read the same inputs (the same modalities, vocabularies, classes and
 * speaker limit; sizes and blocks may differ). The ensemble owns the members: disposing it disposes them.
 * @throws EmojeInputError naming the member and field that differ from the first member's.
 */
export function createEnsemble(members: readonly EmojeModel[]): EmojeEnsemble {
  if (!Array.isArray(members) || members.length === 0) {
    throw new EmojeInputError('members', 'a non-empty array of models', JSON.stringify(members));
  }
  if (new Set(members).size !== members.length) {
    throw new EmojeInputError('members', 'distinct models', 'the same model more than once');
  }
  members.forEach((member, i) => {
    if (!member || !member.network || !member.config) throw new EmojeInputError(`members[${i}]`, 'a model from createModel or loadModel', String(member));
  });
  const reference = inputSignature(members[0].config);
  members.forEach((member, i) => {
    const signature = inputSignature(member.config);
    for (const field of Object.keys(reference)) {
      if (signature[field] !== reference[field]) {
        throw new EmojeInputError(`members[${i}].config.${field}`, `the same ${field} as members[0] (${truncate(reference[field])})`, truncate(signature[field]));
      }
    }
  });
  return new Ensemble([...members]);
}

function truncate(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

/** Loads an ensemble saved by {@link EmojeEnsemble.save}, from a tf.io handler or a URL. */
export async function loadEnsemble(source: tf.io.IOHandler | string): Promise<EmojeEnsemble> {
  const artifacts = await loadArtifacts(source);
  const topology = artifacts.modelTopology as unknown as { format?: string; formatVersion?: number; members?: { config?: ModelConfig; decisionBias?: number[] }[] } | undefined;
  if (!topology || topology.format !== ENSEMBLE_FORMAT) {
    throw new EmojeInputError('modelTopology.format', `'${ENSEMBLE_FORMAT}'`, JSON.stringify(topology?.format), topology?.format === MODEL_FORMAT ? 'This is a single model: load it with loadModel' : undefined);
  }
  if (topology.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new EmojeInputError('modelTopology.formatVersion', String(MODEL_FORMAT_VERSION), String(topology.formatVersion));
  }
  if (!Array.isArray(topology.members) || topology.members.length === 0 || topology.members.some((m) => !m?.config)) {
    throw new EmojeInputError('modelTopology.members', 'a non-empty array of { config }', JSON.stringify(topology.members)?.slice(0, 80) ?? 'nothing');
  }
  const tensors = decodeArtifactWeights(artifacts, typeof source === 'string' ? source : 'weightData');
  const members: EmojeModel[] = [];
  try {
    topology.members.forEach((m, i) => {
      const model = createModel(m.config!);
      members.push(model);
      assignWeights(model.network, tensors, `member${i}/`);
      if (m.decisionBias != null) model.network.setDecisionBias(m.decisionBias, `modelTopology.members[${i}].decisionBias`);
    });
    return createEnsemble(members);
  } catch (error) {
    for (const m of members) m.dispose();
    throw error;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/**
 * Loads whatever `save` wrote: an {@link EmojeModel} (`'emoje-model'`) or an {@link EmojeEnsemble}
 * (`'emoje-ensemble'`). Both predict alike and expose `networks` for `evaluate`.
 */
export async function loadModelOrEnsemble(source: tf.io.IOHandler | string): Promise<EmojeModel | EmojeEnsemble> {
  const artifacts = await loadArtifacts(source);
  const format = (artifacts.modelTopology as { format?: string } | undefined)?.format;
  // Checked here, where the URL is known, so that errors name it.
  if (artifacts.weightSpecs && artifacts.weightData && typeof source === 'string') {
    const data = Array.isArray(artifacts.weightData) ? tf.io.concatenateArrayBuffers(artifacts.weightData) : artifacts.weightData;
    checkWeightData(artifacts.weightSpecs, data, source);
  }
  const loaded: tf.io.IOHandler = { load: async () => artifacts };
  return format === ENSEMBLE_FORMAT ? loadEnsemble(loaded) : loadModel(loaded);
}

/** True for an {@link EmojeEnsemble} (as `loadModelOrEnsemble` may return). */
export function isEnsemble(value: EmojeModel | EmojeEnsemble): value is EmojeEnsemble {
  return value instanceof Ensemble;
}
