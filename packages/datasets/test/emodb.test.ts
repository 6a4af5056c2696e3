import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmojeInputError } from '@emoje/core';
import {
  EMODB_CLASSES,
  EMODB_SPEAKERS,
  decodeEmodb,
  emodbFoldDataset,
  leaveOneSpeakerOutFolds,
  parseEmodbFileName,
  splitBySpeaker,
  type EmodbIndexFile,
} from '@emoje/datasets';
import { emodbDataDir, loadEmodb } from '@emoje/datasets/node';
import { fieldOf } from './helpers';

const corpus = await loadEmodb();

describe('EmoDB loader', () => {
  it('has the counts of SOURCE.md: 535 utterances, per emotion and per speaker', () => {
    expect(corpus.utterances).toHaveLength(535);
    expect(corpus.sampleRate).toBe(16000);
    const perClass = Object.fromEntries(EMODB_CLASSES.map((c) => [c, corpus.utterances.filter((u) => u.emotion === c).length]));
    expect(perClass).toEqual({ anger: 127, boredom: 81, neutral: 79, happiness: 71, fear: 69, sadness: 62, disgust: 46 });
    const perSpeaker = Object.fromEntries(EMODB_SPEAKERS.map((s) => [s, corpus.utterances.filter((u) => u.speaker === s).length]));
    expect(perSpeaker).toEqual({ '03': 49, '08': 58, '09': 43, '10': 38, '11': 55, '12': 35, '13': 61, '14': 69, '15': 56, '16': 71 });
  });

  it('takes every label, speaker and sentence from the file name', () => {
    const letters: Record<string, string> = { W: 'anger', L: 'boredom', E: 'disgust', A: 'fear', F: 'happiness', T: 'sadness', N: 'neutral' };
    for (const u of corpus.utterances) {
      expect(u.speaker).toBe(u.id.slice(0, 2));
      expect(u.sentence).toBe(u.id.slice(2, 5));
      expect(u.emotion).toBe(letters[u.id[5]]);
      expect(EMODB_CLASSES[u.label]).toBe(u.emotion);
    }
    const first = corpus.utterances.find((u) => u.id === '03a01Fa');
    expect(first?.emotion).toBe('happiness');
    expect(parseEmodbFileName('16b10Wb.wav')).toEqual({ speaker: '16', sentence: 'b10', emotion: 'W', version: 'b' });
  });

  it('holds real audio: at most 2 s at 16 kHz, in [-1, 1], not silent', () => {
    for (const u of corpus.utterances) {
      expect(u.samples.length).toBeGreaterThan(8000);
      expect(u.samples.length).toBeLessThanOrEqual(32000);
      let energy = 0;
      let peak = 0;
      for (const x of u.samples) {
        peak = Math.max(peak, Math.abs(x));
        energy += x * x;
      }
      expect(peak).toBeLessThanOrEqual(1);
      expect(Math.sqrt(energy / u.samples.length)).toBeGreaterThan(1e-3);
    }
  });

  it('rejects a bad file name, a label that disagrees with it, and a range outside the samples, naming the row and field', () => {
    expect(fieldOf(() => parseEmodbFileName('03a01Xa.wav', 'row 3'))).toBe('row 3');
    expect(fieldOf(() => parseEmodbFileName('hello.wav'))).toBe('file');
    const row = { file: '03a01Fa.wav', speaker: '03', sentence: 'a01', emotion: 'F', version: 'a', offset: 0, length: 4 };
    const index = (r: object): EmodbIndexFile => ({ source: '', sampleRate: 16000, sourceSampleRate: 22050, samples: 4, utterances: [{ ...row, ...r }] });
    const bytes = new Uint8Array(8);
    expect(decodeEmodb(bytes, index({})).utterances[0].emotion).toBe('happiness');
    expect(fieldOf(() => decodeEmodb(bytes, index({ emotion: 'W' }), { samples: 's.i16', index: 'i.json' }))).toBe('i.json: utterances[0].emotion');
    expect(fieldOf(() => decodeEmodb(bytes, index({ length: 5 }), { samples: 's.i16', index: 'i.json' }))).toBe('i.json: utterances[0].offset/length');
    expect(fieldOf(() => decodeEmodb(new Uint8Array(7), index({})))).toBe('emodb-16k.i16');
  });

  it('names the folder when the files are missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emodb-'));
    await expect(loadEmodb({ dataDir: dir })).rejects.toBeInstanceOf(EmojeInputError);
    writeFileSync(join(dir, 'emodb-16k.i16'), new Uint8Array(2));
    writeFileSync(join(dir, 'emodb_index.json'), '{not json');
    await expect(loadEmodb({ dataDir: dir })).rejects.toThrow(/emodb_index\.json/);
    // the real index is untouched by loading
    expect(readFileSync(join(emodbDataDir(), 'emodb_index.json'), 'utf8').length).toBeGreaterThan(1000);
  });
});

describe('leave-one-speaker-out folds', () => {
  const folds = leaveOneSpeakerOutFolds(EMODB_SPEAKERS);

  it('tests and devs every speaker once, and never puts a speaker in two roles', () => {
    expect(folds.map((f) => f.test)).toEqual([...EMODB_SPEAKERS]);
    expect(folds.map((f) => f.dev).sort()).toEqual([...EMODB_SPEAKERS]);
    for (const fold of folds) {
      expect(fold.dev).not.toBe(fold.test);
      expect(fold.train).toHaveLength(8);
      expect(fold.train).not.toContain(fold.test);
      expect(fold.train).not.toContain(fold.dev);
    }
    expect(folds[9]).toEqual({ test: '16', dev: '03', train: ['08', '09', '10', '11', '12', '13', '14', '15'] });
  });

  it('gives datasets in which no speaker is both in train and test (or dev), covering every utterance', () => {
    for (const fold of folds) {
      const ds = emodbFoldDataset(corpus, fold, (u) => new Float32Array([u.label, u.samples.length]), 2);
      const speakers = (split: 'train' | 'dev' | 'test') => new Set(ds[split].flatMap((d) => d.utterances.map((u) => u.speaker)));
      const train = speakers('train');
      for (const s of speakers('test')) expect(train.has(s)).toBe(false);
      for (const s of speakers('dev')) expect(train.has(s)).toBe(false);
      expect([...speakers('test')]).toEqual([fold.test]);
      expect(ds.train.length + ds.dev.length + ds.test.length).toBe(535);
      expect(ds.test.every((d) => d.utterances.length === 1)).toBe(true);
      const split = splitBySpeaker(corpus.utterances, fold);
      expect(split.test.map((u) => u.id)).toEqual(ds.test.map((d) => d.id));
    }
  });

  it('rejects too few or repeated speakers, a bad devOffset and a feature of the wrong width', () => {
    expect(fieldOf(() => leaveOneSpeakerOutFolds(['a', 'b']))).toBe('speakers');
    expect(fieldOf(() => leaveOneSpeakerOutFolds(['a', 'b', 'a']))).toBe('speakers[2]');
    expect(fieldOf(() => leaveOneSpeakerOutFolds(['a', 'b', 'c'], { devOffset: 3 }))).toBe('devOffset');
    expect(fieldOf(() => emodbFoldDataset(corpus, folds[0], () => new Float32Array(3), 2))).toMatch(/^features\(/);
  });
});
