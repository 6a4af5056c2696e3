import { existsSync } from 'node:fs';
import { EmojeInputError } from '@emoje/core';
import type { DialogueDataset } from '@emoje/datasets';
import { loadMeld, loadMosi } from '@emoje/datasets/node';
import { loadDialogueJsonl } from './dialogue-file';

/** Names of the datasets the CLI knows, bundled with `@emoje/datasets`. Any other value is read as a JSON Lines file. */
export const KNOWN_DATASETS = ['mosi', 'meld'] as const;

/**
 * Loads a dataset the CLI accepts: a bundled one by name (`mosi`, `meld`), or a dialogue JSON Lines file by path.
 * @param warn - receives the warnings of media files that could not be used.
 */
export async function loadNamedDataset(name: string, options: { seed?: number; warn?: (line: string) => void } = {}): Promise<DialogueDataset> {
  switch (name) {
    case 'mosi':
      return loadMosi({ seed: options.seed });
    case 'meld':
      return loadMeld();
    default: {
      if (!existsSync(name)) {
        throw new EmojeInputError('--dataset', `one of ${KNOWN_DATASETS.join(', ')}, or the path of a dialogue JSON Lines file`, `${JSON.stringify(name)}: file not found`);
      }
      const { dataset, warnings } = await loadDialogueJsonl(name);
      for (const line of warnings) options.warn?.(line);
      return dataset;
    }
  }
}
