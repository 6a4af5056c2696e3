import type * as tfl from '@tensorflow/tfjs-layers';
import { EmojeInputError, assertInteger } from '@emoje/core';

/** The arguments every tfjs layer accepts (`name`, `trainable`, `inputShape`, ...). */
export type BaseLayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/** The keyword arguments of `Layer.call` (`training`, ...). */
export type LayerKwargs = Parameters<tfl.layers.Layer['call']>[1];

/** A shape as tfjs-layers writes it: `null` for an unknown (batch) dimension. */
export type LayerShape = Array<number | null>;

/**
 * The modality pairs `(m, m')` with `m < m'`, in the order the fused vector of
 * {@link QueryAdaptiveFusion} lists their mixtures: `(0,1), (0,2), ..., (1,2), ...`.
 *
 * @param numModalities - M, at least 1.
 * @returns `M(M-1)/2` pairs.
 * @throws EmojeInputError when `numModalities` is not a positive integer.
 */
export function modalityPairs(numModalities: number): Array<[number, number]> {
  assertInteger('numModalities', numModalities, 1);
  const pairs: Array<[number, number]> = [];
  for (let a = 0; a < numModalities; a++) {
    for (let b = a + 1; b < numModalities; b++) pairs.push([a, b]);
  }
  return pairs;
}

/**
 * Width of the fused vector of {@link QueryAdaptiveFusion}: the importance-weighted sum
 * (D) plus one mixture (D) per modality pair, `D * (1 + M(M-1)/2)`.
 *
 * @param numModalities - M, at least 1.
 * @param units - D, at least 1.
 * @throws EmojeInputError when either is not a positive integer.
 */
export function fusedWidth(numModalities: number, units: number): number {
  assertInteger('units', units, 1);
  return units * (1 + modalityPairs(numModalities).length);
}

/** Throws an {@link EmojeInputError} naming `field` unless `value` is null/undefined or an integer >= `min`. */
export function assertOptionalInteger(field: string, value: unknown, min: number): void {
  if (value != null) assertInteger(field, value, min);
}

/** Throws unless `value` is null/undefined or a finite number (a seed). */
export function assertOptionalSeed(field: string, value: unknown): void {
  if (value != null && (typeof value !== 'number' || !Number.isFinite(value))) {
    throw new EmojeInputError(field, 'a finite number or undefined', String(value));
  }
}

/** True when a `build`/`computeOutputShape` argument is a list of shapes rather than one shape. */
export function isShapeList(shape: LayerShape | LayerShape[]): shape is LayerShape[] {
  return Array.isArray(shape) && shape.length > 0 && shape.every((s) => Array.isArray(s));
}
