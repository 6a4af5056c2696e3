import { EmojeInputError } from '@emoje/core';
import type { DialogueDataset } from '@emoje/datasets';
import { loadMosi } from '@emoje/datasets/node';

/** Names of the datasets the CLI knows, bundled with `@emoje/datasets`. */
export const KNOWN_DATASETS = ['mosi'] as const;

/** Loads a dataset the CLI accepts by name. */
export async function loadNamedDataset(name: string, options: { seed?: number } = {}): Promise<DialogueDataset> {
  switch (name) {
    case 'mosi':
      return loadMosi({ seed: options.seed });
    default:
      throw new EmojeInputError('--dataset', `one of ${KNOWN_DATASETS.join(', ')}`, JSON.stringify(name));
  }
}
