/**
 * Errors thrown by emoje for bad input or configuration. Each names the field at
 * fault and what was expected, so a user can fix the call without reading tfjs internals.
 */
export class EmojeInputError extends Error {
  /** The argument or field at fault, e.g. `availability` or `modalities.audio`. */
  readonly field: string;
  /** What was expected there, e.g. `shape [B, U, 3]`. */
  readonly expected: string;
  /** What was received, as text. */
  readonly received: string;

  constructor(field: string, expected: string, received: string, hint?: string) {
    super(`${field}: expected ${expected}, received ${received}${hint ? `. ${hint}` : ''}`);
    this.name = 'EmojeInputError';
    this.field = field;
    this.expected = expected;
    this.received = received;
    Object.setPrototypeOf(this, EmojeInputError.prototype);
  }
}

/** Type guard for {@link EmojeInputError}. */
export function isEmojeInputError(value: unknown): value is EmojeInputError {
  return value instanceof EmojeInputError;
}

/** Writes a shape the way error messages show it: `[2, 5, null]`. */
export function formatShape(shape: ReadonlyArray<number | null | undefined>): string {
  return `[${shape.map((d) => (d == null ? 'null' : String(d))).join(', ')}]`;
}
