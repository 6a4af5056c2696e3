import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Checkpoint, CheckpointStore } from '@emoje/model';
import { replaceDirAtomic, writeFileDurable } from './atomic';

const META_FILE = 'checkpoint.json';
const WEIGHTS_FILE = 'checkpoint.bin';

/**
 * Training checkpoints in the folder `dir`: `checkpoint.json` (state and weight specs) and
 * `checkpoint.bin` (model, best-model and optimizer weights). Each write fills a temporary
 * sibling folder and swaps it into place, so a crash mid-write leaves the previous checkpoint whole.
 */
export function fileCheckpointStore(dir: string): CheckpointStore {
  return {
    async write(checkpoint: Checkpoint) {
      await replaceDirAtomic(dir, async (temp) => {
        await writeFileDurable(join(temp, META_FILE), JSON.stringify({ meta: checkpoint.meta, weightSpecs: checkpoint.weightSpecs }));
        await writeFileDurable(join(temp, WEIGHTS_FILE), new Uint8Array(checkpoint.weightData));
      });
    },
    async read() {
      try {
        await stat(join(dir, META_FILE));
      } catch {
        return null;
      }
      const { meta, weightSpecs } = JSON.parse(await readFile(join(dir, META_FILE), 'utf8'));
      const bytes = await readFile(join(dir, WEIGHTS_FILE));
      const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      return { meta, weightSpecs, weightData };
    },
  };
}
