import { existsSync } from 'node:fs';
import { EmojeInputError } from '@emoje/core';
import type { DialogueDataset } from '@emoje/datasets';
import { loadMeld, loadMosi } from '@emoje/datasets/node';
import { loadDialogueJsonl } from './dialogue-file';
import type { MediaAccessOptions } from './user-files';

/** Names of the datasets the CLI knows, bundled with `@emoje/datasets`. Any other value is read as a JSON Lines file. */
export const KNOWN_DATASETS = ['mosi', 'meld'] as const;

/** Options of {@link loadNamedDataset}. */
export interface LoadNamedDatasetOptions {
  /** Seed of MOSI's dev split and of a JSON Lines file's dev hold-out. */
  seed?: number;
  /** Receives the warnings of media files that could not be used. */
  warn?: (line: string) => void;
  /** Most utterances per dialogue of a JSON Lines file (default 256). */
  maxUtterances?: number;
  /** Confinement and size caps of a JSON Lines file's media files. */
  media?: MediaAccessOptions;
}

/**
 * Loads a dataset the CLI accepts: a bundled one by name (`mosi`, `meld`), or a dialogue JSON Lines file by path
 * (see `loadDialogueJsonl`).
 */
export async function loadNamedDataset(name: string, options: LoadNamedDatasetOptions = {}): Promise<DialogueDataset> {
  switch (name) {
    case 'mosi':
      return loadMosi({ seed: options.seed });
    case 'meld':
      return loadMeld();
    default: {
      if (!existsSync(name)) {
        throw new EmojeInputError('--dataset', `one of ${KNOWN_DATASETS.join(', ')}, or the path of a dialogue JSON Lines file`, `${JSON.stringify(name)}: file not found`);
      }
      const { dataset, warnings } = await loadDialogueJsonl(name, { maxUtterances: options.maxUtterances, media: options.media });
      for (const line of warnings) options.warn?.(line);
      return dataset;
    }
  }
}
