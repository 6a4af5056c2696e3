import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError, weightedTotal, withoutTape } from '@emoje/core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { dialogueContext } from '@emoje/dialogue-context';
import { sequenceEncoder, tokenTextEncoder, vectorEncoder, type TokenTextEncoder } from '@emoje/encoders';
import { adaptiveCrossAttention, queryAdaptiveFusion, type AcnAttentionWeights, type AdaptiveCrossAttention } from '@emoje/fusion';
import { jointContrastiveLoss, jointEmbedding, reconstructionLoss, type JointEmbedding } from '@emoje/joint-embedding';
import type { Batch } from './batch';
import type { ResolvedModalityConfig, ResolvedModelConfig } from './config';
import { ClassifierHead, ModalityHeads } from './heads';
import { crossModalInstanceLoss, focalLoss, guidedContrastiveLoss, realUtterances } from './losses';
import { FeatureNormalizer, presentFrames, presentVectors } from './normalizer';
import type { DialogueInput } from './batch';

/** Everything one forward pass produces. All tensors are owned by the caller. */
export interface ForwardOutput {
  /** `[B, U, C]` class scores. */
  logits: tf.Tensor3D;
  /** `[B, U, M]` modality importance weights (QAF's beta; uniform over present modalities without QAF). */
  modalityWeights: tf.Tensor3D;
  /** `[B, U, M]` 1 where a missing modality was imputed by the joint embedding. */
  imputed: tf.Tensor3D;
  /** `[B, U, M, D]` ACN descriptors (zeros where missing). */
  descriptors: tf.Tensor4D;
  /** `[B, U, M, C]` auxiliary per-modality scores. */
  modalityLogits: tf.Tensor4D;
  /** Joint-embedding outputs, when the block is on. */
  embeddings: tf.Tensor4D | null;
  reconstruction: tf.Tensor4D | null;
  /** `[B, U, M]` availability used (input availability times the utterance mask). */
  availability: tf.Tensor3D;
}

/** What {@link EmojeNetwork.infer} produces: the outputs of a prediction. All tensors are owned by the caller. */
export type InferenceOutput = Pick<ForwardOutput, 'logits' | 'modalityWeights' | 'imputed'>;

/** The loss terms of one batch; `total` is what the optimiser minimises. */
export interface LossTerms {
  total: tf.Scalar;
  focal: tf.Scalar;
  ace: tf.Scalar;
  joint: tf.Scalar;
  reconstruction: tf.Scalar;
  auxiliary: tf.Scalar;
}

function createEncoder(mod: ResolvedModalityConfig, units: number, dropout: number, seed: number, numHeads: number): tfl.layers.Layer {
  if (mod.kind === 'vector') return vectorEncoder({ units, dropout, seed, name: `encoder_${mod.name}` });
  if (mod.kind === 'frames') {
    return sequenceEncoder({
      units,
      kind: mod.temporal,
      numLayers: mod.temporalLayers,
      kernelSize: mod.kernelSize,
      numHeads,
      maxLength: mod.maxFrames,
      dropout,
      seed,
      name: `encoder_${mod.name}`,
    });
  }
  return tokenTextEncoder({
    units,
    vocabularySize: mod.vocabulary.length,
    embeddingDim: mod.embeddingDim,
    trainableEmbeddings: mod.trainableEmbeddings,
    // collate checks token ids on the host (validateDialogue), so no read-back from the device per call.
    validateIds: false,
    kind: mod.temporal,
    kernelSize: mod.kernelSize,
    numHeads,
    maxLength: mod.maxTokens,
    pooling: mod.pooling,
    dropout,
    seed,
    name: `encoder_${mod.name}`,
  });
}

/**
 * The AM²-EmoJE network: per-modality encoders -> adaptive cross-attended network ->
 * joint embedding (compensation of missing modalities) -> query-adaptive fusion ->
 * speaker-aware dialogue context -> classifier, with auxiliary per-modality heads.
 * It composes the block layers eagerly, so every intermediate tensor is available to the losses.
 */
