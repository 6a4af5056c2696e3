import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@emoje/core';
import { allScenarios, collate, disposeBatch, missingRatePolicy, scenarioPolicy, type AvailabilityPolicy, type DialogueInput } from './batch';
import { EmojeInputError } from '@emoje/core';
import { meanOutputs } from './inference';
import { classificationMetrics, type ClassificationMetrics } from './metrics';
import type { EmojeNetwork } from './network';

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
}

/** Predicted class ids and labels of every labeled utterance, under an availability policy. */
export function predictLabels(
  target: EvaluationTarget,
  dialogues: readonly DialogueInput[],
  policy: AvailabilityPolicy | undefined,
  batchSize = 16,
): { truth: number[]; predicted: number[] } {
  const networks = networksOf(target);
  const { modalities } = networks[0].config;
  const truth: number[] = [];
  const predicted: number[] = [];
  for (let start = 0; start < dialogues.length; start += batchSize) {
    const chunk = dialogues.slice(start, start + batchSize);
    const offset = start;
    const batch = collate(chunk, modalities, policy && ((d, u, p) => policy(d + offset, u, p)));
    try {
      const argmax = tf.tidy(() => {
        if (networks.length === 1) return tf.argMax(networks[0].forward(batch, false).logits, -1);
        const out = meanOutputs(networks, batch);
        return tf.argMax(out.probabilities, -1);
      });
      const ids = argmax.dataSync();
      argmax.dispose();
      for (let i = 0; i < batch.host.labels.length; i++) {
        if (batch.host.labels[i] >= 0) {
          truth.push(batch.host.labels[i]);
          predicted.push(ids[i]);
        }
      }
    } finally {
      disposeBatch(batch);
    }
  }
  return { truth, predicted };
}

/**
 * Metrics of a network (or of an ensemble's networks, averaging their probabilities) on `dialogues` under a fixed
 * scenario or a random missing rate.
 */
export function evaluate(target: EvaluationTarget, dialogues: readonly DialogueInput[], options: EvaluateOptions = {}): ClassificationMetrics {
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
 */
export function evaluateProtocols(
  target: EvaluationTarget,
  dialogues: readonly DialogueInput[],
  { missingRates = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], seed = 1 }: { missingRates?: number[]; seed?: number } = {},
): ProtocolResults {
  const scenarios: Record<string, ClassificationMetrics> = {};
  for (const s of allScenarios(networksOf(target)[0].config.modalities)) {
    scenarios[s.name] = evaluate(target, dialogues, { scenario: s.keep });
  }
  const missingRate: Record<string, ClassificationMetrics> = {};
  for (const rate of missingRates) {
    missingRate[rate.toFixed(1)] = evaluate(target, dialogues, { missingRate: rate, seed });
  }
  return { scenarios, missingRate };
}
