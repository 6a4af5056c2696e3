import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError, SeededRandom } from '@emoje/core';
import { Vocabulary } from '@emoje/encoders';
import type { ResolvedModalityConfig } from './config';

/**
 * One modality of one utterance: a feature vector (vector modalities), text (token modalities: a string,
 * or token ids of the model's vocabulary), or frames (frame modalities: `frames x dim` values, frame after frame).
 * `null`/`undefined` = missing.
 */
export type FeatureInput = Float32Array | ArrayLike<number> | string | null | undefined;

type Modalities = readonly ResolvedModalityConfig[];

const vocabularies = new WeakMap<object, Vocabulary>();

/** The {@link Vocabulary} of a token modality (built once per config object). */
export function modalityVocabulary(modality: ResolvedModalityConfig & { kind: 'tokens' }): Vocabulary {
  let vocabulary = vocabularies.get(modality);
  if (!vocabulary) {
    vocabulary = new Vocabulary(modality.vocabulary);
    vocabularies.set(modality, vocabulary);
  }
  return vocabulary;
}

/** The token ids of a present token-modality input, cut to `maxTokens`. */
function tokenIds(modality: ResolvedModalityConfig & { kind: 'tokens' }, value: ArrayLike<number> | string): ArrayLike<number> {
  if (typeof value === 'string') return modalityVocabulary(modality).encode(value, modality.maxTokens);
  return value.length > modality.maxTokens ? Array.prototype.slice.call(value, 0, modality.maxTokens) : value;
}

/** One utterance as the model reads it (structurally compatible with `@emoje/datasets`'s `Utterance`). */
export interface UtteranceInput {
  /** Speaker name or id; mapped to ids local to the dialogue in order of appearance. */
  speaker: string | number;
  /** Features by modality name. A modality absent or `null` is missing. */
  features: Record<string, FeatureInput>;
  /** Class index, or `null`/`undefined` when unlabeled. */
  label?: number | null;
}

/** One dialogue: its utterances in order. */
export interface DialogueInput {
  id?: string;
  utterances: UtteranceInput[];
}

/** The tensors of one padded batch. Dispose with {@link disposeBatch}. */
export interface Batch {
  /**
   * Per modality, in config order: vector modalities `[B, U, d_m]` float32, zeros where missing or padded;
   * token modalities `[B, U, S]` int32 token ids, 0 (`<pad>`) where missing or padded, S the longest text in the batch;
   * frame modalities `[B, U, S, d_m]` float32, S the most frames of an utterance in the batch (at most `maxFrames`),
   * zeros where missing or padded.
   */
  features: tf.Tensor[];
  /** Per modality: `[B, U, S]` 1 on the real frames of a frame modality (0 where missing or padded); null for the others. */
  frameMasks: (tf.Tensor3D | null)[];
  /** `[B, U, M]`, 1 where present (0 on padding). */
  availability: tf.Tensor3D;
  /** `[B, U]`, 1 for real utterances. */
  utteranceMask: tf.Tensor2D;
  /** `[B, U]` int32 speaker ids local to each dialogue. */
  speakers: tf.Tensor2D;
  /** `[B, U]` int32 labels, -1 for unlabeled or padding. */
  labels: tf.Tensor2D;
  /**
   * True when `availability` is already 0 on every padded utterance (as {@link collate} makes it), so that the network
   * can read it as is instead of multiplying it by `utteranceMask`. Defaults to false (a batch built by hand).
   */
  availabilityMasked?: boolean;
  /** Plain copies for metrics and per-utterance reporting. */
  host: {
    availability: Float32Array;
    labels: Int32Array;
    utteranceMask: Float32Array;
    batchSize: number;
    maxUtterances: number;
  };
}

export function disposeBatch(batch: Batch): void {
  tf.dispose([...batch.features, ...batch.frameMasks.filter((m): m is tf.Tensor3D => m !== null), batch.availability, batch.utteranceMask, batch.speakers, batch.labels]);
}

