import { describe, expect, it } from 'vitest';
import {
  datasetSummary,
  decodeFloat32LE,
  holdOutDialogues,
  parseMosi,
  validateDataset,
  withoutModalities,
  type DialogueDataset,
} from '../src/index';
import { errorOf, fieldOf, readRaw } from './helpers';

const { features, index } = readRaw();
const mosi = parseMosi(features, index.utterances);

/** A small dataset, fresh per call, to break in one place. */
function tiny(): DialogueDataset {
  const f = (dim: number, v: number) => new Float32Array(dim).fill(v);
  return {
    name: 'tiny',
    classes: ['a', 'b', 'c'],
    modalities: [
      { name: 'x', kind: 'vector', dim: 2 },
      { name: 'y', kind: 'vector', dim: 3 },
    ],
    train: [
      {
        id: 'd1',
        utterances: [
          { id: 'd1_1', speaker: 'A', text: 'hi', label: 0, features: { x: f(2, 1), y: f(3, 1) } },
          { id: 'd1_2', speaker: 'B', label: null, features: { x: f(2, 2), y: null } },
        ],
      },
    ],
    dev: [{ id: 'd2', utterances: [{ id: 'd2_1', speaker: 'A', label: 2, features: { x: f(2, 3) } }] }],
    test: [{ id: 'd3', utterances: [{ id: 'd3_1', speaker: 'A', label: 1, features: { x: undefined, y: f(3, 4) } }] }],
    license: 'MIT',
    source: 'test',
  };
}

describe('validateDataset', () => {
  it('accepts MOSI and a dataset with missing modalities and unlabeled utterances', () => {
    expect(() => validateDataset(mosi)).not.toThrow();
    expect(() => validateDataset(tiny())).not.toThrow();
  });

  it('names the dialogue, utterance and field of a wrong feature dimension', () => {
    const ds = tiny();
    ds.train[0].utterances[1].features.x = new Float32Array(5);
    const error = errorOf(() => validateDataset(ds));
    expect(error.field).toBe('train[0].utterances[1].features.x');
    expect(error.message).toMatch(/dialogue "d1", utterance "d1_2"/);
    expect(error.message).toMatch(/length 2/);
  });

  it('rejects bad labels, features, dialogues, ids and specs', () => {
    const cases: Array<[string, (ds: DialogueDataset) => void]> = [
      ['dev[0].utterances[0].label', (ds) => (ds.dev[0].utterances[0].label = 3)],
      ['dev[0].utterances[0].label', (ds) => (ds.dev[0].utterances[0].label = 0.5)],
      ['test[0].utterances[0].features.z', (ds) => (ds.test[0].utterances[0].features.z = new Float32Array(1))],
      ['test[0].utterances[0].features.y', (ds) => ((ds.test[0].utterances[0].features.y as Float32Array)[1] = Number.NaN)],
      ['train[0].utterances[0].features.y', (ds) => ((ds.train[0].utterances[0].features as Record<string, unknown>).y = [1, 2, 3])],
      ['dev[0].utterances', (ds) => (ds.dev[0].utterances = [])],
      ['test[0].id', (ds) => (ds.test[0].id = 'd1')],
      ['test[0].utterances[0].id', (ds) => (ds.test[0].utterances[0].id = 'd1_1')],
      ['train[0].utterances[1].speaker', (ds) => ((ds.train[0].utterances[1] as { speaker: unknown }).speaker = 7)],
      ['modalities[1].dim', (ds) => ((ds.modalities[1] as { dim: number }).dim = 0)],
      ['modalities[1].name', (ds) => (ds.modalities[1].name = 'x')],
      ['classes[2]', (ds) => (ds.classes[2] = 'a')],
      ['dev', (ds) => ((ds as { dev: unknown }).dev = undefined)],
    ];
    for (const [field, breakIt] of cases) {
      const ds = tiny();
      breakIt(ds);
      expect(fieldOf(() => validateDataset(ds))).toBe(field);
    }
  });
});

describe('datasetSummary', () => {
  it('counts per split, labels by class, unlabeled, longest dialogue and missing modalities', () => {
    const s = datasetSummary(tiny());
    expect(s.modalities).toEqual(['x', 'y']);
    expect(s.train).toEqual({
      dialogues: 1,
      utterances: 2,
      labeled: 1,
      unlabeled: 1,
      labelCounts: { a: 1, b: 0, c: 0 },
      maxDialogueLength: 2,
      missing: { x: 0, y: 1 },
    });
    expect(s.total).toMatchObject({ dialogues: 3, utterances: 4, labelCounts: { a: 1, b: 1, c: 1 }, missing: { x: 1, y: 2 } });
  });
});

describe('withoutModalities', () => {
  it('marks the named modalities missing everywhere and leaves the input alone', () => {
    const noAudio = withoutModalities(mosi, ['audio']);
    const s = datasetSummary(noAudio);
    expect(s.total.missing).toEqual({ text: 0, audio: 2199, visual: 0 });
    expect(noAudio.modalities).toEqual(mosi.modalities);
    expect(noAudio.train[0].utterances[0].features.text).toBe(mosi.train[0].utterances[0].features.text);
    expect(mosi.train[0].utterances[0].features.audio).toBeInstanceOf(Float32Array);
    expect(datasetSummary(mosi).total.missing.audio).toBe(0);
    expect(() => validateDataset(noAudio)).not.toThrow();
    expect(datasetSummary(withoutModalities(mosi, ['audio', 'visual'])).test.missing).toEqual({ text: 0, audio: 752, visual: 752 });
  });

  it('names an unknown modality', () => {
    expect(fieldOf(() => withoutModalities(mosi, ['text', 'smell']))).toBe('names[1]');
  });
});

describe('holdOutDialogues and decodeFloat32LE', () => {
  it('never holds out every dialogue', () => {
    const one = tiny().train;
    expect(holdOutDialogues(one, { fraction: 0.99 }).kept).toHaveLength(1);
  });

  it('decodes little-endian float32 from unaligned bytes and names a bad length', () => {
    const buffer = new ArrayBuffer(13);
    const view = new DataView(buffer);
    view.setFloat32(1, 1.5, true);
    view.setFloat32(5, -2, true);
    view.setFloat32(9, 1e-3, true);
    expect(Array.from(decodeFloat32LE(new Uint8Array(buffer, 1, 12)))).toEqual([1.5, -2, Math.fround(1e-3)]);
    expect(fieldOf(() => decodeFloat32LE(new Uint8Array(7), 'file.f32'))).toBe('file.f32');
  });
});
