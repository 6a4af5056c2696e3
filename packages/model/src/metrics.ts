/** Classification metrics over the labeled utterances of an evaluation. */
export interface ClassificationMetrics {
  /** Fraction of correct predictions. */
  accuracy: number;
  /** F1 averaged over classes weighted by their support (the headline metric). */
  weightedF1: number;
  /** Unweighted mean of the per-class F1. */
  macroF1: number;
  /** F1 per class name. */
  perClassF1: Record<string, number>;
  /** `confusion[true][predicted]` counts. */
  confusion: number[][];
  /** Number of labeled utterances scored. */
  support: number;
}

/** Computes {@link ClassificationMetrics} from parallel arrays of true and predicted class ids. */
export function classificationMetrics(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: readonly string[],
): ClassificationMetrics {
  const k = classes.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  let total = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    if (t < 0) continue;
    confusion[t][predicted[i]] += 1;
    total += 1;
    if (t === predicted[i]) correct += 1;
  }
  const perClassF1: Record<string, number> = {};
  let weighted = 0;
  let macro = 0;
  classes.forEach((name, c) => {
    const tp = confusion[c][c];
    const support = confusion[c].reduce((a, x) => a + x, 0);
    const predictedCount = confusion.reduce((a, row) => a + row[c], 0);
    const precision = predictedCount ? tp / predictedCount : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perClassF1[name] = f1;
    weighted += f1 * support;
    macro += f1;
  });
  return {
    accuracy: total ? correct / total : 0,
    weightedF1: total ? weighted / total : 0,
    macroF1: macro / k,
    perClassF1,
    confusion,
    support: total,
  };
}

/** Mean and (population) standard deviation of a list of numbers. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, x) => a + x, 0) / values.length;
  const variance = values.reduce((a, x) => a + (x - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}
