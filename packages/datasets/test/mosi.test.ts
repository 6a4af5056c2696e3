import { describe, expect, it } from 'vitest';
import { MOSI_ROW_WIDTH, datasetSummary, parseMosi, type DialogueDataset, type MosiIndexRow } from '../src/index';
import { fieldOf, readRaw } from './helpers';

const { bytes, features, index } = readRaw();
const rows = index.utterances;
const all = parseMosi(features, rows, { devFraction: 0 });
const ds = parseMosi(features, rows);

const utteranceCount = (dialogues: DialogueDataset['train']) => dialogues.reduce((n, d) => n + d.utterances.length, 0);
const ids = (dialogues: DialogueDataset['train']) => dialogues.map((d) => d.id);
const clone = (): MosiIndexRow[] => rows.map((r) => ({ ...r }));
const numberOf = (id: string) => Number(id.slice(id.lastIndexOf('_') + 1));

describe('parseMosi on the bundled CMU-MOSI files', () => {
  it('has 2,199 utterances in 93 videos, 1,447 train + 752 test before the dev split', () => {
    expect(features.length).toBe(2199 * MOSI_ROW_WIDTH);
    expect(all.train.length + all.test.length).toBe(93);
    expect(all.dev).toEqual([]);
    expect(utteranceCount(all.train)).toBe(1447);
    expect(utteranceCount(all.test)).toBe(752);
    expect(all.classes).toEqual(['negative', 'positive']);
    expect(all.modalities).toEqual([
      { name: 'text', kind: 'vector', dim: 100 },
      { name: 'audio', kind: 'vector', dim: 73 },
      { name: 'visual', kind: 'vector', dim: 100 },
    ]);
    expect(all.license).toMatch(/MIT/);
    expect(all.source).toMatch(/declare-lab\/multimodal-deep-learning/);
  });

  it('has the published test majority class: 467 / 752 positive', () => {
    const positive = all.test.flatMap((d) => d.utterances).filter((u) => u.label === 1).length;
    expect(positive).toBe(467);
  });

  it('holds out whole training videos as dev, about 15% of the training utterances', () => {
    const dev = utteranceCount(ds.dev);
    expect(dev + utteranceCount(ds.train)).toBe(1447);
    expect(Math.abs(dev - 0.15 * 1447)).toBeLessThan(10);
    const trainIds = new Set(ids(ds.train));
    expect(ids(ds.dev).some((id) => trainIds.has(id))).toBe(false);
    expect(new Set([...ids(ds.train), ...ids(ds.dev)])).toEqual(new Set(ids(all.train)));
    expect(ids(ds.test)).toEqual(ids(all.test));
  });

  it('splits reproducibly: the same seed gives the same dev videos, another seed different ones', () => {
    expect(ids(parseMosi(features, rows).dev)).toEqual(ids(ds.dev));
    expect(ids(parseMosi(features, [...rows].reverse(), { seed: 7 }).dev).sort()).toEqual(ids(ds.dev).sort());
    expect(ids(parseMosi(features, rows, { seed: 8 }).dev)).not.toEqual(ids(ds.dev));
    const larger = parseMosi(features, rows, { devFraction: 0.3 });
    expect(Math.abs(utteranceCount(larger.dev) - 0.3 * 1447)).toBeLessThan(10);
  });

  it('makes each video one dialogue with one speaker, utterances ordered by number', () => {
    for (const d of [...all.train, ...all.test]) {
      const numbers = d.utterances.map((u) => numberOf(u.id));
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
      expect(new Set(d.utterances.map((u) => u.speaker))).toEqual(new Set([d.id]));
    }
    const long = all.train.find((d) => d.utterances.length >= 10)!;
    expect(long.utterances[8].id).toBe(`${long.id}_9`);
    expect(long.utterances[9].id).toBe(`${long.id}_10`);
  });

  it('orders numerically even when the index lists _10 before _2', () => {
    const video = rows[0].video;
    const mine = rows.filter((r) => r.video === video);
    const lexicographic = [...mine].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(lexicographic.map((r) => r.id)).not.toEqual(mine.map((r) => r.id));
    const local = lexicographic.map((r, i) => ({ ...r, row: i }));
    const sub = new Float32Array(local.length * MOSI_ROW_WIDTH);
    lexicographic.forEach((r, i) => sub.set(features.subarray(r.row * MOSI_ROW_WIDTH, (r.row + 1) * MOSI_ROW_WIDTH), i * MOSI_ROW_WIDTH));
    const one = parseMosi(sub, local, { devFraction: 0 });
    const utterances = one.train[0].utterances;
    expect(utterances.map((u) => u.id)).toEqual(mine.map((r) => r.id));
    expect(utterances.map((u) => u.features.text![0])).toEqual(mine.map((r) => features[r.row * MOSI_ROW_WIDTH]));
  });

  it('gives each modality the raw float32 values at the right offsets of the file', () => {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const raw = (row: number, col: number) => view.getFloat32((row * MOSI_ROW_WIDTH + col) * 4, true);
    for (const row of [0, 1234, 2198]) {
      const entry = rows.find((r) => r.row === row)!;
      const u = [...all.train, ...all.test].flatMap((d) => d.utterances).find((x) => x.id === entry.id)!;
      expect(u.label).toBe(entry.label);
      expect(u.text).toBe(entry.text);
      const { text, audio, visual } = u.features as Record<string, Float32Array>;
      expect([text!.length, audio!.length, visual!.length]).toEqual([100, 73, 100]);
      expect(Array.from(text!)).toEqual(Array.from({ length: 100 }, (_, c) => raw(row, c)));
      expect(Array.from(audio!)).toEqual(Array.from({ length: 73 }, (_, c) => raw(row, 100 + c)));
      expect(Array.from(visual!)).toEqual(Array.from({ length: 100 }, (_, c) => raw(row, 173 + c)));
    }
  });

  it('summarizes the splits', () => {
    const s = datasetSummary(all);
    expect(s.test).toMatchObject({ utterances: 752, labeled: 752, unlabeled: 0, labelCounts: { negative: 285, positive: 467 } });
    expect(s.train).toMatchObject({ utterances: 1447, labelCounts: { negative: 738, positive: 709 } });
    expect(s.total).toMatchObject({ dialogues: 93, utterances: 2199, maxDialogueLength: 63 });
    expect(s.total.missing).toEqual({ text: 0, audio: 0, visual: 0 });
    expect(s.dev).toMatchObject({ dialogues: 0, utterances: 0, maxDialogueLength: 0 });
    const split = datasetSummary(ds);
    expect(split.train.dialogues + split.dev.dialogues).toBe(s.train.dialogues);
    expect(split.train.labelCounts.negative + split.dev.labelCounts.negative).toBe(738);
  });
});