export class EmojeNetwork {
  readonly config: ResolvedModelConfig;
  /** Per modality: the feature standardisation of a vector or frame modality (per frame), null for a token modality. */
  private readonly normalizers: (FeatureNormalizer | null)[];
  private readonly encoders: tfl.layers.Layer[];
  /** Per modality: its own dialogue context before the fusion (`blocks.modalityContext`, vector modalities), else null. */
  private readonly modalityContexts: (tfl.layers.Layer | null)[];
  private readonly acn: AdaptiveCrossAttention;
  private readonly joint: JointEmbedding | null;
  private readonly fusion: tfl.layers.Layer | null;
  private readonly context: tfl.layers.Layer | null;
  private readonly head: ClassifierHead;
  private readonly modalityHeads: ModalityHeads;
  private bias: number[] | null = null;
  /** The uploaded {@link bias}, made on first use (see `biasTensor`). */
  private biasValues: tf.Tensor1D | null = null;

  constructor(config: ResolvedModelConfig) {
    this.config = config;
    const { units, dropout, seed, numHeads } = config;
    const m = config.modalities.length;
    this.normalizers = config.modalities.map((mod, k) =>
      mod.kind === 'vector' || mod.kind === 'frames'
        ? new FeatureNormalizer({ dim: mod.dim, noise: config.inputNoise, dropout: config.inputDropout, unitNorm: config.inputUnitNorm, seed: seed * 101 + 20 + k, name: `normalize_${mod.name}` })
        : null,
    );
    this.encoders = config.modalities.map((mod, k) => createEncoder(mod, units, dropout, seed * 101 + k, numHeads));
    this.modalityContexts = config.modalities.map((mod, k) =>
      config.blocks.modalityContext && mod.kind === 'vector'
        ? dialogueContext({ units, numLayers: 1, numHeads, maxSpeakers: config.maxSpeakers, maxUtterances: config.maxUtterances, causal: config.causal, dropout, seed: seed * 101 + 30 + k, name: `context_${mod.name}` })
        : null,
    );
    this.acn = adaptiveCrossAttention({
      numModalities: m,
      units,
      numLayers: config.acnLayers,
      numHeads,
      dropout,
      seed: seed * 101 + 11,
      name: 'acn',
    });
    this.joint = config.blocks.jointEmbedding
      ? jointEmbedding({ numModalities: m, units, embeddingDim: config.embeddingDim, compensation: config.compensation, seed: seed * 101 + 12, name: 'joint_embedding' })
      : null;
    this.fusion = config.blocks.queryAdaptiveFusion
      ? queryAdaptiveFusion({ numModalities: m, units, seed: seed * 101 + 13, name: 'qaf' })
      : null;
    this.context = config.blocks.dialogueContext
      ? dialogueContext({
          units: config.contextUnits,
          numLayers: config.contextLayers,
          numHeads,
          maxSpeakers: config.maxSpeakers,
          maxUtterances: config.maxUtterances,
          causal: config.causal,
          dropout,
          seed: seed * 101 + 14,
          name: 'dialogue_context',
        })
      : null;
    this.head = new ClassifierHead({
      numClasses: config.classes.length,
      hiddenUnits: config.blocks.dialogueContext ? 0 : config.contextUnits,
      dropout,
      seed: seed * 101 + 15,
      name: 'classifier',
    });
    this.modalityHeads = new ModalityHeads({ numModalities: m, numClasses: config.classes.length, seed: seed * 101 + 16, name: 'modality_heads' });
  }

  /** The block layers in a fixed order (the order of the saved weights). */
  get layers(): tfl.layers.Layer[] {
    return [
      ...this.normalizers.filter((n): n is FeatureNormalizer => n !== null),
      ...this.encoders,
      ...this.modalityContexts.filter((c): c is tfl.layers.Layer => c !== null),
      this.acn,
      ...(this.joint ? [this.joint] : []),
      ...(this.fusion ? [this.fusion] : []),
      ...(this.context ? [this.context] : []),
      this.head,
      this.modalityHeads,
    ];
  }

  /** Every weight, in {@link layers} order. Empty until the first forward pass builds the layers. */
  get weights(): tfl.LayerVariable[] {
    return this.layers.flatMap((layer) => layer.weights);
  }

