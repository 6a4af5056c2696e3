import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { EmojeInputError } from '@emoje/core';
import type { Checkpoint, CheckpointStore } from '@emoje/model';
import { replaceDirAtomic, SIBLING_PATTERN, writeFileDurable, type ReplaceDirOptions } from './atomic';

const META_FILE = 'checkpoint.json';
const WEIGHTS_FILE = 'checkpoint.bin';

/** The files of a checkpoint folder: the JSON state (written last, so its presence marks a complete copy) and the weights. */
export const CHECKPOINT_FILES = [META_FILE, WEIGHTS_FILE] as const;

/** Options of {@link fileCheckpointStore}. */
export interface FileCheckpointStoreOptions {
  /** Passed to `replaceDirAtomic` on every write (tests inject a kill between its renames with `betweenRenames`). */
  replace?: ReplaceDirOptions;
}

/** What {@link FileCheckpointStore.recover} did. */
export interface CheckpointRecovery {
  /** The leftover folder (`<dir>.old-*` or `<dir>.tmp-*`) moved into place as `dir`, when `dir` was missing, incomplete or older. */
  restored?: string;
  /** The epoch of the checkpoint now in `dir` (absent when there is none). */
  epoch?: number;
  /** Leftover folders removed (all named `<dir>.old-<12 hex>` or `<dir>.tmp-<12 hex>`, so made by emoje). */
  removed: string[];
}

/** A {@link CheckpointStore} in a folder, with crash recovery. */
export interface FileCheckpointStore extends CheckpointStore {
  /** The checkpoint folder, absolute. */
  readonly dir: string;
  /**
   * Repairs what a killed write left: moves the newest complete copy among `dir`, `<dir>.old-*` and `<dir>.tmp-*`
   * into place as `dir`, and removes the other leftovers. `read` calls it first, and so does the first `write`.
   */
  recover(): Promise<CheckpointRecovery>;
}

interface StoredMeta {
  meta: Record<string, unknown>;
  weightSpecs: Checkpoint['weightSpecs'];
  /** Length of checkpoint.bin (absent in checkpoints written before recovery existed). */
  weightBytes?: number;
}

/** The epoch of the complete checkpoint in `dir`, or undefined when it is missing or incomplete. */
async function completeEpoch(dir: string): Promise<number | undefined> {
  try {
    const stored = JSON.parse(await readFile(join(dir, META_FILE), 'utf8')) as StoredMeta;
    if (!stored || typeof stored.meta !== 'object' || !Array.isArray(stored.weightSpecs)) return undefined;
    const bin = await stat(join(dir, WEIGHTS_FILE));
    if (!bin.isFile() || (stored.weightBytes !== undefined && bin.size !== stored.weightBytes)) return undefined;
    const epoch = Number(stored.meta.epoch);
    return Number.isFinite(epoch) ? epoch : 0;
  } catch {
    return undefined;
  }
}

/**
 * Training checkpoints in the folder `dir`: `checkpoint.bin` (model, best-model and optimizer weights), then
 * `checkpoint.json` (state, weight specs and the weights' length). Each write fills a temporary sibling folder and
 * swaps it into place, so a crash mid-write leaves the previous checkpoint whole; a kill between the two renames of
 * the swap (no `dir`, two complete copies beside it) is repaired by {@link FileCheckpointStore.recover}, which
 * `read` runs first: the newest complete copy becomes `dir` and the stale `<dir>.old-*` / `<dir>.tmp-*` go.
 *
 * @example
 * const store = fileCheckpointStore('runs/mosi-ckpt');
 * await train(model, splits, { checkpoint: store, resume: true });
 */
export function fileCheckpointStore(dir: string, options: FileCheckpointStoreOptions = {}): FileCheckpointStore {
  const target = resolve(dir);
  let recovered = false;

  async function recover(): Promise<CheckpointRecovery> {
    recovered = true;
    const parent = dirname(target);
    const base = basename(target);
    let names: string[];
    try {
      names = await readdir(parent);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { removed: [] };
      throw error;
    }
    const leftovers = names.filter((n) => n.startsWith(base) && n.length === base.length + 17 && SIBLING_PATTERN.test(n)).map((n) => join(parent, n));
    const current = await completeEpoch(target);
    let best: { path: string; epoch: number } | undefined = current === undefined ? undefined : { path: target, epoch: current };
    for (const path of leftovers) {
      const epoch = await completeEpoch(path);
      if (epoch !== undefined && (best === undefined || epoch > best.epoch)) best = { path, epoch };
    }
    const removed: string[] = [];
    let restored: string | undefined;
    if (best && best.path !== target) {
      const exists = await stat(target).then(
        () => true,
        () => false,
      );
      if (exists) {
        // An incomplete or older dir: set it aside under a leftover name, removed below.
        const aside = `${target}.old-${'0'.repeat(12)}`;
        await rm(aside, { recursive: true, force: true });
        await rename(target, aside);
        leftovers.push(aside);
      }
      await rename(best.path, target);
      restored = best.path;
    }
    for (const path of leftovers) {
      if (path === best?.path) continue;
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    }
    return { restored, epoch: best?.epoch, removed };
  }

  return {
    dir: target,
    recover,
    async write(checkpoint: Checkpoint) {
      if (!recovered) await recover();
      await replaceDirAtomic(
        target,
        async (temp) => {
          await writeFileDurable(join(temp, WEIGHTS_FILE), new Uint8Array(checkpoint.weightData));
          const stored: StoredMeta = { meta: checkpoint.meta, weightSpecs: checkpoint.weightSpecs, weightBytes: checkpoint.weightData.byteLength };
          await writeFileDurable(join(temp, META_FILE), JSON.stringify(stored));
        },
        options.replace,
      );
    },
    async read() {
      await recover();
      try {
        await stat(join(target, META_FILE));
      } catch {
        return null;
      }
      let stored: StoredMeta;
      try {
        stored = JSON.parse(await readFile(join(target, META_FILE), 'utf8')) as StoredMeta;
      } catch {
        // The parser's message quotes the file's first bytes: name the file, never its content.
        throw new EmojeInputError(join(dir, META_FILE), 'a checkpoint written by emoje', 'a file that is not valid JSON');
      }
      const bytes = await readFile(join(target, WEIGHTS_FILE));
      if (stored.weightBytes !== undefined && bytes.byteLength !== stored.weightBytes) {
        throw new EmojeInputError(join(dir, WEIGHTS_FILE), `${stored.weightBytes} bytes`, `${bytes.byteLength} bytes`);
      }
      const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      return { meta: stored.meta, weightSpecs: stored.weightSpecs, weightData };
    },
  };
}