describe('parseMosi validation', () => {
  it('names the field and row of a malformed index row', () => {
    const missing = clone();
    delete (missing[5] as Partial<MosiIndexRow>).label;
    expect(fieldOf(() => parseMosi(features, missing))).toBe('index[5].label');

    const badLabel = clone();
    badLabel[7].label = 2;
    expect(fieldOf(() => parseMosi(features, badLabel))).toBe('index[7].label');

    const outOfRange = clone();
    outOfRange[3].row = 2199;
    expect(fieldOf(() => parseMosi(features, outOfRange))).toBe('index[3].row');

    const duplicateRow = clone();
    duplicateRow[4].row = 0;
    expect(fieldOf(() => parseMosi(features, duplicateRow))).toBe('index[4].row');

    const badSplit = clone();
    (badSplit[2] as { split: string }).split = 'dev';
    expect(fieldOf(() => parseMosi(features, badSplit))).toBe('index[2].split');

    const mixedSplit = clone();
    mixedSplit[1].split = 'test';
    expect(fieldOf(() => parseMosi(features, mixedSplit))).toBe('index[1].split');

    const badId = clone();
    badId[6].id = 'someone_else_3';
    expect(fieldOf(() => parseMosi(features, badId))).toBe('index[6].id');

    const noVideo = clone();
    (noVideo[9] as { video: unknown }).video = 42;
    expect(fieldOf(() => parseMosi(features, noVideo))).toBe('index[9].video');

    const notObject = clone() as unknown[];
    notObject[11] = 'row';
    expect(fieldOf(() => parseMosi(features, notObject as MosiIndexRow[]))).toBe('index[11]');
  });

  it('names features when the buffer length is not rows x 273', () => {
    const err = () => parseMosi(features.subarray(0, features.length - 1), rows);
    expect(fieldOf(err)).toBe('features');
    expect(err).toThrow(/2199 x 273/);
    expect(fieldOf(() => parseMosi(features, rows.slice(1)))).toBe('features');
    expect(fieldOf(() => parseMosi([] as unknown as Float32Array, rows))).toBe('features');
    expect(fieldOf(() => parseMosi(features, []))).toBe('index');
  });

  it('names bad options', () => {
    expect(fieldOf(() => parseMosi(features, rows, { devFraction: 1 }))).toBe('options.devFraction');
    expect(fieldOf(() => parseMosi(features, rows, { devFraction: -0.1 }))).toBe('options.devFraction');
    expect(fieldOf(() => parseMosi(features, rows, { seed: 1.5 }))).toBe('options.seed');
  });
});
