/**
 * Bounded property-based fuzz of `decodeWav` (and of the audio features of what it decodes): random bytes, valid
 * files cut short, and valid files with a random header field replaced by a random value. The property: a decoded
 * file with finite samples in [-1, 1], or an `EmojeInputError`; never another exception, never a message quoting the
 * bytes. Bounded by `numRuns` and `interruptAfterTimeLimit`; crashes it found are named cases in `wav.test.ts`.
 */
import { EmojeInputError } from '@emoje/core';
import fc from 'fast-check';
import { FUZZ_SEED } from '@emoje/test-utils';
import { describe, expect, it } from 'vitest';
import { extractAudioFeatures } from './audio';
import { decodeWav } from './wav';

function wavBytes(samples: number, { rate = 16000, channels = 1, bits = 16, format = 1 } = {}): Uint8Array {
  const block = channels * (bits / 8);
  const bytes = new Uint8Array(44 + samples * block);
  const view = new DataView(bytes.buffer);
  const text = (at: number, s: string) => [...s].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  view.setUint32(4, 36 + samples * block, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, format, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * block, true);
  view.setUint16(32, block, true);
  view.setUint16(34, bits, true);
  text(36, 'data');
  view.setUint32(40, samples * block, true);
  for (let i = 44; i < bytes.length; i++) bytes[i] = (i * 37) & 0xff;
  return bytes;
}

function check(bytes: Uint8Array): 'ok' | 'input-error' {
  try {
    const wav = decodeWav(bytes);
    for (const v of wav.samples) if (!(Number.isFinite(v) && v >= -1 && v <= 1)) throw new Error(`sample ${v} outside [-1, 1]`);
    try {
      extractAudioFeatures(wav.samples.subarray(0, 4000), wav.sampleRate);
    } catch (error) {
      if (!(error instanceof EmojeInputError)) throw error;
    }
    return 'ok';
  } catch (error) {
    if (!(error instanceof EmojeInputError)) throw error;
    if (/root|RIFX|ZQXJ/.test(error.message)) throw new Error(`the message quotes the bytes: ${error.message}`);
    return 'input-error';
  }
}

const config = { numRuns: 300, interruptAfterTimeLimit: 4000, seed: FUZZ_SEED };
const valid = [wavBytes(400), wavBytes(300, { channels: 2, bits: 24 }), wavBytes(200, { bits: 32, format: 3 }), wavBytes(100, { bits: 8 }), wavBytes(0)];

describe('decodeWav under fuzzing', () => {
  it('random bytes, and random bytes after a RIFF/WAVE header', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => void check(bytes)), config);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (tail) => {
        const bytes = new Uint8Array(12 + tail.length);
        bytes.set([...'RIFF'].map((c) => c.charCodeAt(0)), 0);
        bytes.set([...'WAVE'].map((c) => c.charCodeAt(0)), 8);
        bytes.set(tail, 12);
        check(bytes);
      }),
      config,
    );
  });

  it('valid files cut short at every length', () => {
    for (const file of valid) expect(check(file)).toBe('ok');
    fc.assert(fc.property(fc.constantFrom(...valid), fc.nat(), (file, n) => void check(file.subarray(0, n % (file.length + 1)))), config);
  });

  it('a header field (sizes, channels, rate, bits, block align, format) replaced by a random or extreme value', () => {
    const fields = [[4, 4], [16, 4], [20, 2], [22, 2], [24, 4], [28, 4], [32, 2], [34, 2], [40, 4]] as const;
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.constantFrom(...fields), fc.oneof(fc.nat(), fc.constantFrom(0, 1, 0xffff, 0xffffffff, 0x7fffffff)), (file, [at, width], value) => {
        const bytes = file.slice();
        const view = new DataView(bytes.buffer);
        if (width === 2) view.setUint16(at, value & 0xffff, true);
        else view.setUint32(at, value >>> 0, true);
        check(bytes);
      }),
      config,
    );
  });

  it('a text file (e.g. /etc/passwd) is an EmojeInputError that names no byte of it', () => {
    expect(check(new TextEncoder().encode('root:x:0:0:root:/root:/bin/bash\n'))).toBe('input-error');
  });
});
