import { describe, expect, it } from 'vitest';
import { classificationMetrics } from '@emoje/model';
import { standardizeBySpeaker, standardizeFramesBySpeaker } from './speech-features';
import { unweightedAverageRecall } from './speech-frame-model';
import { renderSpeechMarkdown, summarizeRuns, type SpeechFoldRun } from './speech-report';

const classes = ['a', 'b', 'c'];

function run(path: 'vector' | 'frames', seed: number, fold: number, truth: number[], predicted: number[], devUar: number): SpeechFoldRun {
  return {
    path, seed, fold, test: `s${fold}`, dev: `s${fold + 1}`, devUar, epochs: 10, bestEpoch: 5, seconds: 1,
    metrics: { ...classificationMetrics(truth, predicted, classes), uar: unweightedAverageRecall(truth, predicted, classes.length) },
  };
}

describe('bench:speech summary', () => {
  it('UAR is the mean of per-class recalls, whatever the class sizes', () => {
    // class a: 3/4, b: 1/1, c: 0/1
    expect(unweightedAverageRecall([0, 0, 0, 0, 1, 2], [0, 0, 0, 1, 1, 0], 3)).toBeCloseTo((0.75 + 1 + 0) / 3, 10);
    expect(unweightedAverageRecall([0, 0], [0, 0], 3)).toBe(1); // classes without support are skipped
  });

  it('picks the headline path on dev UAR, never on test, pools confusion matrices and averages over runs', () => {
    const runs = [
      run('vector', 1, 0, [0, 1, 2], [0, 1, 2], 0.5), // perfect on test, worse on dev
      run('vector', 1, 1, [0, 1, 2], [0, 1, 1], 0.5),
      run('frames', 1, 0, [0, 1, 2], [0, 0, 0], 0.9),
      run('frames', 1, 1, [0, 1, 2], [0, 1, 0], 0.9),
    ];
    const report = summarizeRuns(runs, { classes, protocol: 'p', settings: {} });
    expect(report.headlinePath).toBe('frames');
    expect(report.uar).toBeCloseTo((1 / 3 + 2 / 3) / 2, 10);
    expect(report.paths.vector.uar).toBeCloseTo((1 + 2 / 3) / 2, 10);
    expect(report.confusion).toEqual([[2, 0, 0], [1, 1, 0], [2, 0, 0]]);
    expect(report.perClassF1.c).toBe(0);
    expect(report.folds).toHaveLength(4);
    const md = renderSpeechMarkdown(report);
    expect(md).toContain('(headline, higher dev UAR)');
    expect(md).toContain('| c | 2 | 0 | 0 |');
  });

  it('speaker normalisation z-scores each speaker separately and reads no label', () => {
    const rows = [Float32Array.from([1, 5]), Float32Array.from([3, 5]), Float32Array.from([10, 0]), Float32Array.from([30, 2])];
    const out = standardizeBySpeaker(rows, ['x', 'x', 'y', 'y']);
    expect(Array.from(out[0])).toEqual([-1, 0]); // constant dimension -> 0
    expect(Array.from(out[3])).toEqual([1, 1]);
    expect(Array.from(rows[0])).toEqual([1, 5]); // input untouched
    const frames = standardizeFramesBySpeaker([[Float32Array.from([0]), Float32Array.from([2])], [Float32Array.from([4])]], ['x', 'y']);
    expect(frames.map((s) => s.map((r) => r[0]))).toEqual([[-1, 1], [0]]);
  });
});
