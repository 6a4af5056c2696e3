/**
 * Builds the compact EmoDB copy in the repository's `data/emodb/` from a folder of the corpus's WAV files
 * (the public 2-second, 22,050 Hz copy described in data/emodb/PROVENANCE.md):
 *
 *   npx tsx --conditions=@emoje/source packages/datasets/scripts/vendor-emodb.ts <folder of *.wav> [out folder]
 *
 * Per file: decode (`decodeWav`), drop the trailing run of exact zeros (the copy's padding to 2 s), resample to
 * 16 kHz (`resample`, the project's windowed-sinc resampler), round to int16 and append to `emodb-16k.i16`
 * (little-endian); `emodb_index.json` gives each file's name, speaker, sentence, emotion letter, version, offset
 * and length in samples. Files are taken in name order, so the output is reproducible byte for byte.
 */
import { readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeWav, resample } from '@emoje/encoders';
import { EMODB_FILES, EMODB_SAMPLE_RATE, parseEmodbFileName, type EmodbIndexFile, type EmodbIndexRow } from '../src/emodb';

const input = process.argv[2];
if (!input) throw new Error('usage: vendor-emodb.ts <folder of EmoDB *.wav> [out folder]');
const outDir = process.argv[3] ?? fileURLToPath(new URL('../../../data/emodb/', import.meta.url));

const names = readdirSync(input).filter((n) => n.toLowerCase().endsWith('.wav')).sort();
const chunks: Int16Array[] = [];
const rows: EmodbIndexRow[] = [];
let offset = 0;
let sourceRate = 0;
for (const name of names) {
  const file = join(input, name);
  const { speaker, sentence, emotion, version } = parseEmodbFileName(basename(name), file);
  const wav = decodeWav(readFileSync(file));
  sourceRate = wav.sampleRate;
  let end = wav.samples.length;
  while (end > 0 && wav.samples[end - 1] === 0) end--;
  const pcm = resample(wav.samples.subarray(0, end), wav.sampleRate, EMODB_SAMPLE_RATE);
  const ints = new Int16Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) ints[i] = Math.max(-32768, Math.min(32767, Math.round(pcm[i] * 32768)));
  chunks.push(ints);
  rows.push({ file: name, speaker, sentence, emotion, version, offset, length: ints.length });
  offset += ints.length;
}
const all = new Int16Array(offset);
let at = 0;
for (const c of chunks) {
  all.set(c, at);
  at += c.length;
}
const bytes = new Uint8Array(all.length * 2);
const view = new DataView(bytes.buffer);
all.forEach((v, i) => view.setInt16(2 * i, v, true));
const index: EmodbIndexFile = {
  source: 'EmoDB (Burkhardt et al., INTERSPEECH 2005), CC0-1.0; public 2-second copy, see PROVENANCE.md',
  sampleRate: EMODB_SAMPLE_RATE,
  sourceSampleRate: sourceRate,
  samples: all.length,
  utterances: rows,
};
// atomic: write beside, then rename over
for (const [target, data] of [
  [join(outDir, EMODB_FILES.samples), bytes],
  [join(outDir, EMODB_FILES.index), `${JSON.stringify(index)}\n`],
] as const) {
  writeFileSync(`${target}.tmp`, data);
  renameSync(`${target}.tmp`, target);
}
console.log(`${rows.length} utterances, ${all.length} samples at ${EMODB_SAMPLE_RATE} Hz -> ${outDir} (${bytes.length} bytes)`);
