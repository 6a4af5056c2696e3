import { EmojeInputError } from '@emoje/core';
import { describe } from './common';

/** A decoded WAV file. */
export interface DecodedWav {
  /** Samples per second per channel, from the `fmt ` chunk. */
  sampleRate: number;
  /** Channels in the file (the samples are their mixdown). */
  channels: number;
  /** Bits per sample of the container (8, 16, 24, 32 or 64). */
  bitsPerSample: number;
  /** `'pcm'` for integer samples, `'float'` for IEEE float samples. */
  encoding: 'pcm' | 'float';
  /** The mono mixdown (mean of the channels), in [-1, 1]. */
  samples: Float32Array;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

function fourCC(view: DataView, offset: number): string {
  return String.fromCharCode(view.getUint8(offset), view.getUint8(offset + 1), view.getUint8(offset + 2), view.getUint8(offset + 3));
}

/**
 * Decodes a RIFF/WAVE file to a mono `Float32Array` in [-1, 1].
 *
 * Reads integer PCM (format 1) at 8 (unsigned), 16, 24 and 32 bits, IEEE float (format 3) at 32 and
 * 64 bits, and `WAVE_FORMAT_EXTENSIBLE` (0xFFFE) whose sub-format is one of those. Unknown chunks
 * (`LIST`, `fact`, `cue `, ...) are skipped, with the pad byte after odd-sized chunks. Channels are
 * averaged. Integers are scaled by 2^(bits-1) (so full scale is -1 .. 1 - 2^(1-bits)); float samples are
 * clamped to [-1, 1] and non-finite ones become 0. A `data` chunk shorter than its declared size (a
 * file cut off while streaming, or a size of 0xFFFFFFFF) gives the whole sample frames present.
 *
 * Broken input throws an `EmojeInputError` naming the field: `wav` (not RIFF/WAVE or too short),
 * `wav.fmt` (missing or truncated), `wav.fmt.audioFormat`, `wav.fmt.channels`, `wav.fmt.sampleRate`,
 * `wav.fmt.bitsPerSample`, `wav.fmt.blockAlign`, `wav.data` (missing), `wav.chunk` (a chunk header cut off
 * before the data chunk). Messages never quote the file's bytes.
 */
export function decodeWav(bytes: ArrayBuffer | Uint8Array): DecodedWav {
  let view: DataView;
  if (bytes instanceof ArrayBuffer) view = new DataView(bytes);
  else if (bytes instanceof Uint8Array) view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  else throw new EmojeInputError('wav', 'an ArrayBuffer or Uint8Array', describe(bytes));

  if (view.byteLength < 12) throw new EmojeInputError('wav', "a RIFF/WAVE file (at least 12 bytes)", `${view.byteLength} bytes`);
  const riff = fourCC(view, 0);
  const wave = fourCC(view, 8);
  if (riff !== 'RIFF' || wave !== 'WAVE') {
    // Never quote the bytes: this may be any file a path pointed at (e.g. /etc/passwd).
    throw new EmojeInputError('wav', "a RIFF/WAVE file ('RIFF' at byte 0, 'WAVE' at byte 8)", `${view.byteLength} bytes without that header`);
  }

  let fmt: { audioFormat: number; channels: number; sampleRate: number; blockAlign: number; bitsPerSample: number } | undefined;
  let offset = 12;
  for (;;) {
    if (offset + 8 > view.byteLength) {
      if (!fmt) throw new EmojeInputError('wav.fmt', "a 'fmt ' chunk before the end of the file", offset < view.byteLength ? 'a truncated chunk header' : 'none');
      throw new EmojeInputError('wav.data', "a 'data' chunk", offset < view.byteLength ? 'a truncated chunk header' : 'none');
    }
    const id = fourCC(view, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > view.byteLength) {
        throw new EmojeInputError('wav.fmt', 'a fmt chunk of at least 16 bytes', `${Math.min(size, view.byteLength - body)} bytes`);
      }
      let audioFormat = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const sampleRate = view.getUint32(body + 4, true);
      const blockAlign = view.getUint16(body + 12, true);
      const bitsPerSample = view.getUint16(body + 14, true);
      if (audioFormat === WAVE_FORMAT_EXTENSIBLE) {
        if (size < 40 || body + 40 > view.byteLength) {
          throw new EmojeInputError('wav.fmt', 'a WAVE_FORMAT_EXTENSIBLE fmt chunk of 40 bytes', `${Math.min(size, view.byteLength - body)} bytes`);
        }
        // The sub-format GUID starts with the format code.
        audioFormat = view.getUint16(body + 24, true);
      }
      fmt = { audioFormat, channels, sampleRate, blockAlign, bitsPerSample };
    } else if (id === 'data') {
      if (!fmt) throw new EmojeInputError('wav.fmt', "a 'fmt ' chunk before the 'data' chunk", 'none');
      return decodeData(view, body, Math.min(size, view.byteLength - body), fmt);
    }
    offset = body + size + (size & 1);
  }
}

