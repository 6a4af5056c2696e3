import type { Tensor } from '@tensorflow/tfjs-core';
import { EmojeInputError, formatShape } from './errors';

/** An expected dimension: a number, or `null` for "any size". */
export type ExpectedDim = number | null;

/**
 * Throws an {@link EmojeInputError} naming `field` unless `shape` matches `expected`
 * (same rank; every non-null expected dimension equal).
 */
export function assertShape(
  field: string,
  shape: ReadonlyArray<number | null>,
  expected: ReadonlyArray<ExpectedDim>,
  hint?: string,
): void {
  const ok =
    shape.length === expected.length &&
    expected.every((d, i) => d == null || shape[i] == null || shape[i] === d);
  if (!ok) {
    throw new EmojeInputError(field, `shape ${formatShape(expected)}`, `shape ${formatShape(shape)}`, hint);
  }
}

/** Like {@link assertShape} for a tensor. */
export function assertTensorShape(
  field: string,
  tensor: Tensor,
  expected: ReadonlyArray<ExpectedDim>,
  hint?: string,
): void {
  assertShape(field, tensor.shape, expected, hint);
}

/** Throws unless `value` is an integer within `[min, max]`. */
export function assertInteger(field: string, value: unknown, min = -Infinity, max = Infinity): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = `${Number.isFinite(min) ? min : '-inf'}..${Number.isFinite(max) ? max : 'inf'}`;
    throw new EmojeInputError(field, `an integer in ${range}`, String(value));
  }
}

/** Throws unless `value` is a finite number within `[min, max]`. */
export function assertNumberInRange(field: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new EmojeInputError(field, `a number in [${min}, ${max}]`, String(value));
  }
}

/** Throws unless `value` is one of `allowed`. */
export function assertOneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): asserts value is T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new EmojeInputError(field, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, JSON.stringify(value));
  }
}
