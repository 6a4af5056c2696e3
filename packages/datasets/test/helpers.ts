import { readFileSync } from 'node:fs';
import { EmojeInputError } from '@emoje/core';
import { decodeFloat32LE, type MosiIndexFile } from '../src/index';
import { mosiDataDir } from '../src/node';

/** The bundled files, read once per test file. */
export function readRaw(): { bytes: Buffer; features: Float32Array; index: MosiIndexFile } {
  const dir = mosiDataDir();
  const bytes = readFileSync(`${dir}/mosi_features_t100_a73_v100.f32`);
  const index = JSON.parse(readFileSync(`${dir}/mosi_index.json`, 'utf8')) as MosiIndexFile;
  return { bytes, features: decodeFloat32LE(bytes), index };
}

/** Runs `fn` and returns the `field` of the EmojeInputError it throws (fails on any other outcome). */
export function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof EmojeInputError) return error.field;
    throw error;
  }
  throw new Error('expected an EmojeInputError, nothing was thrown');
}

/** Like {@link fieldOf}, returning the whole error. */
export function errorOf(fn: () => unknown): EmojeInputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof EmojeInputError) return error;
    throw error;
  }
  throw new Error('expected an EmojeInputError, nothing was thrown');
}
