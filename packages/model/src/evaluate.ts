import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@emoje/core';
import { allScenarios, collate, disposeBatch, missingRatePolicy, scenarioPolicy, validateDialogue, type AvailabilityPolicy, type DialogueInput } from './batch';
import { EmojeInputError } from '@emoje/core';
import { assertDatasetMatchesModel, type DatasetSchema } from './compatibility';
import { meanOutputs } from './inference';
import { classificationMetrics, type ClassificationMetrics } from './metrics';
import type { EmojeNetwork } from './network';
import { withoutUnusableUtterances } from './usable';

/**
 * What evaluation runs: one network, or several that read the same inputs (an ensemble's `networks`), whose class
 * probabilities are averaged.
 */
export type EvaluationTarget = EmojeNetwork | readonly EmojeNetwork[];

function networksOf(target: EvaluationTarget): readonly EmojeNetwork[] {
  const networks = Array.isArray(target) ? (target as readonly EmojeNetwork[]) : [target as EmojeNetwork];
  if (networks.length === 0 || networks.some((n) => !n || typeof n.forward !== 'function')) {
    throw new EmojeInputError('network', 'an EmojeNetwork or a non-empty array of them', Array.isArray(target) ? `an array of ${networks.length}` : String(target));
  }
  return networks;
}

export interface EvaluateOptions {
  /** Keep only these modalities (a fixed scenario). Defaults to all. */
  scenario?: string[];
  /** Drop each present modality with this probability per utterance (at least one kept). Defaults to 0. */
  missingRate?: number;
  /** Seed of the random missing pattern. Defaults to 1. */
  seed?: number;
  /** Dialogues per forward pass. Defaults to 16. */
  batchSize?: number;
  /**
   * The dataset the dialogues come from (a `DialogueDataset`, or just its `classes` and `modalities`): its class
   * names and order, modality names, kinds and widths must be the model's, or evaluation throws an error listing every
   * difference. Without it, only the dialogues themselves are checked (widths, modality names, label range).
   * Defaults to none.
   */
  dataset?: DatasetSchema;
}

/** Class log-probabilities of every labeled utterance, row by row, with the true class ids. */
export interface LabeledScores {
  truth: number[];
  /** `[truth.length, numClasses]` row-major: the log of the (ensemble-mean) class probabilities. */
  logProbabilities: Float32Array;
  numClasses: number;
}

/**
 * Class log-probabilities of every labeled utterance under an availability policy, in inference mode (so with the
 * networks' decision bias, see `EmojeNetwork.setDecisionBias`).
 */
export function labeledScores(
  target: EvaluationTarget,
  dialogues: readonly DialogueInput[],
  policy: AvailabilityPolicy | undefined,
  batchSize = 16,
): LabeledScores {
  const networks = networksOf(target);
  const { modalities, classes } = networks[0].config;
  // An utterance with no modality at all gets no label from predict; it is not scored either (issue 19, item 9).
  dialogues = withoutUnusableUtterances(dialogues, modalities).dialogues;
  const c = classes.length;
  const truth: number[] = [];
  const rows: Float32Array[] = [];
  for (let start = 0; start < dialogues.length; start += batchSize) {
    const chunk = dialogues.slice(start, start + batchSize);
    const offset = start;
    const batch = collate(chunk, modalities, policy && ((d, u, p) => policy(d + offset, u, p)));
    try {
      const scores = tf.tidy(() => {
        if (networks.length === 1) return tf.logSoftmax(networks[0].infer(batch).logits);
        return tf.log(meanOutputs(networks, batch).probabilities);
      });
      const values = scores.dataSync() as Float32Array;
      scores.dispose();
      for (let i = 0; i < batch.host.labels.length; i++) {
        if (batch.host.labels[i] >= 0) {
          truth.push(batch.host.labels[i]);
          rows.push(values.subarray(i * c, (i + 1) * c));
        }
      }
    } finally {
      disposeBatch(batch);
    }
  }
  const logProbabilities = new Float32Array(truth.length * c);
  rows.forEach((row, i) => logProbabilities.set(row, i * c));
  return { truth, logProbabilities, numClasses: c };
}

