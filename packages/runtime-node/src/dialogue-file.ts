import { dirname } from 'node:path';
import { holdOutDialogues, parseDialogueJsonl, validateDataset, type DialogueDataset } from '@emoje/datasets';
import type { ModalityConfig } from '@emoje/model';
import { featurizeManifest } from './manifest';
import { DEFAULT_DATA_FILE_LIMIT, readDataFile, type MediaAccessOptions } from './user-files';

/** Options of {@link loadDialogueJsonl}. */
export interface LoadDialogueJsonlOptions {
  /** When the file has no `dev` dialogues, hold out this share of the training utterances (whole dialogues). Defaults to 0.15. */
  devFraction?: number;
  /** Seed of that hold-out. Defaults to 7. */
  seed?: number;
  /** Most utterances in one dialogue (checked while parsing, naming the line). Defaults to 256, the model's default. */
  maxUtterances?: number;
  /** Confinement and size caps of the media files (see `MediaAccessOptions`): by default inside the file's folder. */
  media?: MediaAccessOptions;
  /** Largest JSON Lines file read, in bytes. Defaults to 256 MiB. */
  maxFileBytes?: number;
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
 * with the extractors of `featurizeManifest`) and, when the file has no dev dialogues, holds some training dialogues
 * out as dev.
 *
 * The file must be a regular file (a FIFO or a device is refused unopened) of at most `maxFileBytes`. Every media
 * path is checked before any is read: inside the file's folder once symlinks are resolved (unless
 * `media.allowOutside`), a regular file, within the cap of its kind. A media file that is absent or unusable leaves
 * that modality missing, with a warning naming the file, line and field (never the file's content); an utterance
 * left with no modality at all stays in the dataset (training skips it and counts it).
 * @throws EmojeInputError naming the file, line and field of the first problem.
 */
export async function loadDialogueJsonl(path: string, options: LoadDialogueJsonlOptions = {}): Promise<LoadedDialogueFile> {
  const text = await readDataFile(path, '--dataset', 'a readable dialogue JSON Lines file', options.maxFileBytes ?? DEFAULT_DATA_FILE_LIMIT);
  const { dataset, media, locations } = parseDialogueJsonl(text, { fileName: path, maxUtterances: options.maxUtterances });
  const warnings: string[] = [];
  if (media.size > 0) {
    const vectorModalities = dataset.modalities.filter((m): m is ModalityConfig & { kind: 'vector' } => m.kind === 'vector');
    const withMedia = [...dataset.train, ...dataset.dev, ...dataset.test].flatMap((d) => d.utterances.filter((u) => media.has(u.id)));
    const manifest = { utterances: withMedia.map((u) => ({ speaker: u.speaker, ...media.get(u.id) })) };
    const featurized = await featurizeManifest(manifest, vectorModalities, {
      baseDir: dirname(path),
      media: options.media,
      locate: (k) => locations.get(withMedia[k].id) ?? withMedia[k].id,
    });
    warnings.push(...featurized.warnings);
    withMedia.forEach((u, k) => {
      for (const [name, value] of Object.entries(featurized.dialogue.utterances[k].features)) {
        if (u.features[name] == null && value != null) u.features[name] = value as Float32Array;
      }
    });
  }
  if (dataset.dev.length === 0 && dataset.train.length > 1) {
    const { kept, heldOut } = holdOutDialogues(dataset.train, { fraction: options.devFraction ?? 0.15, seed: options.seed ?? 7 });
    dataset.train = kept;
    dataset.dev = heldOut;
  }
  validateDataset(dataset);
  return { dataset, warnings };
}
