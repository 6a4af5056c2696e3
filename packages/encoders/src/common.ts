import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  EmojeInputError,
  SeededRandom,
  assertInteger,
  formatShape,
  withoutTape,
  type WeightFactory,
} from '@emoje/core';

/** The standard tfjs-layers constructor arguments (`name`, `trainable`, `inputShape`, ...). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/** A tfjs-layers shape: dimensions, `null` for "any size". */
export type Shape = tfl.Shape;

/** Keyword arguments of `Layer.call`; the encoders read `training` (defaults to false). */
export type Kwargs = { training?: boolean; [key: string]: unknown };

/** The tfjs-layers base class of every encoder. */
export const Layer = tfl.layers.Layer;
export type Layer = tfl.layers.Layer;

/**
 * The weight factory every encoder hands to the `@emoje/core` helpers: weights go through the
 * layer's own `addWeight`, because tfjs-layers does not track the weights of sublayers.
 */
export function layerWeightFactory(layer: tfl.layers.Layer): WeightFactory {
  // addWeight is protected; the factory is the one sanctioned way out of the class.
  const add = (layer as unknown as { addWeight: tfl.layers.Layer['addWeight'] }).addWeight.bind(layer);
  return (name, shape, initializer) => add(name, shape, 'float32', initializer);
}

/** Validates an optional seed and returns the generator for per-call dropout seeds. */
export function seededRandom(seed: number | undefined): SeededRandom {
  if (seed !== undefined) assertInteger('seed', seed, 0, 2147483647);
  return new SeededRandom(seed ?? Math.floor(Math.random() * 2147483647));
}

/** Throws an EmojeInputError naming `field` unless `value` is a dropout rate in [0, 1). */
export function assertRate(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 1) {
    throw new EmojeInputError(field, 'a number in [0, 1)', String(value));
  }
}

/** Throws unless `value` is a boolean. */
export function assertBoolean(field: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw new EmojeInputError(field, 'a boolean', String(value));
}

/** Splits the array form `[a, b]` of a layer input into its parts, naming `fields` in errors. */
export function unpackInputs<T>(inputs: T | T[], fields: string[]): T[] {
  const list = Array.isArray(inputs) ? inputs : [inputs];
  if (list.length !== fields.length) {
    throw new EmojeInputError(
      'inputs',
      `an array [${fields.join(', ')}]`,
      `${list.length} input${list.length === 1 ? '' : 's'}`,
    );
  }
  return list;
}

/** True when a layer's input shape is the array form (a list of shapes). */
export function isShapeList(shape: Shape | Shape[]): shape is Shape[] {
  return Array.isArray(shape[0]);
}

/** Checks the rank of `shape` and that its dimensions equal the known ones of `expected`. */
export function checkShape(field: string, shape: Shape, expected: Array<number | null>, names: string): void {
  const ok =
    shape.length === expected.length &&
    expected.every((d, i) => d == null || shape[i] == null || shape[i] === d);
  if (!ok) {
    throw new EmojeInputError(field, `shape ${names} ${formatShape(expected)}`, `shape ${formatShape(shape)}`);
  }
}

/** A 0/1 mask of any dtype (bool, int, float; NaN counts as 0) as float32 0/1: a constant, built off the gradient tape. */
export function toFloatMask(mask: tf.Tensor): tf.Tensor {
  // A float32 mask is compared as it is (casting it to float32 would only copy it).
  return withoutTape(() => tf.cast(tf.greater(mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32'), 0), 'float32'));
}

/** Returns `args` when it is an object, else throws an EmojeInputError naming `args`. */
export function requireArgs<T>(args: T): T {
  if (args == null || typeof args !== 'object') throw new EmojeInputError('args', 'an object', String(args));
  return args;
}
