/**
 * What `emoje train` and `emoje eval` print around the results table: the dataset before training, how the kept
 * weights were chosen, per-class F1 and the confusion matrix after. Pure text functions, so the commands stay short
 * and the wording is tested in one place.
 */
import { datasetSummary, type DialogueDataset } from '@emoje/datasets';
import type { ClassificationMetrics, ProtocolResults, TrainResult } from '@emoje/model';
import { renderProtocolTable, renderTable } from './table';

const pct = (x: number) => (100 * x).toFixed(1);

/** Word-vector coverage of each text modality's vocabulary, as `createModelForDataset` reports it. */
export type VocabularyCoverage = Record<string, { vocabulary: number; pretrained: number }>;

/**
 * A short summary of a dataset, printed before training: per split, dialogues, utterances and labelled utterances per
 * class; which modalities the model reads.
 * @returns text ending in a newline
 */
export function renderDatasetSummary(dataset: DialogueDataset, label = dataset.name): string {
  const summary = datasetSummary(dataset);
  const splits = (['train', 'dev', 'test'] as const).map((name) => [name, summary[name]] as const);
  const rows = splits.map(([name, s]) => [
    name,
    String(s.dialogues),
    String(s.utterances),
    ...summary.classes.map((c) => String(s.labelCounts[c] ?? 0)),
    String(s.unlabeled),
  ]);
  const head = `dataset ${label}: ${summary.classes.length} classes, modalities ${summary.modalities.join(', ')}\n`;
  return head + renderTable(['split', 'dialogues', 'utterances', ...summary.classes, 'unlabelled'], rows);
}

/**
 * One line per text modality: how many vocabulary tokens start from a pretrained word vector.
 * @returns text ending in a newline, or '' when the model reads no text
 */
export function renderVocabularyCoverage(coverage: VocabularyCoverage): string {
  return Object.entries(coverage)
    .map(
      ([name, c]) =>
        `${name}: vocabulary of ${c.vocabulary} tokens from the training texts, ${c.pretrained} of them (${pct(c.pretrained / Math.max(1, c.vocabulary))}%) start from a GloVe vector\n`,
    )
    .join('');
}

/**
 * How the saved weights of one training run were chosen, in words: "weights averaged over the last 8 of 18 epochs"
 * when the trainer averaged them (`averageLastEpochs`), else the best dev epoch.
 */
export function describeKeptWeights(result: Pick<TrainResult, 'epochs' | 'bestEpoch' | 'bestDevWeightedF1' | 'averagedEpochs' | 'decisionBias'>): string {
  const kept =
    result.averagedEpochs > 0
      ? `weights averaged over the last ${result.averagedEpochs} of ${result.epochs} epochs, dev weighted F1 ${pct(result.bestDevWeightedF1)} %`
      : `weights of epoch ${result.bestEpoch} of ${result.epochs} (best on dev), dev weighted F1 ${pct(result.bestDevWeightedF1)} %`;
  return result.decisionBias ? `${kept}, ${pct(result.decisionBias.weightedF1After)} % with the decision bias fitted on dev` : kept;
}

/**
 * The results table of both protocols, without the missing-rate rows when the data has one modality: each rate
 * keeps at least one modality, so with one they all equal the full scenario.
 * @returns text ending in a newline
 */
export function renderResultsTable(results: ProtocolResults, modalityCount: number): string {
  if (modalityCount > 1) return renderProtocolTable(results);
  return (
    renderProtocolTable({ scenarios: results.scenarios, missingRate: {} }) +
    '(no missing-rate rows: with one modality, every rate keeps it, so they equal the row above)\n'
  );
}

/**
 * Per-class F1 and the confusion matrix of one evaluation (rows = true labels, columns = predicted labels).
 * @param title - what was evaluated, e.g. `scenario TAV`
 * @returns text ending in a newline
 */
export function renderClassReport(metrics: ClassificationMetrics, classes: readonly string[], title: string): string {
  const f1 = renderTable(['class', 'F1 %', 'utterances'], classes.map((c, i) => [c, pct(metrics.perClassF1[c] ?? 0), String(metrics.confusion[i]?.reduce((a, x) => a + x, 0) ?? 0)]));
  const matrix = renderTable(
    ['true \\ predicted', ...classes],
    classes.map((c, i) => [c, ...classes.map((_, j) => String(metrics.confusion[i]?.[j] ?? 0))]),
  );
  return `per-class F1, ${title}:\n${f1}\nconfusion matrix, ${title} (rows = true labels, columns = predicted):\n${matrix}`;
}

/**
 * The evaluation with every modality present (the last scenario), whose per-class figures are printed.
 * @returns its name (e.g. `TAV`) and metrics
 */
export function fullScenario(results: ProtocolResults): { name: string; metrics: ClassificationMetrics } {
  const names = Object.keys(results.scenarios);
  const name = names.reduce((a, b) => (b.length > a.length ? b : a), names[0]);
  return { name, metrics: results.scenarios[name] };
}

/**
 * Everything printed after training or evaluation: the results table, then per-class F1 and the confusion matrix
 * with all modalities.
 * @returns text ending in a newline
 */
export function renderEvaluationReport(results: ProtocolResults, classes: readonly string[], modalityCount: number, heading: string): string {
  const full = fullScenario(results);
  return `${heading}:\n${renderResultsTable(results, modalityCount)}\n${renderClassReport(full.metrics, classes, `scenario ${full.name}`)}`;
}
