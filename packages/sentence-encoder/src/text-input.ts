import { EmojeInputError } from '@emoje/core';

/**
 * Longest text embedded, in characters (UTF-16 code units); a longer text is cut to its first `MAX_TEXT_CHARACTERS`
 * characters before tokenizing. USE-lite was trained on sentences and short paragraphs, so the cut loses nothing a
 * dialogue turn carries, and it bounds the tokenizer's time (its search is quadratic in the text's length).
 */
export const MAX_TEXT_CHARACTERS = 2000;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length === 0 ? 'an empty string' : `a blank string of ${value.length} characters`;
  return typeof value;
}

/**
 * Checks every text before any work starts and returns them ready to tokenize: each must be a string with a
 * non-space character; a text longer than `maxCharacters` is cut to that many characters (documented truncation,
 * never an error).
 * @param field - how errors name the list, e.g. `texts` (an error's field is `texts[3]`).
 * @throws EmojeInputError naming the first bad entry, e.g. `texts[3]: expected a non-blank string, received number`.
 */
export function prepareTexts(texts: readonly unknown[], field = 'texts', maxCharacters = MAX_TEXT_CHARACTERS): string[] {
  if (!Array.isArray(texts)) throw new EmojeInputError(field, 'an array of strings', describe(texts));
  return texts.map((text, i) => {
    if (typeof text !== 'string' || text.trim().length === 0) {
      throw new EmojeInputError(`${field}[${i}]`, 'a non-blank string', describe(text));
    }
    if (text.length <= maxCharacters) return text;
    // Never cut between the two halves of a surrogate pair.
    const cut = /[\uDC00-\uDFFF]/.test(text[maxCharacters]) ? maxCharacters - 1 : maxCharacters;
    return text.slice(0, cut);
  });
}
