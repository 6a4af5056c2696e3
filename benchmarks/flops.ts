/**
 * Analytical FLOP count of one training step of the AM²-EmoJE model, from the layer shapes.
 *
 * Conventions: only matrix products are counted (they dominate; layer norms, softmax, GELU and other
 * element-wise ops are left out), a multiply-add is 2 FLOPs, so a linear map `in -> out` is
 * `2 * in * out` per token. Backward costs 2x forward for every matrix product (one product for the
 * input gradient, one for the weight gradient), so a training step is 3x forward.
 *
 * What the network computes per utterance slot (see packages/model/src/network.ts), with M modalities of
 * widths d_m, D = units, P = M(M-1)/2 pairs, H = contextUnits, E = embeddingDim, C = classes:
 * - vector encoders: `d_m -> D` per modality;
 * - ACN, per layer: per modality, the cross-attention update from the other modalities. Every vector
 *   modality is one token per utterance, and attention over a single key token reduces to its value path,
 *   so the network computes (packages/fusion, the stacked path) the value and output projections `D -> D`
 *   once per central modality on the mean of the other present modalities (2 x 2D^2), and no query, key,
 *   QK^T or AV products; then a feed-forward `D -> 2D -> D` per modality (8D^2);
 * - joint embedding: per modality a projection head `D -> D -> E` and a decoder `E -> D -> D`, and the
 *   source-mean product `[M, M] x [M, E]`;
 * - QAF: the candidate score `D -> D` per modality, the query `D -> D`, the score vector `D -> 1` per modality;
 * - dialogue context over U utterances: input projection `D(1+P) -> H`, speaker embedding
 *   `maxSpeakers -> H`, then `contextLayers` encoder layers in each of the global and speaker branches:
 *   Q, K, V, O (4 x 2H^2), QK^T and AV over U keys (2UH each), feed-forward `H -> 2H -> H` (8H^2);
 * - classifier `H -> C` (no hidden layer when the context is on); auxiliary heads `D -> C` per modality.
 * Per batch of N utterance slots, the losses add: guided NCE, a `[NM, D] x [D, NM]` similarity (2(NM)^2 D),
 * and the joint InfoNCE, one `[N, E] x [E, N]` product per modality pair (2 N^2 E each).
 */
export interface FlopConfig {
  modalityDims: readonly number[];
  units: number;
  acnLayers: number;
  embeddingDim: number;
  contextUnits: number;
  contextLayers: number;
  maxSpeakers: number;
  numClasses: number;
  blocks: { jointEmbedding: boolean; queryAdaptiveFusion: boolean; dialogueContext: boolean };
  lossWeights: { ace: number; joint: number };
}

const linear = (inDim: number, outDim: number) => 2 * inDim * outDim;

/** Forward matrix-product FLOPs of one utterance in a dialogue of `utterances` utterances (loss terms excluded). */
export function forwardFlopsPerUtterance(c: FlopConfig, utterances: number): number {
  const m = c.modalityDims.length;
  const d = c.units;
  const pairs = (m * (m - 1)) / 2;
  let flops = c.modalityDims.reduce((n, dim) => n + linear(dim, d), 0);
  // ACN (one token per modality: the value path of each central modality, see above)
  const crossAttention = m > 1 ? 2 * linear(d, d) : 0;
  const feedForward = linear(d, 2 * d) + linear(2 * d, d);
  flops += c.acnLayers * m * (crossAttention + feedForward);
  if (c.blocks.jointEmbedding) {
    flops += m * (linear(d, d) + linear(d, c.embeddingDim)); // projection heads
    flops += 2 * m * m * c.embeddingDim; // source means
    flops += m * (linear(c.embeddingDim, d) + linear(d, d)); // decoders
  }
  const fusedWidth = c.blocks.queryAdaptiveFusion ? d * (1 + pairs) : d * m;
  if (c.blocks.queryAdaptiveFusion) flops += m * linear(d, d) + linear(d, d) + m * linear(d, 1);
  let outWidth = fusedWidth;
  if (c.blocks.dialogueContext) {
    const h = c.contextUnits;
    flops += linear(fusedWidth, h) + linear(c.maxSpeakers, h);
    const layer = 4 * linear(h, h) + 2 * utterances * h + 2 * utterances * h + linear(h, 2 * h) + linear(2 * h, h);
    flops += 2 * c.contextLayers * layer; // global and speaker branches
    outWidth = h;
  } else {
    flops += linear(fusedWidth, c.contextUnits); // the classifier's hidden layer
    outWidth = c.contextUnits;
  }
  flops += linear(outWidth, c.numClasses);
  flops += m * linear(d, c.numClasses);
  return flops;
}

/** Forward FLOPs of the batch-level loss terms for a batch of `slots` utterance slots. */
export function lossFlopsPerBatch(c: FlopConfig, slots: number): number {
  const m = c.modalityDims.length;
  let flops = 0;
  if (c.lossWeights.ace > 0) flops += 2 * (slots * m) ** 2 * c.units;
  if (c.blocks.jointEmbedding && c.lossWeights.joint > 0) flops += ((m * (m - 1)) / 2) * 2 * slots ** 2 * c.embeddingDim;
  return flops;
}

/**
 * Useful training FLOPs (forward + backward = 3x forward) of one epoch over `dialogueLengths`
 * in batches of `batchSize` dialogues: every dialogue at its own length (padding excluded), plus the loss
 * terms at the mean batch size.
 */
export function trainingFlopsPerEpoch(c: FlopConfig, dialogueLengths: readonly number[], batchSize: number): number {
  const perUtterances = dialogueLengths.reduce((n, u) => n + u * forwardFlopsPerUtterance(c, u), 0);
  const batches = Math.ceil(dialogueLengths.length / batchSize);
  const utterances = dialogueLengths.reduce((a, b) => a + b, 0);
  return 3 * (perUtterances + batches * lossFlopsPerBatch(c, utterances / batches));
}

/** The counter's config from a resolved model config. */
export function flopConfig(config: {
  modalities: readonly ({ kind: 'vector'; dim: number } | { kind: 'tokens' } | { kind: 'frames'; dim: number })[];
  classes: readonly string[];
  units: number;
  acnLayers: number;
  embeddingDim: number;
  contextUnits: number;
  contextLayers: number;
  maxSpeakers: number;
  blocks: FlopConfig['blocks'];
  lossWeights: FlopConfig['lossWeights'];
}): FlopConfig {
  return {
    modalityDims: config.modalities.map((m) => {
      if (m.kind !== 'vector') throw new Error('flopConfig: token and frame modalities are not counted (vector modalities only)');
      return m.dim;
    }),
    units: config.units,
    acnLayers: config.acnLayers,
    embeddingDim: config.embeddingDim,
    contextUnits: config.contextUnits,
    contextLayers: config.contextLayers,
    maxSpeakers: config.maxSpeakers,
    numClasses: config.classes.length,
    blocks: config.blocks,
    lossWeights: config.lossWeights,
  };
}
