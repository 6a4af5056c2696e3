import { describe, expect, it } from 'vitest';
import { forwardFlopsPerUtterance, lossFlopsPerBatch, trainingFlopsPerEpoch, type FlopConfig } from './flops';

// Run with: npx vitest run benchmarks/flops.test.ts
const tiny: FlopConfig = {
  modalityDims: [3, 2],
  units: 4,
  acnLayers: 1,
  embeddingDim: 2,
  contextUnits: 4,
  contextLayers: 1,
  maxSpeakers: 2,
  numClasses: 2,
  blocks: { jointEmbedding: true, queryAdaptiveFusion: true, dialogueContext: true },
  lossWeights: { ace: 0.1, joint: 0.1 },
};

describe('FLOP counter', () => {
  it('matches a hand count on a tiny config', () => {
    // Hand count, one utterance in a dialogue of U = 2 (2 x in x out per linear map):
    const encoders = 2 * 3 * 4 + 2 * 2 * 4; // 40
    // ACN: per modality the value and output maps on the other modality (one token each), then its FFN.
    const acn = 2 * (2 * (2 * 4 * 4)) + 2 * (2 * 4 * 8 + 2 * 8 * 4); // 128 + 256 = 384
    const joint = 2 * (2 * 4 * 4 + 2 * 4 * 2) + 2 * 2 * 2 * 2 + 2 * (2 * 2 * 4 + 2 * 4 * 4); // 208
    const qaf = 2 * (2 * 4 * 4) + 2 * 4 * 4 + 2 * (2 * 4 * 1); // 112
    const contextLayer = 4 * (2 * 4 * 4) + 2 * 2 * 4 + 2 * 2 * 4 + 2 * 4 * 8 + 2 * 8 * 4; // 288
    const context = 2 * 8 * 4 + 2 * 2 * 4 + 2 * contextLayer; // fused width 8 -> 4, speakers, 2 branches = 656
    const heads = 2 * 4 * 2 + 2 * (2 * 4 * 2); // 48
    const perUtterance = encoders + acn + joint + qaf + context + heads;
    expect(perUtterance).toBe(1448);
    expect(forwardFlopsPerUtterance(tiny, 2)).toBe(1448);
    // Losses over N = 2 slots: guided NCE 2 (N M)^2 D = 128, joint InfoNCE (1 pair) 2 N^2 E = 16.
    expect(lossFlopsPerBatch(tiny, 2)).toBe(144);
    // One epoch of one 2-utterance dialogue: 3 x (2 x 1448 + 144).
    expect(trainingFlopsPerEpoch(tiny, [2], 1)).toBe(9120);
  });

  it('drops the terms of switched-off blocks and losses', () => {
    const off: FlopConfig = { ...tiny, blocks: { jointEmbedding: false, queryAdaptiveFusion: true, dialogueContext: true }, lossWeights: { ace: 0, joint: 0.1 } };
    expect(forwardFlopsPerUtterance(off, 2)).toBe(1448 - 208);
    expect(lossFlopsPerBatch(off, 2)).toBe(0);
  });
});
