import { EmojeInputError } from '@emoje/core';
import { describe, expect, it } from 'vitest';
import { decodeWav } from './wav';

type Chunk = { id: string; body: Uint8Array };

function chunk(id: string, body: Uint8Array): Chunk {
  return { id, body };
}

/** A RIFF/WAVE file from chunks, with the pad byte after odd-sized chunks. */
function riff(chunks: Chunk[], { form = 'WAVE', magic = 'RIFF' } = {}): Uint8Array {
  const parts: number[] = [];
  const ascii = (s: string) => [...s].forEach((c) => parts.push(c.charCodeAt(0)));
  const u32 = (v: number) => parts.push(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255);
  ascii(magic);
  u32(0);
  ascii(form);
  for (const c of chunks) {
    ascii(c.id);
    u32(c.body.length);
    parts.push(...c.body);
    if (c.body.length & 1) parts.push(0);
  }
  const out = Uint8Array.from(parts);
  new DataView(out.buffer).setUint32(4, out.length - 8, true);
  return out;
}

function fmtChunk(format: number, channels: number, sampleRate: number, bits: number, extensibleSub?: number): Chunk {
  const size = extensibleSub === undefined ? 16 : 40;
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  v.setUint16(0, extensibleSub === undefined ? format : 0xfffe, true);
  v.setUint16(2, channels, true);
  v.setUint32(4, sampleRate, true);
  v.setUint32(8, (sampleRate * channels * bits) / 8, true);
  v.setUint16(12, (channels * bits) / 8, true);
  v.setUint16(14, bits, true);
  if (extensibleSub !== undefined) {
    v.setUint16(16, 22, true);
    v.setUint16(18, bits, true);
    v.setUint32(20, channels === 1 ? 4 : 3, true);
    v.setUint16(24, extensibleSub, true);
    // rest of the KSDATAFORMAT GUID: 00000000-0010-8000-00aa00389b71
    b.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 26);
  }
  return chunk('fmt ', b);
}

/** Interleaved sample data of `channels` channels from per-channel float signals. */
function dataChunk(signals: Float64Array[], format: 'u8' | 'i16' | 'i24' | 'i32' | 'f32'): Chunk {
  const bytes = { u8: 1, i16: 2, i24: 3, i32: 4, f32: 4 }[format];
  const n = signals[0].length;
  const b = new Uint8Array(n * signals.length * bytes);
  const v = new DataView(b.buffer);
  let o = 0;
  for (let t = 0; t < n; t++) {
    for (const s of signals) {
      const x = s[t];
      if (format === 'u8') v.setUint8(o, Math.round(x * 127) + 128);
      else if (format === 'i16') v.setInt16(o, Math.round(x * 32767), true);
      else if (format === 'i24') {
        const q = Math.round(x * 8388607);
        v.setUint8(o, q & 255);
        v.setUint8(o + 1, (q >> 8) & 255);
        v.setInt8(o + 2, q >> 16);
      } else if (format === 'i32') v.setInt32(o, Math.round(x * 2147483647), true);
      else v.setFloat32(o, x, true);
      o += bytes;
    }
  }
  return chunk('data', b);
}

// Encoded with full scale 2^(bits-1) - 1, decoded with 2^(bits-1): within two quantisation steps.
const N = 101; // odd, so 8-bit mono data is an odd-sized chunk
const left = Float64Array.from({ length: N }, (_, i) => 0.8 * Math.sin(i / 5));
const right = Float64Array.from({ length: N }, (_, i) => -0.5 * Math.cos(i / 3));
const list = chunk('LIST', new TextEncoder().encode('INFOISFT\u0005\u0000\u0000\u0000emoje')); // odd size: 17

function expectSamples(actual: Float32Array, expected: ArrayLike<number>, tol: number) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(tol);
}

