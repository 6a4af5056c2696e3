import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { useBackend } from '@emoje/test-utils';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createModel,
  hasModelInIndexedDB,
  indexedDbUrl,
  loadModelCached,
  loadModelFromIndexedDB,
  loadModelFromUrl,
  loadPretrainedFromUrl,
  saveModelToIndexedDB,
  type DialogueInput,
} from './index';

const assets = fileURLToPath(new URL('../../pretrained/assets/', import.meta.url));

/** A fetch that serves the pretrained package's assets folder under http://test.local/assets/ and records the URLs. */
function assetFetch(requests: string[]): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const url = String(input);
    requests.push(url);
    const prefix = 'http://test.local/assets/';
    if (!url.startsWith(prefix)) return new Response('not found', { status: 404 });
    try {
      const bytes = await readFile(join(assets, url.slice(prefix.length)));
      return new Response(bytes, { status: 200 });
    } catch {
      return new Response('not found', { status: 404 });
    }
  }) as typeof fetch;
}

function dialogue(seed: number): DialogueInput {
  const random = (n: number, offset: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.3 + i * 1.7 + offset));
  return {
    utterances: [
      { speaker: 'a', features: { text: random(100, 0), audio: random(73, 1), visual: random(100, 2) } },
      { speaker: 'b', features: { text: random(100, 3) } },
    ],
  };
}

describe('model I/O over HTTP (fetch injected, real MOSI asset)', () => {
  beforeAll(() => useBackend('cpu'));
  afterEach(() => vi.unstubAllGlobals());

  it('loads model.json and its weights, and predicts like the Node loader', async () => {
    const requests: string[] = [];
    const progress: number[] = [];
    const model = await loadModelFromUrl('http://test.local/assets/mosi/model.json', { fetchFunc: assetFetch(requests), onProgress: (f) => progress.push(f) });
    expect(requests).toEqual(['http://test.local/assets/mosi/model.json', 'http://test.local/assets/mosi/./weights.bin']);
    expect(progress.at(-1)).toBe(1);
    expect(model.config.modalities.map((m) => [m.name, m.kind === 'vector' ? m.dim : m.kind])).toEqual([
      ['text', 100],
      ['audio', 73],
      ['visual', 100],
    ]);
    vi.stubGlobal('fetch', assetFetch(requests)); // loadPretrainedFromUrl uses the global fetch
    const viaPretrained = await loadPretrainedFromUrl('mosi', 'http://test.local/assets/', { method: 'GET' });
    expect(requests.at(-1)).toBe('http://test.local/assets/mosi/./weights.bin');
    // the same weights through two routes give the same numbers; the second utterance misses audio and visual
    const a = await model.predict(dialogue(1));
    const b = await viaPretrained.predict(dialogue(1));
    expect(a[1].missing).toEqual(['audio', 'visual']);
    for (const [i, p] of a.entries()) {
      for (const c of model.config.classes) expect(p.probabilities[c]).toBeCloseTo(b[i].probabilities[c], 6);
    }
    model.dispose();
    viaPretrained.dispose();
  });

  it('names the URL when the fetch fails, and the field when the URL is not a string', async () => {
    await expect(loadModelFromUrl('http://test.local/nothing/model.json', { fetchFunc: assetFetch([]) })).rejects.toThrow(
      /could not load the emoje model from http:\/\/test\.local\/nothing\/model\.json: .*404/,
    );
    await expect(loadModelFromUrl('' as string)).rejects.toThrow(EmojeInputError);
    await expect(loadModelFromUrl(42 as unknown as string)).rejects.toThrow(/url/);
  });

  it('rejects a model.json that is not an emoje model, naming the field', async () => {
    const fetchFunc = (async (input: RequestInfo | URL) =>
      String(input).endsWith('model.json')
        ? new Response(JSON.stringify({ modelTopology: { class_name: 'Sequential' }, weightsManifest: [] }), { status: 200 })
        : new Response('', { status: 404 })) as typeof fetch;
    await expect(loadModelFromUrl('http://x/model.json', { fetchFunc })).rejects.toThrow(/modelTopology\.format/);
  });

  it('leaks no tensors across load, predict and dispose', async () => {
    const fetchFunc = assetFetch([]);
    const warm = await loadModelFromUrl('http://test.local/assets/mosi/model.json', { fetchFunc });
    await warm.predict(dialogue(2));
    warm.dispose();
    const before = tf.memory().numTensors;
    const model = await loadModelFromUrl('http://test.local/assets/mosi/model.json', { fetchFunc });
    await model.predict(dialogue(2));
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('IndexedDB helpers outside a browser', () => {
  it('check the key and say clearly that Node has no IndexedDB', async () => {
    expect(indexedDbUrl('demo')).toBe('indexeddb://demo');
    expect(indexedDbUrl('indexeddb://demo')).toBe('indexeddb://demo');
    expect(() => indexedDbUrl('')).toThrow(/key/);
    expect(() => indexedDbUrl('x'.repeat(201))).toThrow(/at most 200/);
    const model = createModel({ modalities: [{ name: 'a', kind: 'vector', dim: 2 }], classes: ['x', 'y'], units: 8, numHeads: 2, contextUnits: 8, embeddingDim: 4 });
    await expect(saveModelToIndexedDB(model, 'demo')).rejects.toThrow(/runtime with IndexedDB/);
    await expect(loadModelFromIndexedDB('demo')).rejects.toThrow(/runtime with IndexedDB/);
    expect(await hasModelInIndexedDB('demo')).toBe(false);
    model.dispose();
  });

  it('loadModelCached falls back to HTTP and reports the source', async () => {
    const { model, source } = await loadModelCached('http://test.local/assets/mosi/model.json', { key: 'mosi', fetchFunc: assetFetch([]) });
    expect(source).toBe('http');
    model.dispose();
    await expect(loadModelCached('http://test.local/assets/mosi/model.json', { key: '' })).rejects.toThrow(/key/);
  });
});
