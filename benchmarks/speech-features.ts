/**
 * Speech features of every EmoDB utterance for bench:speech, extracted once per file and cached in
 * benchmarks/.cache/ (ignored by git; the key covers the feature code version, the pooling and the data index), so
 * folds and seeds reuse them: the 77-d utterance vector, the 163-d functionals and the frame sequence.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { EmodbCorpus } from '@emoje/datasets';
import { emodbDataDir } from '@emoje/datasets/node';
import { audioFrameFeatures, audioFunctionals, extractAudioFeatures } from '@emoje/encoders';
import { writeFileAtomic } from '@emoje/runtime-node';

/** Bump when the feature code changes, so stale caches are not reused. */
const FEATURE_VERSION = 1;

export interface UtteranceSpeechFeatures {
  id: string;
  speaker: string;
  label: number;
  /** The 77-d `utteranceVector` of `extractAudioFeatures`. */
  vector: Float32Array;
  /** `audioFunctionals`: 163 values. */
  functionals: Float32Array;
  /** `audioFrameFeatures(features, pool)`: one 43-d row per pooled frame. */
  frames: Float32Array[];
}

/** Features of every utterance of `corpus`, from the cache when it holds them. */
export async function emodbSpeechFeatures(corpus: EmodbCorpus, pool: number, cacheDir = 'benchmarks/.cache'): Promise<UtteranceSpeechFeatures[]> {
  const indexText = readFileSync(join(emodbDataDir(), 'emodb_index.json'));
  const key = createHash('sha256').update(`v${FEATURE_VERSION} pool ${pool} `).update(indexText).digest('hex').slice(0, 16);
  const file = join(cacheDir, `emodb-features-${key}.v8`);
  if (existsSync(file)) return deserialize(readFileSync(file)) as UtteranceSpeechFeatures[];
  const t0 = Date.now();
  const out = corpus.utterances.map((u) => {
    const f = extractAudioFeatures(u.samples, corpus.sampleRate);
    return { id: u.id, speaker: u.speaker, label: u.label, vector: f.utteranceVector, functionals: audioFunctionals(f), frames: audioFrameFeatures(f, pool) };
  });
  console.log(`features of ${out.length} utterances extracted in ${((Date.now() - t0) / 1000).toFixed(1)} s; cached in ${file}`);
  mkdirSync(cacheDir, { recursive: true });
  await writeFileAtomic(file, serialize(out));
  return out;
}

/**
 * Standardises every dimension of `rows` within each speaker (mean 0, std 1 over that speaker's utterances; a
 * constant dimension becomes 0). It reads no label: for a test speaker it uses only that speaker's unlabeled audio,
 * the usual speaker normalisation of speech-emotion work.
 */
export function standardizeBySpeaker(rows: readonly Float32Array[], speakers: readonly string[]): Float32Array[] {
  const out = rows.map((r) => Float32Array.from(r));
  for (const speaker of new Set(speakers)) {
    const idx = speakers.flatMap((s, i) => (s === speaker ? [i] : []));
    const d = rows[idx[0]].length;
    for (let j = 0; j < d; j++) {
      let mean = 0;
      for (const i of idx) mean += rows[i][j];
      mean /= idx.length;
      let v = 0;
      for (const i of idx) v += (rows[i][j] - mean) ** 2;
      const std = Math.sqrt(v / idx.length);
      for (const i of idx) out[i][j] = std > 1e-8 ? (rows[i][j] - mean) / std : 0;
    }
  }
  return out;
}

/** Per-speaker standardisation of frame sequences: every frame dimension over all frames of the speaker. */
export function standardizeFramesBySpeaker(sequences: readonly Float32Array[][], speakers: readonly string[]): Float32Array[][] {
  const out = sequences.map((s) => s.map((r) => Float32Array.from(r)));
  for (const speaker of new Set(speakers)) {
    const idx = speakers.flatMap((s, i) => (s === speaker ? [i] : []));
    const d = sequences[idx[0]][0].length;
    const mean = new Float64Array(d);
    const sq = new Float64Array(d);
    let n = 0;
    for (const i of idx) for (const r of sequences[i]) {
      n++;
      for (let j = 0; j < d; j++) {
        mean[j] += r[j];
        sq[j] += r[j] * r[j];
      }
    }
    for (let j = 0; j < d; j++) {
      mean[j] /= n;
      sq[j] = Math.sqrt(Math.max(0, sq[j] / n - mean[j] * mean[j]));
    }
    for (const i of idx) for (const r of out[i]) for (let j = 0; j < d; j++) r[j] = sq[j] > 1e-8 ? (r[j] - mean[j]) / sq[j] : 0;
  }
  return out;
}
