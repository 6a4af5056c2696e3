import * as tf from '@tensorflow/tfjs-core';

/** A training checkpoint: JSON state plus weights (model, best model, optimizer) in one binary blob. */
export interface Checkpoint {
  meta: Record<string, unknown>;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

/**
 * Where checkpoints go. `write` must be atomic (a crash leaves the previous checkpoint
 * readable); `@emoje/runtime-node` provides a file-system store that writes to a
 * temporary folder and renames it into place.
 */
export interface CheckpointStore {
  write(checkpoint: Checkpoint): Promise<void>;
  read(): Promise<Checkpoint | null>;
}

/** A store in memory (tests, or keeping the last state of a browser session). */
export function memoryCheckpointStore(): CheckpointStore & { writes: number } {
  let last: Checkpoint | null = null;
  return {
    writes: 0,
    async write(checkpoint) {
      last = { meta: structuredClone(checkpoint.meta), weightSpecs: structuredClone(checkpoint.weightSpecs), weightData: checkpoint.weightData.slice(0) };
      this.writes += 1;
    },
    async read() {
      return last;
    },
  };
}

/** Packs named tensors and JSON into a {@link Checkpoint}. */
export async function packCheckpoint(meta: Record<string, unknown>, tensors: { name: string; tensor: tf.Tensor }[]): Promise<Checkpoint> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  return { meta, weightSpecs: specs, weightData: data };
}

/** Unpacks a checkpoint's tensors by name (the caller disposes them). */
export function unpackCheckpoint(checkpoint: Checkpoint): tf.NamedTensorMap {
  return tf.io.decodeWeights(checkpoint.weightData, checkpoint.weightSpecs);
}
