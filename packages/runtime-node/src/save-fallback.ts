import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel, type FileSystemOptions, type SavableModel } from './fs-io';

/** Options of {@link saveModelWithFallback}. */
export interface SaveWithFallbackOptions extends FileSystemOptions {
  /**
   * Folders in which, in this order, a fresh folder `emoje-unsaved-model-<random>` is created to hold the model when
   * the save to `dir` fails. Defaults to `[os.tmpdir(), os.homedir()]`.
   */
  fallbackRoots?: readonly string[];
}

/** Where {@link saveModelWithFallback} saved the model. */
export interface SaveOutcome {
  /** The folder that holds the saved model: `dir`, or the fallback folder. */
  path: string;
  /** Why the save to `dir` failed, when `path` is a fallback. */
  failure?: Error;
}

function reason(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e?.code ?? (e instanceof Error ? e.message : String(error));
}

/**
 * Saves `model` to `dir` (atomically, see `saveModel`); when that fails (a full disk, a folder made read-only during
 * training), saves it instead into a new folder created under the first of `fallbackRoots` that works, so that a long
 * training run is never lost to a failed final write. Nothing that exists is overwritten: the fallback folder is new.
 *
 * @returns where the model is, and the first failure when that is a fallback.
 * @throws Error listing every place tried when the model could be saved nowhere.
 * @example
 * const { path, failure } = await saveModelWithFallback(model, 'models/mosi');
 * if (failure) console.error(`could not save to models/mosi (${failure.message}); saved to ${path}`);
 */
export async function saveModelWithFallback(model: SavableModel, dir: string, options: SaveWithFallbackOptions = {}): Promise<SaveOutcome> {
  const { fallbackRoots = [tmpdir(), homedir()], ...fsOptions } = options;
  let failure: Error;
  try {
    await saveModel(model, dir, fsOptions);
    return { path: dir };
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
  }
  const tried = [`${dir} (${reason(failure)})`];
  for (const root of fallbackRoots) {
    let rescue: string | undefined;
    try {
      rescue = await mkdtemp(join(root, 'emoje-unsaved-model-'));
      const path = join(rescue, 'model');
      await saveModel(model, path, fsOptions);
      return { path, failure };
    } catch (error) {
      tried.push(`${root} (${reason(error)})`);
      if (rescue) await rm(rescue, { recursive: true, force: true }).catch(() => undefined);
    }
  }
  throw new Error(`the trained model could not be saved anywhere: tried ${tried.join(', ')}`);
}
