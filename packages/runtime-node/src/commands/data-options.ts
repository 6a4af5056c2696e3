import { InvalidArgumentError, type Command } from 'commander';
import { MEDIA_KINDS, type MediaAccessOptions, type MediaKind } from '../user-files';
import { parseInteger } from './options';

/** The options {@link addDataOptions} adds, as commander parses them. */
export interface DataCommandOptions {
  allowMediaOutside?: boolean;
  maxMediaMb?: Partial<Record<MediaKind, number>>;
  maxUtterances?: number;
}

/** Parses `wav=512,face=128` (MiB per media kind) for `--max-media-mb`. */
export function parseMediaCaps(value: string): Partial<Record<MediaKind, number>> {
  const caps: Partial<Record<MediaKind, number>> = {};
  for (const part of value.split(',')) {
    const [kind, mb] = part.split('=').map((s) => s.trim());
    const n = Number(mb);
    if (!MEDIA_KINDS.includes(kind as MediaKind) || !Number.isFinite(n) || n <= 0) {
      throw new InvalidArgumentError(`--max-media-mb takes kind=MiB pairs with kind one of ${MEDIA_KINDS.join(', ')} and MiB > 0, e.g. wav=512,face=128`);
    }
    caps[kind as MediaKind] = Math.round(n * 1024 * 1024);
  }
  return caps;
}

/**
 * Adds the options of commands that read data files: `--allow-media-outside`, `--max-media-mb kind=MiB,...` and,
 * with `maxUtterances`, `--max-utterances <n>`.
 */
export function addDataOptions(command: Command, { maxUtterances = true }: { maxUtterances?: boolean } = {}): Command {
  command
    .option('--allow-media-outside', "read media files (wav, keypoints, face) wherever their paths point; by default they must lie in the data file's folder", false)
    .option('--max-media-mb <caps>', 'raise the size caps of media files, in MiB per kind (defaults wav=256,keypoints=64,face=64)', parseMediaCaps);
  if (maxUtterances) command.option('--max-utterances <n>', 'longest dialogue accepted (default 256)', parseInteger('--max-utterances', 1));
  return command;
}

/** The media access options of the parsed flags. */
export function mediaOptions(options: DataCommandOptions): MediaAccessOptions {
  return { allowOutside: options.allowMediaOutside ?? false, maxBytes: options.maxMediaMb };
}
