import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError, formatShape } from '@emoje/core';

/** A tensor shape as tfjs-layers writes it (`null` = unknown). */
export type MaybeShape = ReadonlyArray<number | null>;

/** The input names, in array order. */
export const INPUT_NAMES = ['x', 'utteranceMask', 'speakers'] as const;

/**
 * Checks the three input shapes: `x [B, U, F]`, `utteranceMask [B, U]`, `speakers [B, U]`,
 * with B and U agreeing wherever known, `U <= maxUtterances`, and `F` equal to
 * `inputDim` once the layer is built.
 * @throws EmojeInputError naming the input at fault.
 */
export function validateInputShapes(
  shapes: unknown,
  maxUtterances: number,
  inputDim: number | null,
): void {
  if (!Array.isArray(shapes) || shapes.length !== 3 || !shapes.every((s) => Array.isArray(s))) {
    const received = Array.isArray(shapes) ? `${shapes.length} inputs` : 'a single input';
    throw new EmojeInputError('inputs', 'an array of 3 tensors [x, utteranceMask, speakers]', received);
  }
  const [x, mask, speakers] = shapes as MaybeShape[];
  if (x.length !== 3) throw new EmojeInputError('x', 'rank 3 [B, U, F]', `shape ${formatShape(x)}`);
  if (mask.length !== 2) throw new EmojeInputError('utteranceMask', 'rank 2 [B, U]', `shape ${formatShape(mask)}`);
  if (speakers.length !== 2) throw new EmojeInputError('speakers', 'rank 2 [B, U]', `shape ${formatShape(speakers)}`);
  const agree = (a: number | null, b: number | null) => a == null || b == null || a === b;
  for (const [name, shape] of [['utteranceMask', mask], ['speakers', speakers]] as const) {
    if (!agree(shape[0], x[0]) || !agree(shape[1], x[1])) {
      throw new EmojeInputError(
        name,
        `shape [B, U] = ${formatShape([x[0], x[1]])} matching x`,
        `shape ${formatShape(shape)}`,
      );
    }
  }
  const u = x[1] ?? mask[1] ?? speakers[1];
  if (u != null && u > maxUtterances) {
    throw new EmojeInputError('x', `at most maxUtterances (${maxUtterances}) utterances`, `${u} utterances`,
      'Raise maxUtterances or split the dialogue');
  }
  if (x[2] == null) throw new EmojeInputError('x', 'a known feature width F in [B, U, F]', `shape ${formatShape(x)}`);
  if (inputDim != null && x[2] !== inputDim) {
    throw new EmojeInputError('x', `feature width ${inputDim} (the width the layer was built with)`, `shape ${formatShape(x)}`);
  }
}

/**
 * Checks that every real utterance (mask > 0) has an integer speaker id in
 * `[0, maxSpeakers)`. Padded utterances' ids are ignored. Reads the `[B, U]` values.
 * @throws EmojeInputError naming `speakers`.
 */
export function validateSpeakerIds(utteranceMask: tf.Tensor, speakers: tf.Tensor, maxSpeakers: number): void {
  const mask = utteranceMask.dataSync();
  const ids = speakers.dataSync();
  const u = speakers.shape[1] as number;
  for (let i = 0; i < ids.length; i++) {
    if (!(Number(mask[i]) > 0)) continue;
    const id = Number(ids[i]);
    if (!Number.isInteger(id) || id < 0 || id >= maxSpeakers) {
      throw new EmojeInputError(
        'speakers',
        `integer ids in [0, ${maxSpeakers}) on real utterances (raise maxSpeakers for more speakers)`,
        `${id} at [${Math.floor(i / u)}, ${i % u}]`,
      );
    }
  }
}