  /** Sets every vector modality's feature standardisation from the present features of `dialogues`. */
  adaptNormalization(dialogues: readonly DialogueInput[]): void {
    this.config.modalities.forEach((mod, k) => this.normalizers[k]?.adapt(mod.kind === 'frames' ? presentFrames(dialogues, mod.name, mod.dim) : presentVectors(dialogues, mod.name)));
  }

  /**
   * Sets the word vectors of a token modality (row `i` = the vector of `vocabulary[i]`), e.g. from GloVe.
   * @throws EmojeInputError naming `modality` when it is not a token modality of the model, or the shape is wrong.
   */
  setWordVectors(modality: string, vectors: Float32Array | tf.Tensor2D): void {
    const k = this.config.modalities.findIndex((m) => m.name === modality);
    if (k < 0 || this.config.modalities[k].kind !== 'tokens') {
      const names = this.config.modalities.filter((m) => m.kind === 'tokens').map((m) => m.name);
      throw new EmojeInputError('modality', `a token modality of the model (${names.join(', ') || 'none'})`, JSON.stringify(modality));
    }
    (this.encoders[k] as TokenTextEncoder).setEmbeddings(vectors);
  }

  /**
   * Per-class offsets added to the logits in inference mode (`forward(batch, false)`: prediction and evaluation),
   * never while training; null when there are none. Fitted on dev by `fitDecisionBias` (`TrainOptions.fitDecisionBias`)
   * and saved with the model.
   */
  get decisionBias(): readonly number[] | null {
    return this.bias;
  }

  /**
   * Sets (or, with null, removes) the {@link decisionBias}.
   * @param field the name errors give the value (a saved model's loader names where it read it).
   * @throws EmojeInputError naming `field` unless it is one finite number per class.
   */
  setDecisionBias(bias: readonly number[] | null, field = 'decisionBias'): void {
    if (bias === null) {
      this.bias = null;
      this.dropBiasTensor();
      return;
    }
    const c = this.config.classes.length;
    if (!Array.isArray(bias) || bias.length !== c || bias.some((b) => typeof b !== 'number' || !Number.isFinite(b))) {
      throw new EmojeInputError(field, `an array of ${c} finite numbers (one per class) or null`, JSON.stringify(bias)?.slice(0, 80) ?? String(bias));
    }
    this.bias = [...bias];
    this.dropBiasTensor();
  }

  private dropBiasTensor(): void {
    this.biasValues?.dispose();
    this.biasValues = null;
  }

  /** The encoders' outputs for the ACN: per modality its tokens, the token masks of the sequence inputs, and the availability. */
  private encode(batch: Batch, training: boolean, reuseAvailability = false): { encoded: tf.Tensor[]; frameMasks: tf.Tensor[]; availability: tf.Tensor3D } {
    const kwargs = { training };
    // Masks are constants of the batch, built off the gradient tape. A batch of `collate` already has availability 0 on
    // its padding (`availabilityMasked`), so the product with the utterance mask would copy it: an inference pass that
    // does not hand `availability` back to its caller reads the batch's own tensor.
    const availability = reuseAvailability && batch.availabilityMasked
      ? batch.availability
      : (withoutTape(() => tf.mul(batch.availability, tf.expandDims(batch.utteranceMask, -1))) as tf.Tensor3D);
    // Each vector modality's column of the availability `[B, U]`, all from one Unpack. The availability depends on no
    // weight, so no gradient ever runs through it.
    let columns: tf.Tensor[] | null = null;
    const presence = (k: number): tf.Tensor => (columns ??= tf.unstack(availability, 2))[k];
    const encoded: tf.Tensor[] = [];
    const frameMasks: tf.Tensor[] = [];
    this.encoders.forEach((encoder, k) => {
      const normalizer = this.normalizers[k];
      const mod = this.config.modalities[k];
      if (mod.kind === 'frames') {
        const frameMask = batch.frameMasks[k]!;
        const [tokens, pooled] = encoder.apply([normalizer!.apply(batch.features[k], kwargs) as tf.Tensor, frameMask], kwargs) as tf.Tensor[];
        if (mod.crossAttention === 'pooled') {
          encoded.push(pooled);
          return;
        }
        encoded.push(tokens);
        frameMasks.push(frameMask);
        return;
      }
      if (normalizer) {
        const present = presence(k);
        const h = encoder.apply([normalizer.apply(batch.features[k], kwargs) as tf.Tensor, present], kwargs) as tf.Tensor;
        // The modality's own context reads only the utterances where it is present (its rows elsewhere stay zero).
        const context = this.modalityContexts[k];
        encoded.push(context ? (context.apply([h, present, batch.speakers], kwargs) as tf.Tensor) : h);
        return;
      }
      const ids = batch.features[k];
      const [tokens, pooled] = encoder.apply(ids, kwargs) as tf.Tensor[];
      if ((this.config.modalities[k] as { crossAttention: string }).crossAttention === 'pooled') {
        encoded.push(pooled);
        return;
      }
      encoded.push(tokens);
      frameMasks.push(withoutTape(() => tf.cast(tf.notEqual(ids, 0), 'float32')));
    });
    return { encoded, frameMasks, availability };
  }

