import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { collate, disposeBatch, scenarioPolicy, validateDialogue, type Batch, type DialogueInput } from './batch';
import type { ResolvedModelConfig } from './config';
import type { EmojeNetwork } from './network';
import { hasUsableModality } from './usable';

/** What the model says about one utterance it could read (at least one modality present). */
export interface PredictedUtterance {
  /** `'predicted'`: the utterance had at least one modality (see {@link UnusableUtterance} for the other case). */
  status: 'predicted';
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

/**
 * The result of an utterance with no usable modality: every modality was missing from the input (a media file that
 * was absent or broken, a WAV with no samples). It gets no label; the rest of its dialogue is still predicted, without it.
 */
export interface UnusableUtterance {
  status: 'no-usable-modality';
  label: null;
  labelIndex: -1;
  /** Empty: no class was scored. */
  probabilities: Record<string, number>;
  /** 0 for every modality. */
  modalityWeights: Record<string, number>;
  /** Every modality of the model. */
  missing: string[];
  imputed: string[];
}

/**
 * What `predict` returns per utterance: a {@link PredictedUtterance} (`status: 'predicted'`), or the
 * {@link UnusableUtterance} result (`status: 'no-usable-modality'`, `label: null`) of an utterance without any modality.
 */
export type UtterancePrediction = PredictedUtterance | UnusableUtterance;

export interface PredictOptions {
  /**
   * Use only these modalities (the others are treated as missing). Defaults to all. A choice that leaves an utterance
   * which has modalities with none of them is an error naming the utterance (not a label drawn from nothing).
   */
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
    const outs = networks.map((n) => n.infer(batch));
    const mean = <T extends tf.Tensor>(ts: T[]): T => (ts.length === 1 ? ts[0] : (tf.div(tf.addN(ts), ts.length) as T));
    return {
      probabilities: mean(outs.map((o) => tf.softmax(o.logits))),
      modalityWeights: mean(outs.map((o) => o.modalityWeights)),
      imputed: outs.length === 1 ? outs[0].imputed : (tf.max(tf.stack(outs.map((o) => o.imputed)), 0) as tf.Tensor3D),
    };
  });
}

/**
 * Validates and batches `dialogues`, runs {@link meanOutputs} and reads the result back as one result per
 * utterance. Shared by single models and ensembles. An utterance with no modality present gets an
 * {@link UnusableUtterance} and is left out of its dialogue for the others (a dialogue of only such utterances is
 * not run at all).
 * @throws EmojeInputError naming the dialogue and field: a malformed dialogue, one longer than the model's
 * `maxUtterances`, or `options.modalities` leaving an utterance with none of its modalities.
 */
export async function predictDialogues(
  networks: readonly EmojeNetwork[],
  config: ResolvedModelConfig,
  dialogues: DialogueInput[],
  options: PredictOptions = {},
): Promise<UtterancePrediction[][]> {
  const { modalities, classes } = config;
  if (!Array.isArray(dialogues) || dialogues.length === 0) {
    throw new EmojeInputError('dialogues', 'a non-empty array of dialogues', Array.isArray(dialogues) ? 'an empty array' : typeof dialogues);
  }
  const whereOf = (i: number) => (dialogues.length > 1 ? `dialogues[${i}]` : 'dialogue');
  // Utterances with no modality at all are set aside; the others are validated and predicted as their dialogue.
  const usable = dialogues.map((d) => (d && Array.isArray(d.utterances) ? d.utterances.map((u) => hasUsableModality(u, modalities)) : []));
  const runnable: { index: number; dialogue: DialogueInput; kept: number[] }[] = [];
  dialogues.forEach((d, i) => {
    validateDialogue(d, modalities, classes.length, whereOf(i), config.maxSpeakers, config.maxUtterances, { allowUnusable: true });
    const kept = usable[i].flatMap((ok, j) => (ok ? [j] : []));
    if (kept.length > 0) runnable.push({ index: i, dialogue: kept.length === d.utterances.length ? d : { ...d, utterances: kept.map((j) => d.utterances[j]) }, kept });
  });
  if (options.modalities) {
    const keep = new Set(options.modalities);
    for (const { index, dialogue, kept } of runnable) {
      dialogue.utterances.forEach((u, k) => {
        if (!modalities.some((m) => keep.has(m.name) && u.features[m.name] != null)) {
          const has = modalities.filter((m) => u.features[m.name] != null).map((m) => m.name);
          throw new EmojeInputError(
            'modalities',
            'a choice of modalities that leaves every utterance at least one of its own',
            `${options.modalities!.join(', ') || 'none'}, but ${whereOf(index)}.utterances[${kept[k]}] has only ${has.join(', ')}`,
          );
        }
      });
    }
  }
  const unusable = (): UnusableUtterance => ({
    status: 'no-usable-modality',
    label: null,
    labelIndex: -1,
    probabilities: {},
    modalityWeights: Object.fromEntries(modalities.map((m) => [m.name, 0])),
    missing: modalities.map((m) => m.name),
    imputed: [],
  });
  const results: UtterancePrediction[][] = dialogues.map((d) => d.utterances.map(unusable));
  if (runnable.length === 0) return results;
  const predicted = await predictValid(networks, config, runnable.map((r) => r.dialogue), options);
  runnable.forEach(({ index, kept }, r) => kept.forEach((j, k) => (results[index][j] = predicted[r][k])));
  return results;
}

async function predictValid(
  networks: readonly EmojeNetwork[],
  config: ResolvedModelConfig,
  dialogues: DialogueInput[],
  options: PredictOptions,
): Promise<PredictedUtterance[][]> {
  const { modalities, classes } = config;
  const policy = options.modalities ? scenarioPolicy(modalities, options.modalities) : undefined;
  const batch = collate(dialogues, modalities, policy);
  const u = batch.host.maxUtterances;
  const m = modalities.length;
  const c = classes.length;
  // One read-back per prediction: probabilities, modality weights and imputation flags side by side, `[B, U, C + 2M]`.
  const width = c + 2 * m;
  let values: tf.TypedArray;
  try {
    const combined = tf.tidy(() => {
      const out = meanOutputs(networks, batch);
      return tf.concat([out.probabilities, out.modalityWeights, out.imputed], 2);
    });
    try {
      values = (await combined.data()) as tf.TypedArray;
    } finally {
      combined.dispose();
    }
  } finally {
    disposeBatch(batch);
  }
  const availability = batch.host.availability;
  return dialogues.map((dialogue, i) => {
    const n = dialogue.utterances.length;
    const row: PredictedUtterance[] = new Array(n);
    for (let j = 0; j < n; j++) {
      const slot = i * u + j;
      const at = slot * width;
      const probabilities: Record<string, number> = {};
      let best = 0;
      for (let k = 0; k < c; k++) {
        probabilities[classes[k]] = values[at + k];
        if (values[at + k] > values[at + best]) best = k;
      }
      const modalityWeights: Record<string, number> = {};
      const missing: string[] = [];
      const imputedNames: string[] = [];
      for (let k = 0; k < m; k++) {
        const name = modalities[k].name;
        modalityWeights[name] = values[at + c + k];
        if (availability[slot * m + k] === 0) missing.push(name);
        if (values[at + c + m + k] > 0.5) imputedNames.push(name);
      }
      row[j] = { status: 'predicted', label: classes[best], labelIndex: best, probabilities, modalityWeights, missing, imputed: imputedNames };
    }
    return row;
  });
}
