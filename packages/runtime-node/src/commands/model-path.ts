import { existsSync } from 'node:fs';
import { EmojeInputError, isEmojeInputError } from '@emoje/core';
import type { EmojeEnsemble, EmojeModel } from '@emoje/model';
import { loadModelOrEnsemble } from '../fs-io';

const EXPECTED = 'a saved model or ensemble folder (model.json + weights.bin), or its model.json';

/**
 * Loads the model a command-line flag names, with errors that name the flag (`--model: ... file not found`) rather
 * than the `path` argument of {@link loadModelOrEnsemble}.
 * @throws EmojeInputError naming `flag` when the path does not exist or holds no readable model
 */
export async function loadModelFromFlag(flag: string, path: string): Promise<EmojeModel | EmojeEnsemble> {
  if (!existsSync(path)) throw new EmojeInputError(flag, EXPECTED, `${JSON.stringify(path)}: file not found`);
  try {
    return await loadModelOrEnsemble(path);
  } catch (error) {
    if (!isEmojeInputError(error) || error.field !== 'path') throw error;
    const renamed = new EmojeInputError(flag, error.expected, error.received);
    renamed.message = `${flag}: ${error.message.slice('path: '.length)}`;
    throw renamed;
  }
}