  /**
   * The cross-modal attention of the ACN on a batch, in inference mode: per ACN layer, central (query) modality and
   * source (key) modality, the attention probabilities `[B, U, H, S_query, S_key]` (see `AdaptiveCrossAttention.attentionWeights`
   * in `@emoje/fusion`). With a token modality whose `crossAttention` is `'tokens'` (e.g. MOSI read with
   * `loadMosi({ text: 'tokens' })`), `S` is its token count, so the audio and visual rows say how each spreads its
   * attention over the words: each sums to 1 over the real tokens where both modalities are present, and is 0
   * elsewhere. The caller owns the tensors.
   */
  crossAttentionWeights(batch: Batch): AcnAttentionWeights[] {
    const out: AcnAttentionWeights[] = [];
    tf.tidy(() => {
      const { encoded, frameMasks, availability } = this.encode(batch, false);
      out.push(...this.acn.attentionWeights([...encoded, availability, ...frameMasks]));
      return out.map((a) => a.weights);
    });
    return out;
  }

  /** Runs the network on a batch. */
  forward(batch: Batch, training = false): ForwardOutput {
    return this.run(batch, training, true) as ForwardOutput;
  }

  /**
   * Runs the network on a batch in inference mode and returns only what a prediction reads: the logits (with the
   * {@link decisionBias}), the modality weights and the imputation flags, equal to those of `forward(batch, false)`.
   * It skips what only the losses read (the auxiliary per-modality heads, and the copies of the batch's masks).
   */
  infer(batch: Batch): InferenceOutput {
    return this.run(batch, false, false);
  }

  /** The forward pass; `full` = false leaves out the outputs only the losses read (see {@link infer}). */
  private run(batch: Batch, training: boolean, full: boolean): ForwardOutput | InferenceOutput {
    // tidy walks the returned object and keeps its tensors (null entries are skipped).
    return tf.tidy((): tf.TensorContainer => {
      const kwargs = { training };
      const { encoded, frameMasks, availability } = this.encode(batch, training, !full);
      const descriptors = this.acn.apply([...encoded, availability, ...frameMasks], kwargs) as tf.Tensor4D;

      let fusedInput: tf.Tensor = descriptors;
      let imputed: tf.Tensor3D | null = null;
      let embeddings: tf.Tensor4D | null = null;
      let reconstruction: tf.Tensor4D | null = null;
      if (this.joint) {
        const [z, rec, compensated, imp] = this.joint.apply([descriptors, availability], kwargs) as tf.Tensor[];
        embeddings = z as tf.Tensor4D;
        reconstruction = rec as tf.Tensor4D;
        fusedInput = compensated;
        imputed = imp as tf.Tensor3D;
      }

      // Without the joint embedding nothing is imputed.
      imputed ??= tf.zerosLike(availability);
      let fused: tf.Tensor;
      let modalityWeights: tf.Tensor3D;
      if (this.fusion) {
        const [f, beta] = this.fusion.apply([fusedInput, availability, imputed], kwargs) as tf.Tensor[];
        fused = f;
        modalityWeights = beta as tf.Tensor3D;
      } else {
        const [b, u, m, d] = fusedInput.shape as number[];
        fused = tf.reshape(fusedInput, [b, u, m * d]);
        const flags = imputed;
        modalityWeights = withoutTape(() => {
          const usable = tf.maximum(availability, flags);
          return tf.div(usable, tf.maximum(tf.sum(usable, -1, true), 1));
        }) as tf.Tensor3D;
      }

      const utteranceVectors = this.context
        ? (this.context.apply([fused, batch.utteranceMask, batch.speakers], kwargs) as tf.Tensor)
        : fused;
      const raw = this.head.apply(utteranceVectors, kwargs) as tf.Tensor3D;
      const logits = !training && this.bias ? (tf.add(raw, this.biasTensor()) as tf.Tensor3D) : raw;
      if (!full) return { logits, modalityWeights, imputed } satisfies InferenceOutput as unknown as tf.TensorContainer;
      const modalityLogits = this.modalityHeads.apply(descriptors, kwargs) as tf.Tensor4D;
      const out: ForwardOutput = { logits, modalityWeights, imputed, descriptors, modalityLogits, embeddings, reconstruction, availability };
      return out as unknown as tf.TensorContainer;
    }) as unknown as ForwardOutput | InferenceOutput;
  }

