import { useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel, evaluate, train, withoutUnusableUtterances } from '../index';
import { MODALITIES, TINY_CONFIG, syntheticDialogues } from './fixtures';

const none = () => Object.fromEntries(MODALITIES.map((m) => [m.name, null]));

describe('utterances with no usable modality (issue 19, item 9)', () => {
  beforeAll(() => useBackend('wasm'));

  it('withoutUnusableUtterances drops them, and dialogues left empty, and counts them', () => {
    const dialogues = syntheticDialogues(3, 2, 5); // 5, 4 and 3 utterances
    dialogues[0].utterances[1].features = none();
    dialogues[2].utterances.forEach((u) => (u.features = none()));
    const { dialogues: kept, skipped } = withoutUnusableUtterances(dialogues, MODALITIES);
    expect(skipped).toBe(4);
    expect(kept.map((d) => d.utterances.length)).toEqual([4, 4]);
    expect(dialogues[0].utterances).toHaveLength(5); // the input is unchanged
  });

  it('train skips them and reports the count per split, instead of failing the run', async () => {
    const data = syntheticDialogues(4, 3, 4);
    data[1].utterances[2].features = none();
    const dev = syntheticDialogues(2, 9, 3);
    dev[0].utterances[0].features = none();
    const model = createModel(TINY_CONFIG);
    try {
      const result = await train(model, { train: data, dev }, { epochs: 1, batchSize: 2 });
      expect(result.skippedUtterances).toEqual({ train: 1, dev: 1 });
      expect(result.epochs).toBe(1);
    } finally {
      model.dispose();
    }
  });

  it('evaluate does not score them: the metrics equal those of the dialogues without them', () => {
    const dialogues = syntheticDialogues(3, 4, 5);
    const edited = structuredClone(dialogues);
    edited[1].utterances[2].features = none();
    const model = createModel(TINY_CONFIG);
    try {
      const a = evaluate(model.network, edited);
      const b = evaluate(model.network, withoutUnusableUtterances(edited, MODALITIES).dialogues);
      expect(a.support).toBe(b.support);
      expect(a.support).toBe(dialogues.reduce((n, d) => n + d.utterances.length, 0) - 1);
      expect(a.weightedF1).toBe(b.weightedF1);
    } finally {
      model.dispose();
    }
  });
});
