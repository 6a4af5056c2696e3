import { parseDialogueJsonl } from '@emoje/datasets';
import { tokenize } from '@emoje/encoders';
import { describe, expect, it } from 'vitest';
import { CLASSES, PROBES, demoJsonl } from '../scripts/train-demo-model';

// The demo model is trained by `emoje train` on this file, so it must be a valid dialogue JSON Lines file.
describe('the synthetic data of the demo model', () => {
  const text = demoJsonl(24);
  const { dataset } = parseDialogueJsonl(text, { fileName: 'web-demo-synthetic.jsonl' });

  it('is a valid dialogue JSON Lines file with the classes, modalities and splits the page expects', () => {
    expect(dataset.classes).toEqual([...CLASSES]);
    expect(dataset.modalities).toEqual([
      { name: 'text', kind: 'text' },
      { name: 'audio', kind: 'vector', dim: 77 },
      { name: 'face', kind: 'vector', dim: 15 },
    ]);
    expect([dataset.train.length, dataset.dev.length, dataset.test.length]).toEqual([24, 4, 4]);
  });

  it('gives every utterance a label and at least one modality, and leaves some modalities out', () => {
    const utterances = [...dataset.train, ...dataset.dev, ...dataset.test].flatMap((d) => d.utterances);
    for (const u of utterances) {
      expect(u.label).not.toBeNull();
      expect(Object.values(u.features).some((v) => v !== null && v !== undefined)).toBe(true);
    }
    const missing = (name: string) => utterances.filter((u) => u.features[name] === null || u.features[name] === undefined).length;
    expect(missing('audio')).toBeGreaterThan(0);
    expect(missing('face')).toBeGreaterThan(0);
    expect(missing('audio')).toBeLessThan(utterances.length);
  });

  it('never contains the probe sentences the script and the e2e test type', () => {
    const key = (s: string) => tokenize(s).filter((t) => /[a-z0-9]/.test(t)).join(' ');
    const probes = new Set(PROBES.map(key));
    const texts = [...dataset.train, ...dataset.dev, ...dataset.test].flatMap((d) => d.utterances.map((u) => u.features.text)).filter((t): t is string => typeof t === 'string');
    expect(texts.length).toBeGreaterThan(50);
    for (const t of texts) expect(probes.has(key(t))).toBe(false);
  });

  it('is reproducible', () => {
    expect(demoJsonl(24)).toBe(text);
  });
});