  /** The {@link decisionBias} as a `[C]` tensor, uploaded once per bias and kept until the bias changes or disposal. */
  private biasTensor(): tf.Tensor1D {
    if (!this.biasValues) this.biasValues = tf.keep(tf.tensor1d(this.bias!));
    return this.biasValues;
  }

  /** The design's total loss `L_focal + a*L_ACE + b*L_joint + c*L_rec + d*L_aux` and its terms. */
  losses(out: ForwardOutput, batch: Batch): LossTerms {
    return tf.tidy(() => {
      const w = this.config.lossWeights;
      const gamma = this.config.focalGamma;
      const classWeights = this.config.classWeights;
      const zero = tf.scalar(0);
      const focal = focalLoss(out.logits, batch.labels, gamma, classWeights);
      const ace = w.ace > 0
        ? this.config.aceMode === 'instance'
          ? crossModalInstanceLoss(out.descriptors, out.availability, this.config.aceTemperature, batch.host)
          : guidedContrastiveLoss(out.descriptors, out.availability, batch.labels, this.config.aceTemperature, batch.host)
        : zero;
      // Labels are constants: built off the gradient tape.
      const modalityLabels = withoutTape(() =>
        tf.where(
          tf.greater(out.availability, 0),
          tf.broadcastTo(tf.expandDims(batch.labels, -1), out.availability.shape),
          tf.fill(out.availability.shape, -1, 'int32'),
        ),
      );
      const auxiliary = w.auxiliary > 0 ? focalLoss(out.modalityLogits, modalityLabels, gamma, classWeights) : zero;
      let joint: tf.Scalar = zero;
      let reconstruction: tf.Scalar = zero;
      if (this.joint && out.embeddings && out.reconstruction) {
        if (w.joint > 0) {
          const [z, present] = realUtterances(out.embeddings, out.availability, batch.host.utteranceMask);
          joint = jointContrastiveLoss(z, present, this.joint.temperature());
        }
        if (w.reconstruction > 0) reconstruction = reconstructionLoss(out.reconstruction, out.descriptors, out.availability);
      }
      // The terms left at the constant 0 (weight 0) add nothing; the others are one weighted sum (one tape node).
      const weighted = ([[focal, 1], [ace, w.ace], [joint, w.joint], [reconstruction, w.reconstruction], [auxiliary, w.auxiliary]] as const).filter(
        ([term], i) => i === 0 || term !== zero,
      );
      const total = weightedTotal(weighted.map(([term]) => term), weighted.map(([, weight]) => weight)) as tf.Scalar;
      return { total, focal, ace, joint, reconstruction, auxiliary };
    });
  }

  dispose(): void {
    this.dropBiasTensor();
    for (const layer of this.layers) {
      if (layer.built) layer.dispose();
    }
  }
}

