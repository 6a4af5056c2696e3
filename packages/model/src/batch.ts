import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError, SeededRandom } from '@emoje/core';
import type { ModalityConfig } from './config';

/** Feature vector of one modality for one utterance; `null`/`undefined` = missing. */
export type FeatureInput = Float32Array | ArrayLike<number> | null | undefined;

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
  /** Per modality, in config order: `[B, U, d_m]`, zeros where missing or padded. */
  features: tf.Tensor3D[];
  /** `[B, U, M]`, 1 where present (0 on padding). */
  availability: tf.Tensor3D;
  /** `[B, U]`, 1 for real utterances. */
  utteranceMask: tf.Tensor2D;
  /** `[B, U]` int32 speaker ids local to each dialogue. */
  speakers: tf.Tensor2D;
  /** `[B, U]` int32 labels, -1 for unlabeled or padding. */
  labels: tf.Tensor2D;
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
  tf.dispose([...batch.features, batch.availability, batch.utteranceMask, batch.speakers, batch.labels]);
}

/**
 * Which modalities are kept, per utterance: `mask[m] = false` drops modality m.
 * Used for the fixed scenarios, random missing rates and modality dropout.
 */
export type AvailabilityPolicy = (dialogueIndex: number, utteranceIndex: number, present: boolean[]) => boolean[];

/** Checks one dialogue against the modality config; errors name the dialogue, utterance and field. */
export function validateDialogue(
  dialogue: DialogueInput,
  modalities: readonly ModalityConfig[],
  numClasses: number,
  where = 'dialogue',
  maxSpeakers = Infinity,
): void {
  if (!dialogue || !Array.isArray(dialogue.utterances)) {
    throw new EmojeInputError(`${where}.utterances`, 'an array of utterances', JSON.stringify(dialogue?.utterances));
  }
  if (dialogue.utterances.length === 0) {
    throw new EmojeInputError(`${where}.utterances`, 'at least one utterance', 'an empty dialogue');
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
      if (typeof v.length !== 'number' || v.length !== m.dim) {
        throw new EmojeInputError(`${at}.features.${m.name}`, `a vector of length ${m.dim}`, `length ${v.length}`);
      }
      for (let k = 0; k < v.length; k++) {
        if (!Number.isFinite(v[k])) {
          throw new EmojeInputError(`${at}.features.${m.name}[${k}]`, 'a finite number (mark a missing modality with null)', String(v[k]));
        }
      }
    }
    if (present === 0) {
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

/**
 * Pads `dialogues` into one batch. Missing modalities and padded utterances get zero
 * features and availability 0; `policy` can drop further modalities per utterance.
 * Dialogues must already be valid (see {@link validateDialogue}).
 */
export function collate(
  dialogues: readonly DialogueInput[],
  modalities: readonly ModalityConfig[],
  policy?: AvailabilityPolicy,
): Batch {
  const b = dialogues.length;
  const u = Math.max(...dialogues.map((d) => d.utterances.length));
  const m = modalities.length;
  const feats = modalities.map((mod) => new Float32Array(b * u * mod.dim));
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
        feats[k].set(utt.features[mod.name] as ArrayLike<number>, slot * mod.dim);
      });
    });
  });
  return {
    features: feats.map((f, k) => tf.tensor3d(f, [b, u, modalities[k].dim])),
    availability: tf.tensor3d(availability, [b, u, m]),
    utteranceMask: tf.tensor2d(utteranceMask, [b, u]),
    speakers: tf.tensor2d(speakers, [b, u], 'int32'),
    labels: tf.tensor2d(labels, [b, u], 'int32'),
    host: { availability, labels, utteranceMask, batchSize: b, maxUtterances: u },
  };
}

/** Keeps only the modalities named in `keep` (a fixed missing-modality scenario). */
export function scenarioPolicy(modalities: readonly ModalityConfig[], keep: readonly string[]): AvailabilityPolicy {
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
export function allScenarios(modalities: readonly ModalityConfig[]): { name: string; keep: string[] }[] {
  const out: { name: string; keep: string[] }[] = [];
  const m = modalities.length;
  for (let mask = 1; mask < 1 << m; mask++) {
    const keep = modalities.filter((_, k) => mask & (1 << k)).map((x) => x.name);
    out.push({ name: keep.map((n) => n[0].toUpperCase()).join(''), keep });
  }
  return out.sort((a, b) => a.keep.length - b.keep.length);
}
