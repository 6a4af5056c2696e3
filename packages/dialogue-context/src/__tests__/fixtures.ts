import * as tf from '@tensorflow/tfjs-core';
import { randomTensor } from '@emoje/test-utils';

/** A padded batch of dialogues: `x [B, U, F]`, `mask [B, U]`, `speakers [B, U]` (int32). */
export interface DialogueBatch {
  x: tf.Tensor;
  mask: tf.Tensor;
  speakers: tf.Tensor;
}

/**
 * Builds a batch whose dialogue b has `lengths[b]` real utterances out of `u`. Speakers
 * default to alternating 0, 1, 0, ...; padded slots hold random features and id 0.
 */
export function dialogueBatch(
  lengths: number[],
  u: number,
  f: number,
  { seed = 1, speakers }: { seed?: number; speakers?: number[][] } = {},
): DialogueBatch {
  const b = lengths.length;
  const mask = new Float32Array(b * u);
  const ids = new Int32Array(b * u);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < u; j++) {
      const real = j < lengths[i];
      mask[i * u + j] = real ? 1 : 0;
      ids[i * u + j] = real ? (speakers ? speakers[i][j] : j % 2) : 0;
    }
  }
  return { x: randomTensor([b, u, f], seed), mask: tf.tensor2d(mask, [b, u]), speakers: tf.tensor2d(ids, [b, u], 'int32') };
}

/** Replaces `x[b, u, :]` by `values` (length F), returning a new tensor. */
export function withUtterance(x: tf.Tensor, b: number, u: number, values: number[]): tf.Tensor {
  const data = x.dataSync().slice();
  const [, uu, f] = x.shape as number[];
  for (let k = 0; k < f; k++) data[(b * uu + u) * f + k] = values[k];
  return tf.tensor(data, x.shape);
}

/** Largest absolute difference between rows `[b, u, :]` of two `[B, U, H]` tensors. */
export function rowDiff(a: tf.Tensor, c: tf.Tensor, b: number, u: number): number {
  const [, uu, h] = a.shape as number[];
  const da = a.dataSync();
  const dc = c.dataSync();
  let worst = 0;
  for (let k = 0; k < h; k++) {
    const i = (b * uu + u) * h + k;
    worst = Math.max(worst, Math.abs(da[i] - dc[i]));
  }
  return worst;
}