/**
 * Which modalities are kept, per utterance: `mask[m] = false` drops modality m.
 * Used for the fixed scenarios, random missing rates and modality dropout.
 */
export type AvailabilityPolicy = (dialogueIndex: number, utteranceIndex: number, present: boolean[]) => boolean[];

/**
 * Checks one dialogue against the modality config; errors name the dialogue, utterance and field. The length is
 * checked first (against `maxUtterances`, the model's limit), before any utterance is looked at.
 * @param options.allowUnusable - accept utterances with no modality present (predict reports them apart). Defaults to false.
 */
export function validateDialogue(
  dialogue: DialogueInput,
  modalities: Modalities,
  numClasses: number,
  where = 'dialogue',
  maxSpeakers = Infinity,
  maxUtterances = Infinity,
  options: { allowUnusable?: boolean } = {},
): void {
  if (!dialogue || !Array.isArray(dialogue.utterances)) {
    throw new EmojeInputError(`${where}.utterances`, 'an array of utterances', dialogue == null ? String(dialogue) : typeof dialogue.utterances);
  }
  if (dialogue.utterances.length === 0) {
    throw new EmojeInputError(`${where}.utterances`, 'at least one utterance', 'an empty dialogue');
  }
  if (dialogue.utterances.length > maxUtterances) {
    throw new EmojeInputError(
      `${where}.utterances`,
      `at most ${maxUtterances} utterances (the model's maxUtterances)`,
      `${dialogue.utterances.length}${typeof dialogue.id === 'string' ? ` in dialogue ${JSON.stringify(dialogue.id)}` : ''}`,
      'Split the dialogue, or train a model with a larger maxUtterances (emoje train --max-utterances)',
    );
  }
  const known = new Set(modalities.map((m) => m.name));
  const speakers = new Set<string>();
  dialogue.utterances.forEach((u, i) => {
    const at = `${where}.utterances[${i}]`;
    if (!u || typeof u !== 'object') throw new EmojeInputError(at, 'an utterance object', JSON.stringify(u));
    if (u.speaker === undefined || u.speaker === null || u.speaker === '') {
      throw new EmojeInputError(`${at}.speaker`, 'a speaker name or id', JSON.stringify(u.speaker));
    }
    speakers.add(String(u.speaker));
    if (!u.features || typeof u.features !== 'object') {
      throw new EmojeInputError(`${at}.features`, `an object keyed by modality (${[...known].join(', ')})`, JSON.stringify(u.features));
    }
    for (const name of Object.keys(u.features)) {
      if (!known.has(name)) {
        throw new EmojeInputError(`${at}.features.${name}`, `a known modality (${[...known].join(', ')})`, `unknown modality '${name}'`);
      }
    }
    let present = 0;
    for (const m of modalities) {
      const v = u.features[m.name];
      if (v == null) continue;
      present++;
      const field = `${at}.features.${m.name}`;
      if (m.kind === 'tokens') {
        checkTokens(m, v, field);
        continue;
      }
      if (m.kind === 'frames') {
        if (typeof v === 'string' || typeof v.length !== 'number' || v.length === 0 || v.length % m.dim !== 0) {
          throw new EmojeInputError(field, `frames of width ${m.dim}: a non-empty flat array whose length is a multiple of ${m.dim}`, typeof v === 'string' ? 'a string' : `length ${v.length}`);
        }
      } else if (typeof v === 'string' || typeof v.length !== 'number' || v.length !== m.dim) {
        throw new EmojeInputError(field, `a vector of length ${m.dim}`, typeof v === 'string' ? 'a string' : `length ${v.length}`);
      }
      for (let k = 0; k < v.length; k++) {
        if (!Number.isFinite(v[k])) {
          throw new EmojeInputError(`${field}[${k}]`, 'a finite number (mark a missing modality with null)', String(v[k]));
        }
      }
    }
    if (present === 0 && !options.allowUnusable) {
      throw new EmojeInputError(`${at}.features`, 'at least one present modality', 'all modalities missing');
    }
    if (u.label != null && !(Number.isInteger(u.label) && u.label >= 0 && u.label < numClasses)) {
      throw new EmojeInputError(`${at}.label`, `an integer class in 0..${numClasses - 1} or null`, JSON.stringify(u.label));
    }
  });
  if (speakers.size > maxSpeakers) {
    throw new EmojeInputError(`${where}.utterances[].speaker`, `at most ${maxSpeakers} distinct speakers`, `${speakers.size}`);
  }
}

