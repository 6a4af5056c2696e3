import { describe, expect, it } from 'vitest';
import { formatDialogueJsonl, parseDialogueJsonl } from '../src/index';
import { fieldOf } from './helpers';

const header = { format: 'emoje-dialogues', version: 1, name: 'calls', classes: ['neutral', 'joy', 'anger'], modalities: [{ name: 'text', kind: 'text' }, { name: 'audio', kind: 'vector', dim: 3 }] };
const line = (over: Record<string, unknown> = {}) => JSON.stringify({
  id: 'd1',
  split: 'train',
  utterances: [
    { speaker: 'Ann', text: 'Hello there!', label: 'joy', features: { audio: [0.1, 0.2, 0.3] } },
    { speaker: 'Bob', text: 'Go away.', label: 'anger', wav: 'clips/2.wav' },
    { speaker: 'Ann', label: null, features: { audio: [1, 2, 3] } },
  ],
  ...over,
});
const file = (...lines: string[]) => [JSON.stringify(header), ...lines].join('\n');

describe('parseDialogueJsonl', () => {
  it('reads dialogues with text, labels by name, vectors, missing modalities and media references', () => {
    const { dataset, media } = parseDialogueJsonl(file(line(), '', line({ id: 'd2', split: 'test' })), { fileName: 'calls.jsonl' });
    expect(dataset.train.length).toBe(1);
    expect(dataset.test.length).toBe(1);
    const [a, b, c] = dataset.train[0].utterances;
    expect(a.features.text).toBe('Hello there!');
    expect(Array.from(a.features.audio as Float32Array)).toEqual([0.1, 0.2, 0.3].map(Math.fround));
    expect(a.label).toBe(1);
    expect(b.features.audio).toBeUndefined();
    expect(c.features.text).toBeNull();
    expect(c.label).toBeNull();
    expect(media.get('d1#1')).toEqual({ wav: 'clips/2.wav' });
  });

  it('round-trips through formatDialogueJsonl', () => {
    const { dataset } = parseDialogueJsonl(file(line({ utterances: [{ speaker: 'A', text: 'hi', label: 'neutral', features: { audio: [1, 2, 3] } }] })));
    const again = parseDialogueJsonl(formatDialogueJsonl(dataset)).dataset;
    expect(again).toEqual(dataset);
  });

  it('names the line and field of every problem', () => {
    expect(fieldOf(() => parseDialogueJsonl(''))).toBe('dialogues.jsonl');
    expect(fieldOf(() => parseDialogueJsonl(JSON.stringify({ ...header, version: 2 }) + '\n' + line()))).toBe('dialogues.jsonl:1 version');
    expect(fieldOf(() => parseDialogueJsonl(file('{"id": "x", '), { fileName: 'f.jsonl' }))).toBe('f.jsonl:2');
    expect(fieldOf(() => parseDialogueJsonl(file(line(), line({ id: 'd2', utterances: [{ speaker: 'A', text: 'x', label: 'sad' }] }))))).toBe('dialogues.jsonl:3 utterances[0].label');
    expect(fieldOf(() => parseDialogueJsonl(file(line({ utterances: [{ speaker: 'A', text: '  ' }] }))))).toBe('dialogues.jsonl:2 utterances[0].text');
    expect(fieldOf(() => parseDialogueJsonl(file(line({ utterances: [{ speaker: '', text: 'a' }] }))))).toBe('dialogues.jsonl:2 utterances[0].speaker');
    expect(fieldOf(() => parseDialogueJsonl(file(line({ utterances: [{ speaker: 'A', text: 'a', features: { audio: [1, 2] } }] }))))).toBe('dialogues.jsonl:2 utterances[0].features.audio');
    expect(fieldOf(() => parseDialogueJsonl(file(line({ utterances: [{ speaker: 'A', text: 'a', features: { video: [1] } }] }))))).toBe('dialogues.jsonl:2 utterances[0].features.video');
    expect(fieldOf(() => parseDialogueJsonl(file(line({ split: 'val' }))))).toBe('dialogues.jsonl:2 split');
    expect(fieldOf(() => parseDialogueJsonl(file(line({ utterances: [] }))))).toBe('dialogues.jsonl:2 utterances');
    expect(fieldOf(() => parseDialogueJsonl(file(line(), line())))).toMatch(/^dialogues\.jsonl train\[1\]\.id$/);
    expect(fieldOf(() => parseDialogueJsonl(file(line({ split: 'test' }))))).toBe('dialogues.jsonl');
  });

  // Issue 19, items 5 and 10, and the cases the fuzz (jsonl.fuzz.test.ts) found.
  it('fuzz regression: a modality entry of null is an EmojeInputError naming it (was a TypeError)', () => {
    const text = JSON.stringify({ ...header, modalities: [null] }) + '\n' + line();
    expect(fieldOf(() => parseDialogueJsonl(text))).toBe('dialogues.jsonl:1 modalities[0]');
    expect(fieldOf(() => parseDialogueJsonl(JSON.stringify({ ...header, classes: ['a', 7] }) + '\n' + line()))).toBe('dialogues.jsonl:1 classes[1]');
  });

  it('fuzz regression: a dialogue line that is null, a number or an array is an EmojeInputError naming the line (was a TypeError)', () => {
    for (const value of ['null', '7', '[]']) {
      expect(fieldOf(() => parseDialogueJsonl(JSON.stringify(header) + '\n' + value + '\n'))).toBe('dialogues.jsonl:2');
    }
  });

  it('never quotes the file: not its first bytes, not a bad value of a line', () => {
    const secret = 'root:x:0:0:root:/root:/bin/bash';
    const messages: string[] = [];
    for (const text of [secret, file(secret), file(line({ utterances: [{ speaker: 'A', text: 'a', label: secret }] })),
      file(line({ id: secret, split: secret }))]) {
      try {
        parseDialogueJsonl(text, { fileName: '/etc/passwd' });
      } catch (error) {
        messages.push((error as Error).message);
      }
    }
    expect(messages.length).toBe(4);
    for (const m of messages) {
      expect(m).toContain('/etc/passwd');
      expect(m).not.toContain('root');
    }
    expect(messages[0]).toMatch(/^\/etc\/passwd:1: expected one JSON object per line, received not valid JSON/);
  });

  it('checks sizes before building anything: utterances per dialogue and the header dim', () => {
    const many = Array.from({ length: 300 }, (_, k) => ({ speaker: 'A', text: `u${k}` }));
    expect(fieldOf(() => parseDialogueJsonl(file(line({ utterances: many }))))).toBe('dialogues.jsonl:2 utterances');
    expect(() => parseDialogueJsonl(file(line({ utterances: many })))).toThrow(/at most 256 utterances in a dialogue, received 300 in dialogue "d1".*--max-utterances/);
    expect(parseDialogueJsonl(file(line({ utterances: many })), { maxUtterances: 300 }).dataset.train[0].utterances.length).toBe(300);
    const wide = JSON.stringify({ ...header, modalities: [{ name: 'audio', kind: 'vector', dim: 1e8 }] }) + '\n' + line();
    expect(fieldOf(() => parseDialogueJsonl(wide))).toBe('dialogues.jsonl:1 modalities[0].dim');
    expect(() => parseDialogueJsonl(wide)).toThrow(/an integer in 1\.\.65536.*received 100000000/);
    expect(fieldOf(() => parseDialogueJsonl(file(line()), { maxUtterances: 0 }))).toBe('options.maxUtterances');
  });

  it('reports where each utterance with media sits, for the media loader', () => {
    const { locations } = parseDialogueJsonl(file(line()), { fileName: 'calls.jsonl' });
    expect([...locations]).toEqual([['d1#1', 'calls.jsonl:2 utterances[1]']]);
  });
});

