import { EmojeInputError } from './errors';

/**
 * Says what is wrong with a JSON text without quoting it: `not valid JSON (stopped at position 17)`, or
 * `not valid JSON (it ends too early)`. V8's own `SyntaxError` messages quote the start of the text (for
 * `/etc/passwd`: `Unexpected token 'r', "root:x:0:0"... is not valid JSON`), so they must never reach a user
 * who may not be allowed to read the file.
 * @param error - what `JSON.parse` threw.
 * @returns a description that holds no character of the text.
 */
export function describeJsonSyntaxError(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  if (/end of JSON input|Unterminated/i.test(message)) return 'not valid JSON (it ends too early)';
  const position = /position (\d+)/.exec(message);
  return position ? `not valid JSON (stopped at position ${position[1]})` : 'not valid JSON';
}

/**
 * `JSON.parse` whose failure is an {@link EmojeInputError} naming `field` (e.g. `calls.jsonl:4` or the path of a
 * file) and what was wrong, never the text itself.
 * @throws EmojeInputError when `text` is not valid JSON.
 */
export function parseJsonText(text: string, field: string, expected = 'valid JSON'): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new EmojeInputError(field, expected, describeJsonSyntaxError(error));
  }
}

/**
 * Describes a value read from a user's file for an error message by its type and size only: `a string of 11
 * characters`, `an array of length 3`, `an object`, `null`. Numbers and booleans are shown (a limit or a range is
 * about them); strings never are, so a message cannot carry what a file holds.
 */
export function describeFileValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} of ${value.byteLength} bytes`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}
