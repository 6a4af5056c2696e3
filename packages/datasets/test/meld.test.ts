import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MELD_EMOTIONS, MELD_FILES, datasetSummary, parseMeld, parseMeldSplit, parseMeldTimestamp, validateDataset } from '../src/index';
import { loadMeld, meldDataDir } from '../src/node';
import { errorOf, fieldOf } from './helpers';

const HEADER = 'Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,StartTime,EndTime';
const row = (n: number, text: string, emotion = 'joy', dialogue = 0, utterance = n, start = '0:00:01,000') =>
  `${n},${text},Ross,${emotion},positive,${dialogue},${utterance},1,1,"${start}","00:00:02,500"`;
const parse = (lines: string[]) => parseMeldSplit([HEADER, ...lines].join('\n'), 'train', 'train.csv', 'emotion', MELD_EMOTIONS);

describe('loadMeld on the bundled CSVs', () => {
  it('has the published row, dialogue and label counts', async () => {
    const ds = await loadMeld();
    validateDataset(ds);
    const s = datasetSummary(ds);
    expect([s.train.utterances, s.dev.utterances, s.test.utterances]).toEqual([9989, 1109, 2610]);
    expect([s.train.dialogues, s.dev.dialogues, s.test.dialogues]).toEqual([1038, 114, 280]);
    expect(s.train.labelCounts).toEqual({ neutral: 4710, surprise: 1205, fear: 268, sadness: 683, joy: 1743, disgust: 271, anger: 1109 });
    expect(s.test.maxDialogueLength).toBe(33);
    expect(ds.train.some((d) => d.id === 'meld-train-60')).toBe(false);
  });

  it('orders utterances by Utterance_ID and keeps the text as written', async () => {
    const ds = await loadMeld();
    const first = ds.train[0].utterances[0];
    expect(first.speaker).toBe('Chandler');
    expect(first.text).toContain('company’s');
    expect(first.features.text).toBe(first.text);
    expect(first.start).toBeCloseTo(16 * 60 + 16.059, 6);
    for (const d of [...ds.train, ...ds.dev, ...ds.test]) {
      const ids = d.utterances.map((u) => Number(u.id.split('-').at(-1)));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }
  });

  it('reads the 3 sentiments instead when asked', async () => {
    const ds = await loadMeld({ labels: 'sentiment' });
    expect(ds.classes).toEqual(['neutral', 'positive', 'negative']);
    expect(datasetSummary(ds).train.labeled).toBe(9989);
  });
});

describe('parseMeld on malformed input', () => {
  const dir = meldDataDir();
  const real = { train: readFileSync(join(dir, MELD_FILES.train), 'utf8'), dev: readFileSync(join(dir, MELD_FILES.dev), 'utf8'), test: readFileSync(join(dir, MELD_FILES.test), 'utf8') };

  it('names a missing column', () => {
    const broken = real.dev.replace('Emotion,', 'Feeling,');
    const error = errorOf(() => parseMeld({ ...real, dev: broken }));
    expect(error.field).toBe('dev_sent_emo.csv:1');
    expect(error.message).toContain('"Emotion"');
  });

  it('names the line of a bad label, an empty utterance, a bad id and a bad time', () => {
    expect(fieldOf(() => parse([row(1, 'Hi'), row(2, 'Ho', 'happy')]))).toBe('train.csv:3 Emotion');
    expect(fieldOf(() => parse([row(1, '""')]))).toBe('train.csv:2 Utterance');
    expect(fieldOf(() => parse([row(1, 'Hi', 'joy', 0, -1)]))).toBe('train.csv:2 Utterance_ID');
    expect(fieldOf(() => parse([row(1, 'Hi', 'joy', 0, 1, '1:2:3')]))).toBe('train.csv:2 StartTime');
    expect(fieldOf(() => parse([row(1, 'Hi'), row(2, 'Ho', 'joy', 0, 1)]))).toBe('train.csv:3 Utterance_ID');
  });

  it('reports broken quoting with the line', () => {
    const error = errorOf(() => parse([row(1, 'Hi'), row(2, '"unclosed, quote')]));
    expect(error.field).toMatch(/^train\.csv(:\d+)?$/);
    expect(error.expected).toContain('CSV');
  });

  it('handles quoted fields with commas and quotes, gaps in Utterance_ID and both time formats', () => {
    const dialogues = parse([row(1, '"Well, he said ""no""."', 'joy', 3, 5, '00:01:00,250'), row(2, 'Fine.', 'anger', 3, 2), row(3, 'Ok', 'fear', 1, 0)]);
    expect(dialogues.map((d) => d.id)).toEqual(['meld-train-1', 'meld-train-3']);
    expect(dialogues[1].utterances.map((u) => u.text)).toEqual(['Fine.', 'Well, he said "no".']);
    expect(dialogues[1].utterances[1].start).toBeCloseTo(60.25, 6);
    expect(parseMeldTimestamp('0:13:42,477')).toBeCloseTo(parseMeldTimestamp('00:13:42,477'), 9);
  });
});