function decodeData(
  view: DataView,
  start: number,
  length: number,
  fmt: { audioFormat: number; channels: number; sampleRate: number; blockAlign: number; bitsPerSample: number },
): DecodedWav {
  const { audioFormat, channels, sampleRate, bitsPerSample } = fmt;
  if (audioFormat !== WAVE_FORMAT_PCM && audioFormat !== WAVE_FORMAT_IEEE_FLOAT) {
    throw new EmojeInputError('wav.fmt.audioFormat', '1 (PCM), 3 (IEEE float) or 0xFFFE (extensible) with sub-format 1 or 3', `0x${audioFormat.toString(16)}`);
  }
  if (channels < 1) throw new EmojeInputError('wav.fmt.channels', 'at least 1 channel', String(channels));
  if (sampleRate < 1) throw new EmojeInputError('wav.fmt.sampleRate', 'a positive sample rate', String(sampleRate));
  const allowed = audioFormat === WAVE_FORMAT_PCM ? [8, 16, 24, 32] : [32, 64];
  if (!allowed.includes(bitsPerSample)) {
    throw new EmojeInputError('wav.fmt.bitsPerSample', `one of ${allowed.join(', ')} for ${audioFormat === WAVE_FORMAT_PCM ? 'PCM' : 'IEEE float'}`, String(bitsPerSample));
  }
  const bytesPerSample = bitsPerSample / 8;
  const frameBytes = bytesPerSample * channels;
  if (fmt.blockAlign !== frameBytes) {
    throw new EmojeInputError('wav.fmt.blockAlign', `${frameBytes} (channels x bitsPerSample / 8)`, String(fmt.blockAlign));
  }
  const frames = Math.floor(Math.max(0, length) / frameBytes);
  const samples = new Float32Array(frames);
  const read = sampleReader(view, audioFormat, bitsPerSample);
  const inv = 1 / channels;
  let p = start;
  for (let t = 0; t < frames; t++) {
    let sum = 0;
    for (let c = 0; c < channels; c++, p += bytesPerSample) sum += read(p);
    samples[t] = sum * inv;
  }
  return { sampleRate, channels, bitsPerSample, encoding: audioFormat === WAVE_FORMAT_PCM ? 'pcm' : 'float', samples };
}

function clampFloat(v: number): number {
  if (!Number.isFinite(v)) return 0;
  return v > 1 ? 1 : v < -1 ? -1 : v;
}

function sampleReader(view: DataView, format: number, bits: number): (offset: number) => number {
  if (format === WAVE_FORMAT_IEEE_FLOAT) {
    return bits === 32 ? (o) => clampFloat(view.getFloat32(o, true)) : (o) => clampFloat(view.getFloat64(o, true));
  }
  switch (bits) {
    case 8:
      return (o) => (view.getUint8(o) - 128) / 128;
    case 16:
      return (o) => view.getInt16(o, true) / 32768;
    case 24:
      return (o) => {
        const v = view.getUint8(o) | (view.getUint8(o + 1) << 8) | (view.getInt8(o + 2) << 16);
        return v / 8388608;
      };
    default:
      return (o) => view.getInt32(o, true) / 2147483648;
  }
}
