import { InvalidArgumentError } from 'commander';

/** A commander argument parser for an integer >= `min`, naming the option in its error. */
export function parseInteger(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
    return n;
  };
}

/** The `--embedding-cache <dir>` option's help text (shared by train, eval and predict). */
export const EMBEDDING_CACHE_HELP = 'folder of the sentence-embedding cache (default: $EMOJE_CACHE_DIR, else node_modules/.cache/emoje, else the user cache folder)';

/** The `--text-features` choices: sentence vectors from USE-lite, or GloVe word vectors through the token encoder. */
export const TEXT_FEATURES = ['use', 'glove'] as const;
export type TextFeatures = (typeof TEXT_FEATURES)[number];

/** A commander parser for `--text-features`. */
export function parseTextFeatures(value: string): TextFeatures {
  if (!(TEXT_FEATURES as readonly string[]).includes(value)) throw new InvalidArgumentError(`--text-features must be one of ${TEXT_FEATURES.join(', ')}, got ${JSON.stringify(value)}`);
  return value as TextFeatures;
}
