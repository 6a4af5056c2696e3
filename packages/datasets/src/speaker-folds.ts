import { EmojeInputError, assertInteger } from '@emoje/core';

/** One fold of a speaker-independent protocol: who is tested, who is used for choices (dev), who trains. */
export interface SpeakerFold {
  /** The test speaker. */
  test: string;
  /** The dev speaker: early stopping and every choice of the fold look at this speaker only. */
  dev: string;
  /** The training speakers (everyone else), in input order. */
  train: string[];
}

/** Options of {@link leaveOneSpeakerOutFolds}. */
export interface SpeakerFoldOptions {
  /** The dev speaker of the fold testing `speakers[i]` is `speakers[(i + devOffset) % n]`. Default 1 (the next speaker). */
  devOffset?: number;
}

/**
 * Leave-one-speaker-out folds: one fold per speaker, which is the test speaker; the dev speaker is the one
 * `devOffset` places after it (cyclically) in `speakers`; the others train. Every speaker is tested exactly once
 * and is dev exactly once, and no speaker is ever in two roles of one fold.
 *
 * @example
 * ```ts
 * leaveOneSpeakerOutFolds(['03', '08', '09'])[0]; // { test: '03', dev: '08', train: ['09'] }
 * ```
 * @throws {@link EmojeInputError} naming `speakers` unless they are at least 3 distinct non-empty strings, or
 * `devOffset` unless it is an integer in [1, n - 1].
 */
export function leaveOneSpeakerOutFolds(speakers: readonly string[], options: SpeakerFoldOptions = {}): SpeakerFold[] {
  if (!Array.isArray(speakers) || speakers.length < 3) {
    throw new EmojeInputError('speakers', 'an array of at least 3 speaker ids', Array.isArray(speakers) ? `${speakers.length} speakers` : typeof speakers);
  }
  const seen = new Set<string>();
  speakers.forEach((s, i) => {
    if (typeof s !== 'string' || s.length === 0) throw new EmojeInputError(`speakers[${i}]`, 'a non-empty string', JSON.stringify(s));
    if (seen.has(s)) throw new EmojeInputError(`speakers[${i}]`, 'a speaker id not listed before', JSON.stringify(s));
    seen.add(s);
  });
  const n = speakers.length;
  const devOffset = options.devOffset ?? 1;
  assertInteger('devOffset', devOffset, 1, n - 1);
  return speakers.map((test, i) => {
    const dev = speakers[(i + devOffset) % n];
    return { test, dev, train: speakers.filter((s) => s !== test && s !== dev) };
  });
}

/** The items of each role of `fold`, by their `speaker`; items of speakers the fold does not name are left out. */
export function splitBySpeaker<T extends { speaker: string }>(items: readonly T[], fold: SpeakerFold): { train: T[]; dev: T[]; test: T[] } {
  const train = new Set(fold.train);
  return {
    train: items.filter((x) => train.has(x.speaker)),
    dev: items.filter((x) => x.speaker === fold.dev),
    test: items.filter((x) => x.speaker === fold.test),
  };
}
