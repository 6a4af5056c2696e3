import { PRETRAINED } from '@emoje/pretrained';
import { describe, expect, it } from 'vitest';
import { describeModel, requestedModel } from './model-choice';

const BENCH = { weightedF1: 0.5970377, std: 0.0025431, seeds: 3 };

describe('the model menu', () => {
  it('defaults to MELD; ?model=demo picks the synthetic model; an unknown name falls back to MELD', () => {
    expect(requestedModel('')).toBe('meld');
    expect(requestedModel('?backend=wasm')).toBe('meld');
    expect(requestedModel('?model=demo&backend=wasm')).toBe('demo');
    expect(requestedModel('?model=meld')).toBe('meld');
    expect(requestedModel('?model=mosi')).toBe('meld');
  });

  it("states MELD's test weighted F1, the benchmark mean, its 7 emotions, training data and both licences", () => {
    const meld = describeModel('meld', BENCH);
    const text = meld.about.join(' ');
    expect(meld.label).toBe('MELD (real, text)');
    expect(text).toContain(`Test weighted F1 ${(100 * PRETRAINED.meld.testResults!.weightedF1).toFixed(2)} (accuracy ${(100 * PRETRAINED.meld.testResults!.accuracy).toFixed(2)}`);
    expect(text).toContain('mean over 3 seeds is 59.7 ± 0.3');
    expect(text).toContain(`7 emotions (${PRETRAINED.meld.classes.join(', ')})`);
    expect(text).toContain(PRETRAINED.meld.trainingData!);
    expect(text).toMatch(/GPL-3\.0.*Apache-2\.0/);
    expect(meld.inputs).toMatch(/reads only the words \(up to 2,000 characters a line\), so there is no recording, face menu or privacy switch/);
  });

  it('labels the demo model as trained on synthetic data, there to show fusion', () => {
    const demo = describeModel('demo', BENCH);
    expect(demo.about[0]).toMatch(/^Trained on synthetic data/);
    expect(demo.about.join(' ')).toMatch(/show how AM²-EmoJE fuses text, audio and face.*not an emotion recognizer/);
  });
});