/** The class id of the largest score of each row of a row-major `[n, numClasses]` array, plus `bias` if given. */
export function argmaxRows(scores: ArrayLike<number>, numClasses: number, bias?: readonly number[]): number[] {
  const n = Math.floor(scores.length / numClasses);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let k = 0; k < numClasses; k++) {
      const s = scores[i * numClasses + k] + (bias ? bias[k] : 0);
      if (s > bestScore) {
        bestScore = s;
        best = k;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Predicted class ids and labels of every labeled utterance, under an availability policy. */
export function predictLabels(
  target: EvaluationTarget,
  dialogues: readonly DialogueInput[],
  policy: AvailabilityPolicy | undefined,
  batchSize = 16,
): { truth: number[]; predicted: number[] } {
  const { truth, logProbabilities, numClasses } = labeledScores(target, dialogues, policy, batchSize);
  return { truth, predicted: argmaxRows(logProbabilities, numClasses) };
}

/**
 * Checks, before any forward pass, that `dialogues` suit the model: the dataset schema when given (every difference
 * listed in one error), then each dialogue (errors name `dialogues[i]`, the utterance and the field).
 * @throws EmojeInputError
 */
export function assertEvaluable(target: EvaluationTarget, dialogues: readonly DialogueInput[], dataset?: DatasetSchema): void {
  const config = networksOf(target)[0].config;
  if (dataset) assertDatasetMatchesModel(config, dataset);
  if (!Array.isArray(dialogues)) throw new EmojeInputError('dialogues', 'an array of dialogues', String(dialogues));
  // Utterances with no usable modality are accepted here and left out of the scores (labeledScores skips them).
  dialogues.forEach((d, i) => validateDialogue(d, config.modalities, config.classes.length, `dialogues[${i}]`, config.maxSpeakers, config.maxUtterances, { allowUnusable: true }));
}

/**
 * Metrics of a network (or of an ensemble's networks, averaging their probabilities) on `dialogues` under a fixed
 * scenario or a random missing rate. The dialogues (and `options.dataset`, when given) are checked first: a dataset
 * whose classes or modalities differ from the model's is an error listing every difference, never a score.
 * @throws EmojeInputError naming the field at fault.
 * @example
 * const metrics = evaluate(model.networks, mosi.test, { dataset: mosi, scenario: ['text'] });
 */
export function evaluate(target: EvaluationTarget, dialogues: readonly DialogueInput[], options: EvaluateOptions = {}): ClassificationMetrics {
  assertEvaluable(target, dialogues, options.dataset);
  return evaluateUnchecked(target, dialogues, options);
}

/** {@link evaluate} without the checks, for dialogues already validated (the trainer's dev split, each protocol). */
export function evaluateUnchecked(target: EvaluationTarget, dialogues: readonly DialogueInput[], options: EvaluateOptions = {}): ClassificationMetrics {
  const { modalities, classes } = networksOf(target)[0].config;
  let policy: AvailabilityPolicy | undefined;
  if (options.scenario) policy = scenarioPolicy(modalities, options.scenario);
  if (options.missingRate && options.missingRate > 0) {
    const random = missingRatePolicy(options.missingRate, new SeededRandom(options.seed ?? 1));
    const fixed = policy;
    policy = fixed ? (d, u, p) => random(d, u, fixed(d, u, p)) : random;
  }
  const { truth, predicted } = predictLabels(target, dialogues, policy, options.batchSize);
  return classificationMetrics(truth, predicted, classes);
}

/** Results of both missing-modality protocols of the design. */
export interface ProtocolResults {
  /** Every non-empty modality subset, by initials (T, A, V, TA, TV, AV, TAV). */
  scenarios: Record<string, ClassificationMetrics>;
  /** Random missing rate (as text, e.g. "0.3") to metrics. */
  missingRate: Record<string, ClassificationMetrics>;
}

/**
 * Runs both protocols: (1) every fixed scenario; (2) random missing rates
 * (default 0, 0.1, ..., 0.7), each utterance and modality dropped independently, at least one kept.
 * Checks the dialogues (and `dataset`, when given) once first, as {@link evaluate} does.
 * @throws EmojeInputError naming the field at fault, or listing every difference between `dataset` and the model.
 */
export function evaluateProtocols(
  target: EvaluationTarget,
  dialogues: readonly DialogueInput[],
  { missingRates = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], seed = 1, dataset }: { missingRates?: number[]; seed?: number; dataset?: DatasetSchema } = {},
): ProtocolResults {
  assertEvaluable(target, dialogues, dataset);
  const scenarios: Record<string, ClassificationMetrics> = {};
  for (const s of allScenarios(networksOf(target)[0].config.modalities)) {
    scenarios[s.name] = evaluateUnchecked(target, dialogues, { scenario: s.keep });
  }
  const missingRate: Record<string, ClassificationMetrics> = {};
  for (const rate of missingRates) {
    missingRate[rate.toFixed(1)] = evaluateUnchecked(target, dialogues, { missingRate: rate, seed });
  }
  return { scenarios, missingRate };
}
