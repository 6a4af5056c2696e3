import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@emoje/core';
import type { DialogueInput, ModelConfig } from '../index';

export const MODALITIES = [
  { name: 'text', kind: 'vector' as const, dim: 6 },
  { name: 'audio', kind: 'vector' as const, dim: 4 },
  { name: 'visual', kind: 'vector' as const, dim: 5 },
];

export const TINY_CONFIG: ModelConfig = {
  modalities: MODALITIES,
  classes: ['negative', 'positive'],
  units: 16,
  acnLayers: 1,
  numHeads: 2,
  embeddingDim: 8,
  contextUnits: 16,
  contextLayers: 1,
  dropout: 0.1,
  seed: 3,
};

/**
 * Dialogues whose label is written in every modality's features (a class-dependent
 * mean plus noise), so a model can fit them; two speakers alternate.
 */
export function syntheticDialogues(count: number, seed = 1, length = 5): DialogueInput[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: count }, (_, i) => ({
    id: `d${i}`,
    utterances: Array.from({ length: length - (i % 3) }, (_, j) => {
      const label = rng.int(2);
      const features: Record<string, Float32Array> = {};
      for (const m of MODALITIES) {
        features[m.name] = Float32Array.from({ length: m.dim }, (_, k) => (label ? 1 : -1) * (k % 2 ? 0.8 : 0.5) + (rng.next() - 0.5));
      }
      return { speaker: j % 2 ? 'B' : 'A', label, features };
    }),
  }));
}

/** A tf.io handler that keeps saved artifacts in memory (save, then load them back). */
export function memoryHandler() {
  let saved: tf.io.ModelArtifacts | null = null;
  return {
    save: async (artifacts: tf.io.ModelArtifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const } };
    },
    load: async () => saved!,
  };
}
