import { describe, expect, it } from 'vitest';
import { datasetSummary } from '@emoje/datasets';
import { loadMosi, loadMosiSync, mosiDataDir, readMosiFiles } from '@emoje/datasets/node';

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
});
