import { EmojeInputError, assertInteger, assertNumberInRange } from '@emoje/core';
import { argmaxRows, labeledScores, type EvaluationTarget } from './evaluate';
import { classificationMetrics } from './metrics';
import type { DialogueInput } from './batch';
import type { EmojeNetwork } from './network';

/** How {@link fitClassBias} searches. */
export interface ClassBiasSearchOptions {
  /** Each class's offset is searched in `[-range, range]` (log-probability units). Defaults to 1.5. */
  range?: number;
  /** Grid step of the search. Defaults to 0.1. */
  step?: number;
  /** Passes of coordinate ascent over the classes. Defaults to 3. */
  rounds?: number;
}

/**
 * {@link ClassBiasSearchOptions} with defaults filled in, checked.
 * @param field where the options came from, for errors.
 */
export function resolveClassBiasSearch(options: ClassBiasSearchOptions = {}, field = 'options'): Required<ClassBiasSearchOptions> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new EmojeInputError(field, 'an object { range?, step?, rounds? }', JSON.stringify(options));
  }
  const { range = 1.5, step = 0.1, rounds = 3 } = options;
  assertNumberInRange(`${field}.range`, range, 0, 100);
  assertNumberInRange(`${field}.step`, step, 1e-6, 100);
  assertInteger(`${field}.rounds`, rounds, 1, 100);
  return { range, step, rounds };
}

/** What a class-bias fit found. */
export interface ClassBiasFit {
  /** Per-class offsets added to the log-probabilities (0 where no offset helped). */
  bias: number[];
  /** Weighted F1 of the plain argmax on the fitting data. */
  weightedF1Before: number;
  /** Weighted F1 with the offsets on the fitting data (never below `weightedF1Before`). */
  weightedF1After: number;
}

/**
 * Fits per-class offsets `b` so that `argmax(logp + b)` maximises weighted F1 on labeled scores: coordinate ascent
 * over a grid, one class at a time, keeping a change only when it strictly improves the score (so a model whose
 * argmax is already best keeps `b = 0`). This is the decision rule's prior correction: class-weighted or focal
 * training shifts predictions toward rare classes, and weighted F1 rewards a balance that held-out data can find.
 * Fit it on held-out data (a dev split), never on the data it will be scored on.
 * @param truth true class ids, one per row.
 * @param logProbabilities row-major `[truth.length, numClasses]` scores.
 */
export function fitClassBias(
  truth: readonly number[],
  logProbabilities: ArrayLike<number>,
  classes: readonly string[],
  options: ClassBiasSearchOptions = {},
): ClassBiasFit {
  const { range, step, rounds } = resolveClassBiasSearch(options);
  const c = classes.length;
  if (truth.length === 0) throw new EmojeInputError('truth', 'at least one labeled row', 'none');
  if (logProbabilities.length !== truth.length * c) {
    throw new EmojeInputError('logProbabilities', `${truth.length} x ${c} = ${truth.length * c} values`, `${logProbabilities.length}`);
  }
  truth.forEach((t, i) => {
    if (!Number.isInteger(t) || t < 0 || t >= c) throw new EmojeInputError(`truth[${i}]`, `a class id in [0, ${c})`, String(t));
  });
  const score = (bias: readonly number[]) => classificationMetrics(truth, argmaxRows(logProbabilities, c, bias), classes).weightedF1;
  const grid: number[] = [];
  const steps = Math.round(range / step);
  for (let g = -steps; g <= steps; g++) grid.push(Math.round(g * step * 1e6) / 1e6);

  const bias = new Array<number>(c).fill(0);
  const before = score(bias);
  let best = before;
  for (let round = 0; round < rounds; round++) {
    let improved = false;
    for (let k = 0; k < c; k++) {
      const kept = bias[k];
      let choice = kept;
      for (const value of grid) {
        if (value === kept) continue;
        bias[k] = value;
        const s = score(bias);
        if (s > best + 1e-12) {
          best = s;
          choice = value;
          improved = true;
        }
      }
      bias[k] = choice;
    }
    if (!improved) break;
  }
  return { bias, weightedF1Before: before, weightedF1After: best };
}

/**
 * Fits a decision bias for `network` on labeled `dialogues` (with all their modalities) by {@link fitClassBias}, and
 * sets it (`network.setDecisionBias`), replacing any it had. Returns the fit.
 */
export function fitDecisionBias(network: EmojeNetwork, dialogues: readonly DialogueInput[], options: ClassBiasSearchOptions = {}): ClassBiasFit {
  network.setDecisionBias(null);
  const { truth, logProbabilities } = labeledScores(network as EvaluationTarget, dialogues, undefined);
  const fit = fitClassBias(truth, logProbabilities, network.config.classes, options);
  network.setDecisionBias(fit.bias.some((b) => b !== 0) ? fit.bias : null);
  return fit;
}