function checkTokens(m: ResolvedModalityConfig & { kind: 'tokens' }, v: ArrayLike<number> | string, field: string): void {
  if (typeof v === 'string') {
    if (modalityVocabulary(m).encode(v, 1).length === 0) {
      throw new EmojeInputError(field, 'a text with at least one word or sign (mark a missing modality with null)', JSON.stringify(v));
    }
    return;
  }
  if (typeof v.length !== 'number' || v.length === 0) {
    throw new EmojeInputError(field, 'a text, or a non-empty array of token ids', String(v));
  }
  for (let k = 0; k < v.length; k++) {
    if (!Number.isInteger(v[k]) || v[k] < 1 || v[k] >= m.vocabulary.length) {
      throw new EmojeInputError(`${field}[${k}]`, `a token id in 1..${m.vocabulary.length - 1}`, String(v[k]));
    }
  }
}

/** Word dropout in {@link collate}: each real token becomes `<unk>` (id 1) with probability `rate`, drawn from `rng`. */
export interface TokenDropout {
  rate: number;
  rng: SeededRandom;
}

/**
 * Pads `dialogues` into one batch. Missing modalities and padded utterances get zero
 * features and availability 0; `policy` can drop further modalities per utterance, and
 * `tokenDropout` replaces tokens of the token modalities by `<unk>` (training only).
 * Dialogues must already be valid (see {@link validateDialogue}).
 */
