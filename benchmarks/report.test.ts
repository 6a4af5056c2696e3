import { describe, expect, it } from 'vitest';
import { mergeMosiReports, parseVariants, renderMeldMarkdown, renderMosiMarkdown, renderTextFeatureComparison, VARIANT_SPECS, type MeldReport } from './report';

const summary = (accuracy: number) => ({ accuracy, weightedF1: accuracy + 0.001, std: { accuracy: 0.005, weightedF1: 0.004 } });
const mosiVariant = (accuracy: number, single?: number) => ({
  scenarios: { T: summary(accuracy - 0.01), TAV: summary(accuracy) },
  missingRate: { '0.0': summary(accuracy) },
  epochs: [18],
  bestEpochs: [18],
  ...(single !== undefined ? { singleModel: { scenarios: { T: summary(single - 0.01), TAV: summary(single) }, missingRate: { '0.0': summary(single) } } } : {}),
});

describe('benchmark reports', () => {
  it('a MOSI ensemble report says so and tables the first members alone', () => {
    const base = { seeds: [1, 2, 3], split: { testUtterances: 752 }, backend: 'wasm', minutes: 3 };
    const single = renderMosiMarkdown({ ...base, variants: { full: mosiVariant(0.773) } });
    expect(single).not.toMatch(/ensemble/);
    const ensemble = renderMosiMarkdown({ ...base, ensemble: 5, variants: { full: mosiVariant(0.778, 0.773), 'no-joint-embedding': mosiVariant(0.776, 0.772) } });
    expect(ensemble).toContain('**ensemble of 5**');
    expect(ensemble).toContain('| TAV | 80.3 | 77.8 ± 0.5 | 77.9 ± 0.4 | 77.6 ± 0.5 | 77.7 ± 0.4 | +0.2 |');
    expect(ensemble).toContain('| scenario | full one member acc | full one member wF1 | no-joint-embedding one member acc | no-joint-embedding one member wF1 |');
    expect(ensemble).toContain('| TAV | 77.3 ± 0.5 | 77.4 ± 0.4 | 77.2 ± 0.5 | 77.3 ± 0.4 |');
  });

  it('a MOSI report of one seed has no ± 0.0 spread', () => {
    const one = renderMosiMarkdown({ seeds: [1], split: { testUtterances: 752 }, backend: 'wasm', minutes: 3, variants: { full: mosiVariant(0.773) } });
    expect(one).not.toContain('±');
    expect(one).toContain('one seed (1);');
    expect(one).toContain('| TAV | 80.3 | 77.3 | 77.4 |');
  });

  it('a MELD ensemble report has a row for one member beside the ensemble', () => {
    const variant = {
      weightedF1: 0.571,
      accuracy: 0.58,
      macroF1: 0.4,
      std: { weightedF1: 0.005, accuracy: 0.004, macroF1: 0.01 },
      perClassF1: { neutral: 0.74, fear: 0.1 },
      trainMinutes: [18, 19],
      epochs: [10, 10],
      bestEpochs: [9, 8],
      singleModel: { weightedF1: 0.562, accuracy: 0.57, std: { weightedF1: 0.008 }, perSeed: [{ seed: 1, weightedF1: 0.568 }, { seed: 2, weightedF1: 0.556 }] },
    };
    const report: MeldReport = {
      dataset: 'meld',
      modalities: ['text'],
      seeds: [1, 2],
      ensemble: 3,
      backend: 'wasm',
      classes: ['neutral', 'fear'],
      split: { test: { dialogues: 280, utterances: 2610 } },
      wordVectors: { source: 'GloVe', coverage: null },
      preset: { model: {}, train: {} },
      minutes: 40,
      generatedAt: '2026-12-02T00:00:00.000Z',
      variants: { full: variant },
    };
    const markdown = renderMeldMarkdown(report);
    expect(markdown).toContain('**ensemble of 3**');
    expect(markdown).toContain('| emoje full, ensemble of 3 | **57.1 ± 0.5** | 58.0 ± 0.4 | 40.0 ± 1.0 | 18.5 |');
    expect(markdown).toContain('| emoje full, one member | 56.2 ± 0.8 (56.8 / 55.6) | 57.0 | | |');
  });

  it('a MELD report with a decision bias names it and has a row of the same networks without it', () => {
    const perSeed = [0.566, 0.556].map((w, i) => ({
      seed: i + 1, weightedF1: w, accuracy: 0.57, devWeightedF1: 0.55, perClassF1: { neutral: 0.74, fear: 0.1 },
      decisionBias: [[0.3, -0.1]], withoutDecisionBias: { weightedF1: w - 0.008, devWeightedF1: 0.54, perClassF1: { neutral: 0.73, fear: 0.1 } },
    }));
    const report: MeldReport = {
      dataset: 'meld', modalities: ['text'], seeds: [1, 2], backend: 'wasm', classes: ['neutral', 'fear'],
      split: { test: { dialogues: 280, utterances: 2610 } }, wordVectors: { source: 'GloVe', coverage: null },
      preset: { model: {}, train: { fitDecisionBias: true } }, minutes: 10, generatedAt: '2026-12-02T00:00:00.000Z',
      variants: {
        full: {
          weightedF1: 0.561, accuracy: 0.57, macroF1: 0.37, std: { weightedF1: 0.005, accuracy: 0.004, macroF1: 0.01 },
          perClassF1: { neutral: 0.74, fear: 0.1 }, trainMinutes: [5, 5], epochs: [10, 10], bestEpochs: [9, 8], perSeed,
          withoutDecisionBias: { weightedF1: 0.553, accuracy: 0.56, std: { weightedF1: 0.005 } },
        },
      },
    };
    const markdown = renderMeldMarkdown(report);
    expect(markdown).toContain('fitted on the dev split to maximise its weighted F1');
    expect(markdown).toContain('| emoje full, without the decision bias | 55.3 ± 0.5 (55.8 / 54.8) | 56.0 | | |');
  });

  const seedSummary = (wf1: number[]) => ({
    accuracy: 0, weightedF1: wf1.reduce((a, b) => a + b, 0) / wf1.length, std: { accuracy: 0, weightedF1: 0 },
    perSeed: wf1.map((w) => ({ accuracy: w - 0.001, weightedF1: w, macroF1: w - 0.01 })),
  });
  const oneSeedReport = (seed: number, wf1: number, extra: Record<string, unknown> = {}) => ({
    seeds: [seed], ensemble: 1, split: { testUtterances: 752 }, backend: 'wasm', minutes: seed,
    variants: { naive: { scenarios: { A: seedSummary([wf1]), TAV: seedSummary([wf1 + 0.2]) }, missingRate: { '0.5': seedSummary([wf1 + 0.1]) }, epochs: [18], bestEpochs: [seed], trainSeconds: [10 * seed], ...extra } },
  });

  it('merging bench:mosi runs of other seeds of one variant concatenates the seeds and recomputes mean and std', () => {
    const merged = mergeMosiReports([oneSeedReport(1, 0.5), oneSeedReport(2, 0.6), oneSeedReport(3, 0.7)]);
    expect(merged.seeds).toEqual([1, 2, 3]);
    expect(merged.minutes).toBe(3);
    const a = merged.variants.naive.scenarios.A;
    expect(a.weightedF1).toBeCloseTo(0.6, 10);
    expect(a.std.weightedF1).toBeCloseTo(Math.sqrt(((0.1 ** 2) * 2) / 3), 10);
    expect(a.macroF1).toBeCloseTo(0.59, 10);
    expect(a.perSeed.map((p: { weightedF1: number }) => p.weightedF1)).toEqual([0.5, 0.6, 0.7]);
    expect(merged.variants.naive.bestEpochs).toEqual([1, 2, 3]);
    expect(merged.variants.naive.ensemble).toBeUndefined();
    expect(merged.variants.naive.seeds).toBeUndefined();
    // A variant that finished fewer seeds than the merged report lists says which it has.
    const partial = mergeMosiReports([oneSeedReport(1, 0.5), oneSeedReport(2, 0.6), { ...oneSeedReport(1, 0.5), variants: { other: oneSeedReport(1, 0.5).variants.naive } }]);
    expect(partial.variants.other.seeds).toEqual([1]);
    expect(renderMosiMarkdown(partial)).toContain('other (seed 1) acc');
    // Without per-seed metrics the seeds cannot be joined: the error names the table.
    const bare = oneSeedReport(4, 0.5);
    delete (bare.variants.naive.scenarios.A as { perSeed?: unknown }).perSeed;
    expect(() => mergeMosiReports([oneSeedReport(1, 0.5), bare])).toThrow(/naive\.scenarios\.A of part 2/);
  });

  it('a one-model naive merged into an ensemble report is named so, and the claim table compares it with the single members', () => {
    const ensemble = {
      seeds: [1, 2, 3], ensemble: 5, split: { testUtterances: 752 }, backend: 'wasm', minutes: 13,
      variants: { full: mosiVariant(0.6, 0.55), 'no-joint-embedding': mosiVariant(0.58, 0.54) },
    };
    const naive = mergeMosiReports([oneSeedReport(1, 0.5), oneSeedReport(2, 0.52)]);
    naive.variants.naive.scenarios.T = seedSummary([0.5]);
    const merged = mergeMosiReports([ensemble, naive]);
    expect(merged.ensemble).toBe(5);
    expect(merged.variants.naive.ensemble).toBe(1);
    const markdown = renderMosiMarkdown(merged);
    expect(markdown).toContain('naive (one model; seeds 1, 2) acc | naive (one model; seeds 1, 2) wF1');
    expect(markdown).toContain("full and no-joint-embedding are their ensembles' first members");
    // TAV: naive 0.5 / 0.52 + 0.2 -> 71.0; no-JE's first member 0.54 + 0.001 -> 54.1; full's 0.55 + 0.001 -> 55.1.
    expect(markdown).toContain('| TAV | 71.0 ± 1.0 | 54.1 ± 0.4 | 55.1 ± 0.4 | -16.9 | +1.0 | -15.9 |');
    expect(() => mergeMosiReports([ensemble, { ...ensemble, ensemble: 3 }])).toThrow(/variant 'full' was run with ensembles of 5 and 3/);
  });

  it('a MOSI report with dev scores tables them per scenario with their mean', () => {
    const report = { ...oneSeedReport(1, 0.5, { dev: { scenarios: { A: seedSummary([0.6]), TAV: seedSummary([1]) } } }) };
    const markdown = renderMosiMarkdown(report);
    expect(markdown).toContain('| variant | A | TAV | mean |');
    expect(markdown).toContain('| naive | 60.0 | 100.0 | 80.0 |');
  });

  it('--variants parses the sentence-vector variants and names the unknown ones', () => {
    expect(parseVariants('full-use,no-joint-embedding-use')).toEqual(['full-use', 'no-joint-embedding-use']);
    expect(VARIANT_SPECS['full-use']).toEqual({ text: 'sentences' });
    expect(VARIANT_SPECS['no-joint-embedding-use']).toEqual({ text: 'sentences', blocks: { jointEmbedding: false } });
    expect(parseVariants(undefined)).toEqual(['full', 'no-joint-embedding', 'no-qaf', 'no-context', 'naive']);
    expect(parseVariants(undefined, true)).toEqual(['full', 'no-joint-embedding']);
    expect(() => parseVariants('full,full-usee')).toThrow("--variants: unknown variant 'full-usee' (known: ");
  });

  it('the text-feature comparison reads -use variants from one report and bc-LSTM ones from another, single members from an ensemble', () => {
    const base = { seeds: [1, 2, 3], split: { testUtterances: 752 }, backend: 'wasm', minutes: 3 };
    const use = { ...base, variants: { 'full-use': mosiVariant(0.8), 'no-joint-embedding-use': mosiVariant(0.78) } };
    const vectors = { ...base, ensemble: 5, variants: { full: mosiVariant(0.778, 0.77), 'no-joint-embedding': mosiVariant(0.776, 0.765) } };
    const md = renderTextFeatureComparison([use, vectors]);
    // T and TAV: the bc-LSTM columns are the first members (77.0, 76.5), not the ensembles (77.8, 77.6).
    expect(md).toContain('| TAV | 77.0 ± 0.5 / 77.1 ± 0.4 | 76.5 ± 0.5 / 76.6 ± 0.4 | 80.0 ± 0.5 / 80.1 ± 0.4 | 78.0 ± 0.5 / 78.1 ± 0.4 |');
    expect(md).toContain('| T | 76.0 ± 0.5 / 76.1 ± 0.4 | 75.5 ± 0.5 / 75.6 ± 0.4 | 79.0 ± 0.5 / 79.1 ± 0.4 | 77.0 ± 0.5 / 77.1 ± 0.4 |');
    expect(md).toContain('| TAV | +0.5 | +2.0 |');
    expect(md).toContain('| η = 0.0 | +0.5 | +2.0 |');
    // A difference that rounds to zero is +0.0, never -0.0.
    const tiny = { ...base, variants: { 'full-use': mosiVariant(0.8), 'no-joint-embedding-use': mosiVariant(0.8002) } };
    expect(renderTextFeatureComparison([tiny, vectors])).toContain('| TAV | +0.5 | +0.0 |');
    // A run of the -use variants alone fills the main table's Δ column from them.
    expect(renderMosiMarkdown(use)).toContain('| TAV | 80.3 | 80.0 ± 0.5 | 80.1 ± 0.4 | 78.0 ± 0.5 | 78.1 ± 0.4 | +2.0 |');
        // Without either variant of a text feature there is nothing to compare.
    expect(renderTextFeatureComparison([use])).toBe('');
  });
});
