import { EmojeInputError, assertInteger } from '@emoje/core';

/**
 * Splits an utterance into lower-case word and punctuation tokens, the way the GloVe vocabulary bundled
 * with `@emoje/datasets` was built. The rules, in order:
 *
 * 1. Unicode NFKC normalisation, then lower case.
 * 2. Curly quotes become ASCII (`’ ‘` → `'`, `“ ”` → `"`), the ellipsis `…` becomes `...`.
 * 3. Negation and contraction clitics are split off the word: `don't` → `do n't`, `can't` → `ca n't`,
 *    `company's` → `company 's`, likewise `'re 've 'll 'd 'm`.
 * 4. A run of letters and digits is one token (`kl-5` → `kl - 5`).
 * 5. Every other non-space character is a token of its own, and a run of the same punctuation
 *    character counts once (`!!!` → `!`, `...` → `.`).
 *
 * @example
 * ```ts
 * tokenize('You must’ve had your hands full!!'); // ['you', 'must', "'ve", 'had', 'your', 'hands', 'full', '!']
 * ```
 */
export function tokenize(text: string): string[] {
  if (typeof text !== 'string') throw new EmojeInputError('text', 'a string', typeof text);
  const normalised = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[’‘‛′]/g, "'")
    .replace(/[“”„″]/g, '"')
    .replace(/…/g, '...');
  const tokens: string[] = [];
  let lastEnd = -1;
  for (const match of normalised.matchAll(TOKEN_PATTERN)) {
    const token = match[0];
    const isPunctuation = !/[\p{L}\p{N}']/u.test(token);
    if (isPunctuation && tokens.length > 0 && tokens[tokens.length - 1] === token && match.index === lastEnd) {
      lastEnd = match.index + token.length;
      continue;
    }
    lastEnd = match.index + token.length;
    tokens.push(token);
  }
  return tokens;
}

const TOKEN_PATTERN = /[\p{L}\p{N}]+?(?=n't(?![\p{L}\p{N}]))|n't(?![\p{L}\p{N}])|'(?:s|re|ve|ll|d|m)(?![\p{L}\p{N}])|[\p{L}\p{N}]+|\S/gu;

/** Options of {@link Vocabulary.build}. */
export interface VocabularyBuildOptions {
  /** Keep tokens seen at least this often. Defaults to 1. */
  minCount?: number;
  /** Keep at most this many tokens (the most frequent; ties by first appearance), besides the specials. Defaults to no limit. */
  maxSize?: number;
  /** Always keep these tokens (e.g. the words that have a pretrained vector), whatever their count. */
  include?: Iterable<string>;
}

/**
 * A token ↔ id table with two special ids: {@link Vocabulary.PAD} = 0 (padding, masked by the encoders)
 * and {@link Vocabulary.UNK} = 1 (any token not in the table). Plain JSON round trip via `tokens`.
 *
 * @example
 * ```ts
 * const vocab = Vocabulary.build(['I know!', 'You know?']);
 * vocab.encode('you know'); // Int32Array [id('you'), id('know')]
 * ```
 */
export class Vocabulary {
  static readonly PAD = 0;
  static readonly UNK = 1;
  static readonly PAD_TOKEN = '<pad>';
  static readonly UNK_TOKEN = '<unk>';

  /** Every token by id; `tokens[0]` is `<pad>`, `tokens[1]` is `<unk>`. */
  readonly tokens: readonly string[];
  private readonly ids: Map<string, number>;

  /** @param tokens - the table, starting with `<pad>` and `<unk>`; tokens must be unique. */
  constructor(tokens: readonly string[]) {
    if (!Array.isArray(tokens) || tokens[0] !== Vocabulary.PAD_TOKEN || tokens[1] !== Vocabulary.UNK_TOKEN) {
      throw new EmojeInputError('vocabulary', `an array of tokens starting with '${Vocabulary.PAD_TOKEN}', '${Vocabulary.UNK_TOKEN}'`, JSON.stringify(Array.isArray(tokens) ? tokens.slice(0, 2) : tokens));
    }
    this.tokens = Object.freeze([...tokens]);
    this.ids = new Map();
    this.tokens.forEach((token, id) => {
      if (typeof token !== 'string' || token.length === 0) {
        throw new EmojeInputError(`vocabulary[${id}]`, 'a non-empty string', JSON.stringify(token));
      }
      if (this.ids.has(token)) throw new EmojeInputError(`vocabulary[${id}]`, 'a token not already in the vocabulary', JSON.stringify(token));
      this.ids.set(token, id);
    });
  }

  /** Counts the tokens of `texts` (with {@link tokenize}) and keeps the frequent ones, most frequent first. */
  static build(texts: Iterable<string>, options: VocabularyBuildOptions = {}): Vocabulary {
    const minCount = options.minCount ?? 1;
    assertInteger('minCount', minCount, 1);
    if (options.maxSize !== undefined) assertInteger('maxSize', options.maxSize, 0);
    const counts = new Map<string, number>();
    for (const text of texts) {
      for (const token of tokenize(text)) counts.set(token, (counts.get(token) ?? 0) + 1);
    }
    const include = new Set(options.include ?? []);
    const ranked = [...counts.entries()]
      .filter(([token, count]) => count >= minCount || include.has(token))
      .sort((a, b) => b[1] - a[1])
      .map(([token]) => token)
      .filter((token) => token !== Vocabulary.PAD_TOKEN && token !== Vocabulary.UNK_TOKEN);
    const kept = options.maxSize === undefined ? ranked : ranked.slice(0, options.maxSize);
    return new Vocabulary([Vocabulary.PAD_TOKEN, Vocabulary.UNK_TOKEN, ...kept]);
  }

  /** Number of ids, specials included. */
  get size(): number {
    return this.tokens.length;
  }

  /** The id of `token`, or {@link Vocabulary.UNK}. */
  id(token: string): number {
    return this.ids.get(token) ?? Vocabulary.UNK;
  }

  /** Whether `token` has an id of its own. */
  has(token: string): boolean {
    return this.ids.has(token);
  }

  /**
   * Tokenizes `text` and maps the tokens to ids, keeping the first `maxTokens` (all when omitted).
   * An empty or all-space text gives an empty array.
   */
  encode(text: string, maxTokens?: number): Int32Array {
    if (maxTokens !== undefined) assertInteger('maxTokens', maxTokens, 1);
    const tokens = tokenize(text);
    const n = maxTokens === undefined ? tokens.length : Math.min(tokens.length, maxTokens);
    const ids = new Int32Array(n);
    for (let i = 0; i < n; i++) ids[i] = this.id(tokens[i]);
    return ids;
  }

  /** The tokens of `ids` (`<pad>` skipped). */
  decode(ids: ArrayLike<number>): string[] {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === Vocabulary.PAD) continue;
      out.push(this.tokens[id] ?? Vocabulary.UNK_TOKEN);
    }
    return out;
  }
}