export function collate(
  dialogues: readonly DialogueInput[],
  modalities: Modalities,
  policy?: AvailabilityPolicy,
  tokenDropout?: TokenDropout,
): Batch {
  const dropRate = tokenDropout?.rate ?? 0;
  const b = dialogues.length;
  const u = Math.max(...dialogues.map((d) => d.utterances.length));
  const m = modalities.length;
  const ids = modalities.map((mod) =>
    mod.kind === 'tokens'
      ? dialogues.map((d) => d.utterances.map((utt) => {
          const v = utt.features[mod.name];
          return v == null ? null : tokenIds(mod, v);
        }))
      : null,
  );
  // frames per utterance slot of each frame modality (S), cut to maxFrames
  const frameCounts = modalities.map((mod) => {
    if (mod.kind !== 'frames') return 0;
    let longest = 1;
    for (const d of dialogues) for (const utt of d.utterances) {
      const v = utt.features[mod.name];
      if (v != null && typeof v !== 'string') longest = Math.max(longest, Math.min(mod.maxFrames, Math.floor(v.length / mod.dim)));
    }
    return longest;
  });
  const frameMasks = modalities.map((mod, k) => (mod.kind === 'frames' ? new Float32Array(b * u * frameCounts[k]) : null));
  const widths = modalities.map((mod, k) => {
    if (mod.kind === 'vector') return mod.dim;
    if (mod.kind === 'frames') return frameCounts[k] * mod.dim;
    let longest = 1;
    for (const d of ids[k]!) for (const t of d) if (t) longest = Math.max(longest, t.length);
    return longest;
  });
  const feats = modalities.map((mod, k) => (mod.kind === 'tokens' ? new Int32Array(b * u * widths[k]) : new Float32Array(b * u * widths[k])));
  const availability = new Float32Array(b * u * m);
  const utteranceMask = new Float32Array(b * u);
  const speakers = new Int32Array(b * u);
  const labels = new Int32Array(b * u).fill(-1);
  dialogues.forEach((dialogue, i) => {
    const speakerIds = new Map<string, number>();
    dialogue.utterances.forEach((utt, j) => {
      const slot = i * u + j;
      utteranceMask[slot] = 1;
      const key = String(utt.speaker);
      if (!speakerIds.has(key)) speakerIds.set(key, speakerIds.size);
      speakers[slot] = speakerIds.get(key)!;
      labels[slot] = utt.label ?? -1;
      const present = modalities.map((mod) => utt.features[mod.name] != null);
      const kept = policy ? policy(i, j, present) : present;
      modalities.forEach((mod, k) => {
        if (!kept[k] || !present[k]) return;
        availability[slot * m + k] = 1;
        let values = mod.kind === 'tokens' ? ids[k]![i][j]! : (utt.features[mod.name] as ArrayLike<number>);
        if (mod.kind === 'frames') {
          const n = Math.min(frameCounts[k], Math.floor(values.length / mod.dim));
          if (values.length > n * mod.dim) values = Array.prototype.slice.call(values, 0, n * mod.dim) as number[];
          frameMasks[k]!.fill(1, slot * frameCounts[k], slot * frameCounts[k] + n);
        }
        feats[k].set(values, slot * widths[k]);
        if (mod.kind === 'tokens' && dropRate > 0) {
          const row = feats[k];
          for (let t = slot * widths[k], end = t + values.length; t < end; t++) if (tokenDropout!.rng.next() < dropRate) row[t] = 1;
        }
      });
    });
  });
  return {
    features: feats.map((f, k) => {
      const mod = modalities[k];
      if (mod.kind === 'frames') return tf.tensor4d(f, [b, u, frameCounts[k], mod.dim]);
      return tf.tensor3d(f, [b, u, widths[k]], mod.kind === 'tokens' ? 'int32' : 'float32');
    }),
    frameMasks: frameMasks.map((f, k) => (f ? tf.tensor3d(f, [b, u, frameCounts[k]]) : null)),
    availability: tf.tensor3d(availability, [b, u, m]),
    utteranceMask: tf.tensor2d(utteranceMask, [b, u]),
    speakers: tf.tensor2d(speakers, [b, u], 'int32'),
    labels: tf.tensor2d(labels, [b, u], 'int32'),
    availabilityMasked: true,
    host: { availability, labels, utteranceMask, batchSize: b, maxUtterances: u },
  };
}

/** Keeps only the modalities named in `keep` (a fixed missing-modality scenario). */
export function scenarioPolicy(modalities: readonly { name: string }[], keep: readonly string[]): AvailabilityPolicy {
  const unknown = keep.filter((k) => !modalities.some((m) => m.name === k));
  if (unknown.length) {
    throw new EmojeInputError('scenario', `modalities among ${modalities.map((m) => m.name).join(', ')}`, unknown.join(', '));
  }
  const mask = modalities.map((m) => keep.includes(m.name));
  return (_d, _u, present) => present.map((p, k) => p && mask[k]);
}

/**
 * Drops each present modality with probability `rate`, independently per utterance,
 * always keeping at least one present modality (a random one of those present).
 */
export function missingRatePolicy(rate: number, rng: SeededRandom): AvailabilityPolicy {
  return (_d, _u, present) => {
    const kept = present.map((p) => p && rng.next() >= rate);
    if (present.some(Boolean) && !kept.some(Boolean)) {
      const candidates = present.flatMap((p, k) => (p ? [k] : []));
      kept[candidates[rng.int(candidates.length)]] = true;
    }
    return kept;
  };
}

/** Every non-empty subset of the modalities, shortest first, named by initials (T, A, V, TA, ...). */
export function allScenarios(modalities: readonly { name: string }[]): { name: string; keep: string[] }[] {
  const out: { name: string; keep: string[] }[] = [];
  const m = modalities.length;
  for (let mask = 1; mask < 1 << m; mask++) {
    const keep = modalities.filter((_, k) => mask & (1 << k)).map((x) => x.name);
    out.push({ name: keep.map((n) => n[0].toUpperCase()).join(''), keep });
  }
  return out.sort((a, b) => a.keep.length - b.keep.length);
}
