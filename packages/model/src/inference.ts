import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { collate, disposeBatch, scenarioPolicy, validateDialogue, type Batch, type DialogueInput } from './batch';
import type { ResolvedModelConfig } from './config';
import type { EmojeNetwork } from './network';

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

/** The inference outputs of one batch, averaged over one or more networks. */
export interface MeanOutputs {
  /** `[B, U, C]` class probabilities (the mean of the networks' softmax outputs). */
  probabilities: tf.Tensor3D;
  /** `[B, U, M]` mean modality importance weights. */
  modalityWeights: tf.Tensor3D;
  /** `[B, U, M]` 1 where a missing modality was imputed by any of the networks. */
  imputed: tf.Tensor3D;
}

/**
 * Runs every network on `batch` in inference mode and averages their class probabilities and modality weights
 * (with one network: its own softmax). The networks must read the same inputs (see `createEnsemble`).
 */
export function meanOutputs(networks: readonly EmojeNetwork[], batch: Batch): MeanOutputs {
  return tf.tidy(() => {
    const outs = networks.map((n) => n.forward(batch, false));
    const mean = <T extends tf.Tensor>(ts: T[]): T => (ts.length === 1 ? ts[0] : (tf.div(tf.addN(ts), ts.length) as T));
    return {
      probabilities: mean(outs.map((o) => tf.softmax(o.logits))),
      modalityWeights: mean(outs.map((o) => o.modalityWeights)),
      imputed: outs.length === 1 ? outs[0].imputed : (tf.max(tf.stack(outs.map((o) => o.imputed)), 0) as tf.Tensor3D),
    };
  });
}

/**
 * Validates and batches `dialogues`, runs {@link meanOutputs} and reads the result back as one prediction per
 * utterance. Shared by single models and ensembles.
 */
export async function predictDialogues(
  networks: readonly EmojeNetwork[],
  config: ResolvedModelConfig,
  dialogues: DialogueInput[],
  options: PredictOptions = {},
): Promise<UtterancePrediction[][]> {
  const { modalities, classes } = config;
  if (!Array.isArray(dialogues) || dialogues.length === 0) {
    throw new EmojeInputError('dialogues', 'a non-empty array of dialogues', JSON.stringify(dialogues));
  }
  dialogues.forEach((d, i) => validateDialogue(d, modalities, classes.length, dialogues.length > 1 ? `dialogues[${i}]` : 'dialogue', config.maxSpeakers));
  const policy = options.modalities ? scenarioPolicy(modalities, options.modalities) : undefined;
  const batch = collate(dialogues, modalities, policy);
  try {
    const out = meanOutputs(networks, batch);
    let p: tf.TypedArray, w: tf.TypedArray, imp: tf.TypedArray;
    try {
      [p, w, imp] = (await Promise.all([out.probabilities.data(), out.modalityWeights.data(), out.imputed.data()])) as tf.TypedArray[];
    } finally {
      tf.dispose([out.probabilities, out.modalityWeights, out.imputed]);
    }
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
