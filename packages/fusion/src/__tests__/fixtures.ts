import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@emoje/core';

/** One modality of a test batch: `null` = one token per utterance, a number = that many frames. */
export type ModalitySpec = number | null;

/** A padded batch of ACN inputs and the masks that say which slots are real. */
export interface AcnBatch {
  /** `[h_1 .. h_M, availability, ...frameMasks]`, the layer's input list. */
  inputs: tf.Tensor[];
  /** `[B, U, M]` availability as numbers (0 on padded utterances). */
  availability: number[][][];
  /** Per modality, the mask of its real slots: `[B, U]` (vectors) or `[B, U, S]` (frames). */
  slotMasks: tf.Tensor[];
  specs: ModalitySpec[];
}

/**
 * Builds a random ACN batch: `lengths[b]` real utterances per dialogue (the rest padded),
 * modalities missing at random (at least one present per real utterance), and random
 * frame counts (at least one frame) for frame modalities.
 */
export function acnBatch(
  specs: ModalitySpec[],
  { batch, utterances, width, lengths, seed = 1, missing = 0.35 }:
    { batch: number; utterances: number; width: number; lengths?: number[]; seed?: number; missing?: number },
): AcnBatch {
  const rng = new SeededRandom(seed);
  const m = specs.length;
  const lens = lengths ?? Array.from({ length: batch }, () => utterances);
  const availability = Array.from({ length: batch }, (_, b) =>
    Array.from({ length: utterances }, (_, u) => {
      if (u >= lens[b]) return new Array<number>(m).fill(0);
      const row: number[] = specs.map(() => (rng.next() < missing ? 0 : 1));
      if (!row.includes(1)) row[rng.int(m)] = 1;
      return row;
    }),
  );
  const features: tf.Tensor[] = [];
  const frameMasks: tf.Tensor[] = [];
  const slotMasks: tf.Tensor[] = [];
  specs.forEach((spec, i) => {
    const avail = availability.map((d) => d.map((r) => r[i]));
    if (spec == null) {
      features.push(tf.randomNormal([batch, utterances, width], 0, 1, 'float32', seed * 31 + i));
      slotMasks.push(tf.tensor2d(avail));
    } else {
      features.push(tf.randomNormal([batch, utterances, spec, width], 0, 1, 'float32', seed * 31 + i));
      const frames = availability.map((d, b) =>
        d.map((_, u) => {
          const real = u < lens[b] ? 1 + rng.int(spec) : 0;
          return Array.from({ length: spec }, (_, s) => (s < real ? 1 : 0));
        }),
      );
      frameMasks.push(tf.tensor3d(frames));
      slotMasks.push(tf.tensor3d(frames.map((d, b) => d.map((r, u) => r.map((v) => v * avail[b][u])))));
    }
  });
  return { inputs: [...features, tf.tensor3d(availability), ...frameMasks], availability, slotMasks, specs };
}

/** Replaces every masked slot of `x` (mask has the leading dims of `x`) with `fill` (a number or NaN) or random values. */
export function fillMasked(x: tf.Tensor, mask: tf.Tensor, fill: number | 'random', seed = 7): tf.Tensor {
  return tf.tidy(() => {
    let m = mask;
    while (m.rank < x.rank) m = tf.expandDims(m, -1);
    const keep = tf.greater(tf.broadcastTo(m, x.shape), 0);
    const other = fill === 'random' ? tf.mul(tf.randomNormal(x.shape, 0, 1, 'float32', seed), 100) : tf.fill(x.shape, fill);
    return tf.where(keep, x, other);
  });
}

/** The ACN inputs with every missing modality, padded utterance and padded frame overwritten. */
export function corruptAcnInputs(batch: AcnBatch, fill: number | 'random'): tf.Tensor[] {
  const m = batch.specs.length;
  return batch.inputs.map((t, i) => (i < m ? fillMasked(t, batch.slotMasks[i], fill, 11 + i) : t));
}

/** Keeps only the entries of `x [B, U, ...]` where `real [B, U]` is 1, as a flat array. */
export function realEntries(x: tf.Tensor, real: number[][]): number[] {
  const values = Array.from(x.dataSync());
  const [b, u] = x.shape;
  const per = values.length / (b * u);
  const out: number[] = [];
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < u; j++) {
      if (real[i][j]) out.push(...values.slice((i * u + j) * per, (i * u + j + 1) * per));
    }
  }
  return out;
}

/** `[B, U]` with 1 for utterances where at least one modality is available. */
export function realUtterances(availability: number[][][]): number[][] {
  return availability.map((d) => d.map((r) => (r.some((v) => v > 0) ? 1 : 0)));
}

/** The values of utterance `(b, u)` of `x [B, U, ...]`. */
export function utteranceValues(x: tf.Tensor, b: number, u: number): number[] {
  const values = Array.from(x.dataSync());
  const [, us] = x.shape;
  const per = values.length / (x.shape[0] * us);
  const start = (b * us + u) * per;
  return values.slice(start, start + per);
}
