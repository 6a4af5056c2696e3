import { describe, expect, it } from 'vitest';
import { datasetSummary } from '@emoje/datasets';
import { parseMosi } from '@emoje/datasets';
import { loadMosi, loadMosiSync, loadMosiWordVectors, loadWordVectors, mosiDataDir, readMosiFiles } from '@emoje/datasets/node';

describe('@emoje/datasets/node', () => {
  it('finds the bundled data next to the package', () => {
    expect(mosiDataDir().replace(/\\/g, '/')).toMatch(/packages\/datasets\/data\/mosi\/?$/);
    const { features, index } = readMosiFiles();
    expect(features.length).toBe(2199 * 273);
    expect(index.utterances).toHaveLength(2199);
    expect(index.dims).toEqual({ text: 100, audio: 73, visual: 100 });
  });

  it('loads MOSI asynchronously and synchronously with the same split', async () => {
    const ds = await loadMosi({ seed: 3 });
    const sync = loadMosiSync({ seed: 3 });
    expect(ds.dev.map((d) => d.id)).toEqual(sync.dev.map((d) => d.id));
    const s = datasetSummary(ds);
    expect(s.total.utterances).toBe(2199);
    expect(s.train.utterances + s.dev.utterances).toBe(1447);
    expect(s.test.labelCounts).toEqual({ negative: 285, positive: 467 });
  });

  it("gives MOSI's text as transcripts with { text: 'tokens' }, the same split and the same audio and visual rows", async () => {
    const vectors = await loadMosi({ seed: 3 });
    const tokens = await loadMosi({ seed: 3, text: 'tokens' });
    expect(tokens.modalities).toEqual([{ name: 'text', kind: 'text' }, { name: 'audio', kind: 'vector', dim: 73 }, { name: 'visual', kind: 'vector', dim: 100 }]);
    expect(tokens.dev.map((d) => d.id)).toEqual(vectors.dev.map((d) => d.id));
    const u = tokens.test[0].utterances[0];
    const v = vectors.test[0].utterances[0];
    expect(u.features.text).toBe(v.text);
    expect(typeof u.features.text).toBe('string');
    expect(u.features.audio).toEqual(v.features.audio);
    expect(u.features.visual).toEqual(v.features.visual);
    expect(loadMosiSync({ seed: 3, text: 'tokens' }).train[0].utterances[0].features.text).toBe(tokens.train[0].utterances[0].features.text);
  });

  it("rejects an unknown text input and a tokens load whose row has no transcript, naming the field", () => {
    const { features, index } = readMosiFiles();
    expect(() => parseMosi(features, index.utterances, { text: 'words' as never })).toThrow(/options\.text.*'vector'/s);
    const rows = index.utterances.map((r, i) => (i === 5 ? { ...r, text: undefined } : r));
    expect(() => parseMosi(features, rows, { text: 'tokens' })).toThrow(/index\[5\]\.text/);
    expect(parseMosi(features, rows).modalities[0]).toEqual({ name: 'text', kind: 'vector', dim: 100 });
  });

  it("bundles GloVe vectors for MOSI's words that the MELD subset lacks", async () => {
    const mosi = await loadMosiWordVectors();
    const meld = await loadWordVectors();
    expect(mosi.dim).toBe(100);
    expect(mosi.words.length).toBe(2866);
    expect(mosi.vectors.length).toBe(2866 * 100);
    const meldWords = new Set(meld.words);
    for (const w of ['plot', 'characters', 'dont']) {
      expect(mosi.words).toContain(w);
      expect(meldWords.has(w)).toBe(false);
    }
    // A word both subsets hold has the same GloVe vector (float16 in both files).
    const w = 'movie';
    const a = mosi.vectors.subarray(mosi.words.indexOf(w) * 100, mosi.words.indexOf(w) * 100 + 100);
    const b = meld.vectors.subarray(meld.words.indexOf(w) * 100, meld.words.indexOf(w) * 100 + 100);
    expect(meld.words).toContain(w);
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});