describe('decodeWav', () => {
  const cases = [
    { name: '8-bit PCM', fmt: fmtChunk(1, 1, 8000, 8), data: 'u8' as const, tol: 2 / 128 },
    { name: '16-bit PCM', fmt: fmtChunk(1, 1, 16000, 16), data: 'i16' as const, tol: 2 / 32768 },
    { name: '24-bit PCM', fmt: fmtChunk(1, 1, 44100, 24), data: 'i24' as const, tol: 2 / 8388608 },
    { name: '32-bit PCM', fmt: fmtChunk(1, 1, 48000, 32), data: 'i32' as const, tol: 1e-7 },
    { name: 'float32', fmt: fmtChunk(3, 1, 22050, 32), data: 'f32' as const, tol: 1e-7 },
    { name: 'extensible 16-bit PCM', fmt: fmtChunk(0, 1, 16000, 16, 1), data: 'i16' as const, tol: 2 / 32768 },
    { name: 'extensible float32', fmt: fmtChunk(0, 1, 16000, 32, 3), data: 'f32' as const, tol: 1e-7 },
  ];
  for (const c of cases) {
    it(`decodes ${c.name} with LIST and odd-sized chunks to the same samples`, () => {
      const bytes = riff([c.fmt, list, dataChunk([left], c.data)]);
      const wav = decodeWav(bytes);
      expect(wav.channels).toBe(1);
      expect(wav.sampleRate).toBe(new DataView(c.fmt.body.buffer).getUint32(4, true));
      expectSamples(wav.samples, left, c.tol + 1e-7);
      // an ArrayBuffer works too, and so does a Uint8Array view into a larger buffer
      expectSamples(decodeWav(bytes.slice().buffer).samples, wav.samples, 0);
      const big = new Uint8Array(bytes.length + 10);
      big.set(bytes, 5);
      expectSamples(decodeWav(big.subarray(5, 5 + bytes.length)).samples, wav.samples, 0);
    });
  }

  it('mixes stereo down to the mean of the channels', () => {
    const mix = left.map((v, i) => (v + right[i]) / 2);
    for (const [fmt, data] of [[fmtChunk(1, 2, 16000, 16), 'i16'], [fmtChunk(1, 2, 16000, 24), 'i24'], [fmtChunk(0, 2, 16000, 32, 3), 'f32']] as const) {
      const wav = decodeWav(riff([chunk('fact', new Uint8Array(4)), fmt, list, dataChunk([left, right], data)]));
      expect(wav.channels).toBe(2);
      expectSamples(wav.samples, mix, 2 / 32768);
    }
  });

  it('decodes the whole frames of a data chunk cut off mid-way', () => {
    const bytes = riff([fmtChunk(1, 1, 16000, 16), dataChunk([left], 'i16')]);
    expect(decodeWav(bytes.subarray(0, bytes.length - 7)).samples.length).toBe(N - 4);
  });

  it('throws EmojeInputError naming the field for broken files', () => {
    const good = riff([fmtChunk(1, 1, 16000, 16), dataChunk([left], 'i16')]);
    const cases: Array<[Uint8Array | unknown, RegExp]> = [
      [good.subarray(0, 8), /^wav: /],
      [riff([fmtChunk(1, 1, 16000, 16)], { magic: 'RIFX' }), /^wav: .*RIFF/],
      [riff([fmtChunk(1, 1, 16000, 16)], { form: 'AVI ' }), /^wav: /],
      [good.subarray(0, 30), /^wav\.fmt: /],
      [riff([list]), /^wav\.fmt: /],
      [riff([fmtChunk(1, 1, 16000, 16), list]), /^wav\.data: /],
      [riff([dataChunk([left], 'i16'), fmtChunk(1, 1, 16000, 16)]), /^wav\.fmt: /],
      [riff([fmtChunk(1, 1, 16000, 12), dataChunk([left], 'i16')]), /^wav\.fmt\.bitsPerSample: /],
      [riff([fmtChunk(3, 1, 16000, 16), dataChunk([left], 'i16')]), /^wav\.fmt\.bitsPerSample: /],
      [riff([fmtChunk(2, 1, 16000, 16), dataChunk([left], 'i16')]), /^wav\.fmt\.audioFormat: /],
      [riff([fmtChunk(0, 1, 16000, 16, 2), dataChunk([left], 'i16')]), /^wav\.fmt\.audioFormat: /],
      [riff([fmtChunk(1, 0, 16000, 16), dataChunk([left], 'i16')]), /^wav\.fmt\.channels: /],
      ['not bytes', /^wav: expected an ArrayBuffer or Uint8Array/],
    ];
    for (const [input, pattern] of cases) {
      let error: unknown;
      try {
        decodeWav(input as Uint8Array);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EmojeInputError);
      expect((error as Error).message).toMatch(pattern);
    }
    const badBits = riff([fmtChunk(1, 1, 16000, 12), dataChunk([left], 'i16')]);
    expect(() => decodeWav(badBits)).toThrow(expect.objectContaining({ field: 'wav.fmt.bitsPerSample' }));
  });

  it('issue 19 item 5: a file that is not a WAV is named by its size, never by its bytes', () => {
    const passwd = new TextEncoder().encode('root:x:0:0:root:/root:/bin/bash\n');
    expect(() => decodeWav(passwd)).toThrow(EmojeInputError);
    expect(() => decodeWav(passwd)).toThrow(/received 32 bytes without that header/);
    try {
      decodeWav(passwd);
    } catch (error) {
      expect((error as Error).message).not.toMatch(/root|:0:/);
    }
  });
});

