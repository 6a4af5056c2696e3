import type { DialogueDataset } from '@emoje/datasets';
import type { ClassificationMetrics, ProtocolResults } from '@emoje/model';
import { describe, expect, it } from 'vitest';
import { describeKeptWeights, fullScenario, renderClassReport, renderDatasetSummary, renderResultsTable, renderVocabularyCoverage } from './report';

const metrics = (accuracy: number): ClassificationMetrics => ({
  accuracy,
  weightedF1: accuracy,
  macroF1: accuracy,
  perClassF1: { neutral: 0.5, joy: 0.8 },
  confusion: [
    [3, 1],
    [2, 6],
  ],
  support: 12,
});

describe('report', () => {
  it('summarises every split: dialogues, utterances, labels per class', () => {
    const u = (label: number | null) => ({ id: String(Math.random()), speaker: 'A', label, features: { text: 'hi' } });
    const dataset: DialogueDataset = {
      name: 'calls',
      classes: ['neutral', 'joy'],
      modalities: [{ name: 'text', kind: 'text' }],
      train: [{ id: 'a', utterances: [u(0), u(1), u(1)] }, { id: 'b', utterances: [u(null)] }],
      dev: [{ id: 'c', utterances: [u(0)] }],
      test: [{ id: 'd', utterances: [u(1), u(0)] }],
      license: 'MIT',
      source: 'test',
    };
    const lines = renderDatasetSummary(dataset, 'calls.jsonl').split('\n');
    expect(lines[0]).toBe('dataset calls.jsonl: 2 classes, modalities text');
    expect(lines[1].split(/\s+/)).toEqual(['split', 'dialogues', 'utterances', 'neutral', 'joy', 'unlabelled']);
    expect(lines[3].split(/\s+/)).toEqual(['train', '2', '4', '1', '2', '1']);
    expect(lines[5].split(/\s+/)).toEqual(['test', '1', '2', '1', '1', '0']);
  });

  it('says how many vocabulary tokens start from a word vector', () => {
    expect(renderVocabularyCoverage({ text: { vocabulary: 200, pretrained: 150 } })).toBe(
      'text: vocabulary of 200 tokens from the training texts, 150 of them (75.0%) start from a GloVe vector\n',
    );
    expect(renderVocabularyCoverage({})).toBe('');
  });

  it('says when the kept weights are an average of the last epochs, and the best epoch otherwise', () => {
    const base = { epochs: 18, bestEpoch: 18, bestDevWeightedF1: 1, decisionBias: null };
    expect(describeKeptWeights({ ...base, averagedEpochs: 8 })).toBe('weights averaged over the last 8 of 18 epochs, dev weighted F1 100.0 %');
    expect(describeKeptWeights({ ...base, bestEpoch: 7, averagedEpochs: 0 })).toBe('weights of epoch 7 of 18 (best on dev), dev weighted F1 100.0 %');
  });

  it('drops the missing-rate rows with one modality only', () => {
    const results: ProtocolResults = { scenarios: { T: metrics(0.75) }, missingRate: { '0.0': metrics(0.75), '0.5': metrics(0.75) } };
    const one = renderResultsTable(results, 1);
    expect(one).toContain('scenario T');
    expect(one).not.toContain('missing rate 0.5');
    expect(one).toContain('with one modality, every rate keeps it');
    expect(renderResultsTable(results, 2)).toContain('missing rate 0.5');
  });

  it('prints per-class F1 and the confusion matrix with rows = true labels', () => {
    const text = renderClassReport(metrics(0.75), ['neutral', 'joy'], 'scenario T');
    expect(text).toContain('rows = true labels');
    const lines = text.split('\n');
    expect(lines.find((l) => l.startsWith('joy '))?.split(/\s+/)).toEqual(['joy', '80.0', '8']);
    const matrix = lines.slice(lines.findIndex((l) => l.startsWith('true')));
    expect(matrix[2].split(/\s+/)).toEqual(['neutral', '3', '1']);
    expect(matrix[3].split(/\s+/)).toEqual(['joy', '2', '6']);
  });

  it('reports the scenario with every modality', () => {
    const results: ProtocolResults = { scenarios: { T: metrics(0.7), A: metrics(0.5), TA: metrics(0.8) }, missingRate: {} };
    expect(fullScenario(results).name).toBe('TA');
  });
});
