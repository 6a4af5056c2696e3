import { EmojeInputError, SeededRandom, assertInteger } from '@emoje/core';
import type { Dialogue } from './types';

/** Options of {@link holdOutDialogues}. */
export interface HoldOutOptions {
  /** The share of the utterances to hold out, in [0, 1). Default 0.15. */
  fraction?: number;
  /** The seed of the shuffle. Default 7. */
  seed?: number;
}

/** The result of {@link holdOutDialogues}: both lists keep the input order. */
export interface HoldOut {
  /** The dialogues left in. */
  kept: Dialogue[];
  /** The dialogues held out. */
  heldOut: Dialogue[];
}

/**
 * Holds out whole dialogues (never single utterances), reproducibly: the dialogues are sorted by id,
 * shuffled with a seeded generator, and taken in that order whenever taking one brings the held-out utterance
 * count closer to `fraction` of all utterances. The same dialogues, fraction and seed always give the same
 * split, whatever the input order. At least one dialogue is always kept.
 *
 * @throws {@link EmojeInputError} naming `fraction` or `seed` when they are out of range.
 */
export function holdOutDialogues(dialogues: readonly Dialogue[], options: HoldOutOptions = {}): HoldOut {
  const fraction = options.fraction ?? 0.15;
  const seed = options.seed ?? 7;
  assertFraction('fraction', fraction);
  assertInteger('seed', seed, 0, 0xffffffff);

  const total = dialogues.reduce((n, d) => n + d.utterances.length, 0);
  const target = fraction * total;
  const order = new SeededRandom(seed).shuffle(
    [...dialogues].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  );
  const chosen = new Set<Dialogue>();
  let count = 0;
  for (const dialogue of order) {
    const next = count + dialogue.utterances.length;
    if (chosen.size + 1 < dialogues.length && Math.abs(next - target) < Math.abs(count - target)) {
      chosen.add(dialogue);
      count = next;
    }
  }
  return {
    kept: dialogues.filter((d) => !chosen.has(d)),
    heldOut: dialogues.filter((d) => chosen.has(d)),
  };
}

/** Throws an {@link EmojeInputError} naming `field` unless `value` is a finite number in [0, 1). */
export function assertFraction(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 1) {
    throw new EmojeInputError(field, 'a number in [0, 1)', String(value));
  }
}
