import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadMosi } from '@emoje/datasets/node';
import { evaluate } from '@emoje/model';
import { useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRETRAINED, assetsDir, loadPretrained } from './node';

describe('the bundled pretrained MOSI model (wasm)', () => {
  beforeAll(() => useBackend('wasm'));

  it('loads with one call and reproduces the test accuracy its training script recorded', async () => {
    const model = await loadPretrained('mosi');
    const recorded = JSON.parse(await readFile(join(assetsDir(), 'mosi', 'metrics.json'), 'utf8'));
    const data = await loadMosi();
    const all = evaluate(model.network, data.test);
    const text = evaluate(model.network, data.test, { scenario: ['text'] });
    expect(all.accuracy).toBeCloseTo(recorded.results.TAV.accuracy, 6);
    expect(text.accuracy).toBeCloseTo(recorded.results.T.accuracy, 6);
    expect(all.accuracy).toBeGreaterThan(0.75);
    expect(model.config.classes).toEqual(PRETRAINED.mosi.classes);
    expect(model.config.modalities.map((m) => [m.name, m.kind === 'vector' ? m.dim : null])).toEqual(PRETRAINED.mosi.modalities.map((m) => [m.name, m.dim]));
    model.dispose();
  });

  it('predicts a dialogue whose utterances carry different modality subsets', async () => {
    const model = await loadPretrained('mosi');
    const [a, b] = (await loadMosi()).test[0].utterances;
    const out = await model.predict({
      utterances: [
        { speaker: 'x', features: { text: a.features.text } },
        { speaker: 'x', features: { audio: b.features.audio, visual: b.features.visual } },
      ],
    });
    expect(out[0].imputed).toEqual(['audio', 'visual']);
    expect(out[1].imputed).toEqual(['text']);
    expect(out[1].modalityWeights.audio + out[1].modalityWeights.visual + out[1].modalityWeights.text).toBeCloseTo(1, 5);
    model.dispose();
  });

  it('names the known models when asked for an unknown one', async () => {
    await expect(loadPretrained('nope')).rejects.toThrow(/expected one of mosi, emodb, meld/);
  });

  it('the asset stays small', async () => {
    const bytes = (await readFile(join(assetsDir(), 'mosi', 'weights.bin'))).byteLength;
    expect(bytes).toBeLessThan(4 * 1024 * 1024);
  });
});
