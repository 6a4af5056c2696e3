/**
 * Bounded property-based fuzz of the dialogue JSON Lines parser: whatever the bytes, `parseDialogueJsonl` returns a
 * dataset or throws an `EmojeInputError`, never another exception, and never quotes the text it rejected.
 * Bounded by `numRuns` and `interruptAfterTimeLimit` (a few seconds on 2 cores); a crash it finds becomes a named
 * case in `jsonl.test.ts`.
 */
import { EmojeInputError } from '@emoje/core';
import fc from 'fast-check';
import { FUZZ_SEED, jsonPaths, nestedArrays, replaceAtPath } from '@emoje/test-utils';
import { describe, expect, it } from 'vitest';
import { parseDialogueJsonl } from '../src/index';

const header = { format: 'emoje-dialogues', version: 1, name: 'calls', classes: ['neutral', 'joy'], modalities: [{ name: 'text', kind: 'text' }, { name: 'audio', kind: 'vector', dim: 2 }] };
const dialogue = { id: 'd1', split: 'train', utterances: [{ speaker: 'A', text: 'hi there', label: 'joy', features: { audio: [0.5, 1] } }, { speaker: 'B', label: null, wav: 'b.wav' }] };
const SECRET = 'ZQXJ-secret-ZQXJ';

/** Runs the parser; returns 'ok' or 'input-error' and fails the property on anything else (or a leak of SECRET). */
function outcome(text: string, { schemaMayHoldSecret = false } = {}): 'ok' | 'input-error' {
  try {
    parseDialogueJsonl(text, { fileName: 'f.jsonl' });
    return 'ok';
  } catch (error) {
    if (!(error instanceof EmojeInputError)) throw error;
    // The names a valid header declares (classes, modalities) may be listed as expected values; nothing else.
    if (!schemaMayHoldSecret && error.message.includes(SECRET)) throw new Error(`the message quotes the file: ${error.message.slice(0, 200)}`);
    return 'input-error';
  }
}

/** Replacement values: type swaps, huge and odd numbers, long and secret strings, deep nesting. */
const swaps = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(1e308, -1e308, 1e8, -1, 0, 0.5, 2 ** 53, '', SECRET, `${SECRET}\n${SECRET}`, null, true, [], {}),
  fc.integer({ min: 100, max: 3000 }).map(nestedArrays),
);
const config = { numRuns: 300, interruptAfterTimeLimit: 4000, seed: FUZZ_SEED };

describe('parseDialogueJsonl under fuzzing', () => {
  it('random text: a dataset or an EmojeInputError', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => void outcome(text)), config);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => void outcome(Buffer.from(bytes).toString('utf8'))), config);
  });

  it('truncations of a valid file', () => {
    const text = `${JSON.stringify(header)}\n${JSON.stringify(dialogue)}\n`;
    expect(outcome(text)).toBe('ok');
    fc.assert(fc.property(fc.nat({ max: text.length }), (n) => void outcome(text.slice(0, n))), config);
  });

  it('type swaps, huge numbers, secret strings and deep nesting at any place of the header or a line (a line\'s values are never quoted)', () => {
    const headerPaths = jsonPaths(header);
    const linePaths = jsonPaths(dialogue);
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), swaps, (inHeader, k, by) => {
        const h = inHeader ? replaceAtPath(header, headerPaths[k % headerPaths.length], by) : header;
        const d = inHeader ? dialogue : replaceAtPath(dialogue, linePaths[k % linePaths.length], by);
        outcome(`${JSON.stringify(h)}\n${JSON.stringify(d)}`, { schemaMayHoldSecret: inHeader });
      }),
      config,
    );
  });

  it('a line that is only a secret, or JSON nested 100,000 deep: an EmojeInputError without the content', () => {
    expect(outcome(`${JSON.stringify(header)}\n${SECRET}`)).toBe('input-error');
    expect(outcome(`${JSON.stringify(header)}\n${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toBe('input-error');
    expect(outcome(`${SECRET}:x:0:0:${SECRET}`)).toBe('input-error');
  });
});
