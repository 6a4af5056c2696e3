import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EmojeInputError } from '@emoje/core';
import { holdOutDialogues, parseDialogueJsonl, validateDataset, type DialogueDataset } from '@emoje/datasets';
import type { ModalityConfig } from '@emoje/model';
import { featurizeManifest } from './manifest';

/** Options of {@link loadDialogueJsonl}. */
export interface LoadDialogueJsonlOptions {
  /** When the file has no `dev` dialogues, hold out this share of the training utterances (whole dialogues). Defaults to 0.15. */
  devFraction?: number;
  /** Seed of that hold-out. Defaults to 7. */
  seed?: number;
}

/** A dataset read from a dialogue JSON Lines file, and the warnings of its media files. */
export interface LoadedDialogueFile {
  dataset: DialogueDataset;
  /** One line per media file that could not be used (that modality is missing for the utterance). */
  warnings: string[];
}

/**
 * Reads a dialogue JSON Lines file (the format of `parseDialogueJsonl` in `@emoje/datasets`), featurizes the media
 * files its utterances refer to (`wav` → `audio`, `keypoints` → `body`, `face` → `face`, paths relative to the file,
 * with the extractors of `featurizeManifest`; a file that is absent or unreadable leaves that modality missing, with
 * a warning) and, when the file has no dev dialogues, holds some training dialogues out as dev.
 * @throws EmojeInputError naming the file, line and field of the first problem.
 */
export async function loadDialogueJsonl(path: string, options: LoadDialogueJsonlOptions = {}): Promise<LoadedDialogueFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new EmojeInputError('--dataset', 'a readable dialogue JSON Lines file', `${path} (${(error as Error).message})`);
  }
  const { dataset, media } = parseDialogueJsonl(text, { fileName: path });
  const warnings: string[] = [];
  if (media.size > 0) {
    const vectorModalities = dataset.modalities.filter((m): m is ModalityConfig & { kind: 'vector' } => m.kind === 'vector');
    for (const dialogue of [...dataset.train, ...dataset.dev, ...dataset.test]) {
      const withMedia = dialogue.utterances.filter((u) => media.has(u.id));
      if (withMedia.length === 0) continue;
      const manifest = { utterances: withMedia.map((u) => ({ speaker: u.speaker, ...media.get(u.id) })) };
      const { dialogue: featurized, warnings: w } = await featurizeManifest(manifest, vectorModalities, { baseDir: dirname(path) });
      warnings.push(...w.map((line) => `${dialogue.id}: ${line.replace(/^manifest\.utterances\[(\d+)\]/, (_, k) => withMedia[Number(k)].id)}`));
      withMedia.forEach((u, k) => {
        for (const [name, value] of Object.entries(featurized.utterances[k].features)) {
          if (u.features[name] == null && value != null) u.features[name] = value as Float32Array;
        }
      });
    }
  }
  if (dataset.dev.length === 0 && dataset.train.length > 1) {
    const { kept, heldOut } = holdOutDialogues(dataset.train, { fraction: options.devFraction ?? 0.15, seed: options.seed ?? 7 });
    dataset.train = kept;
    dataset.dev = heldOut;
  }
  validateDataset(dataset);
  return { dataset, warnings };
}
