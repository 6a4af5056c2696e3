import type { ModelConfig, TrainOptions } from '@emoje/model';

/**
 * Hyper-parameters for CMU-MOSI (3 vector modalities, ~1.2k training utterances in 54
 * videos), chosen on the dev split; the benchmark and `emoje train --dataset mosi` use them.
 */
export const MOSI_PRESET: { model: Omit<ModelConfig, 'modalities' | 'classes'>; train: TrainOptions } = {
  model: {
    units: 64,
    acnLayers: 2,
    numHeads: 4,
    embeddingDim: 32,
    contextUnits: 64,
    contextLayers: 1,
    dropout: 0.3,
    inputNoise: 0.1,
    inputDropout: 0.1,
    lossWeights: { ace: 0.1, joint: 0.1, reconstruction: 0.1, auxiliary: 0.1 },
  },
  train: {
    epochs: 18,
    averageLastEpochs: 8,
    batchSize: 4,
    learningRate: 5e-4,
    weightDecay: 2e-4,
    patience: 10,
    modalityDropout: { rate: 0.3, scenarioRate: 0.3 },
  },
};

/** The preset's training options for `epochs` epochs: its averaging window never exceeds the run. */
export function presetTrainOptions(preset: { train: TrainOptions }, epochs: number): TrainOptions {
  return { ...preset.train, epochs, averageLastEpochs: Math.min(preset.train.averageLastEpochs ?? 0, epochs) };
}
