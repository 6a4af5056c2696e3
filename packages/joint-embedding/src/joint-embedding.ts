import * as tf from '@tensorflow/tfjs-core';
import { layers, type LayerVariable, type Shape } from '@tensorflow/tfjs-layers';
import {
  BLOCK_CLASS_PREFIX,
  EmojeInputError,
  InitializerSource,
  applyLinear,
  assertInteger,
  assertNumberInRange,
  assertOneOf,
  assertShape,
  assertTensorShape,
  formatShape,
  createLinear,
  addSameShape,
  divByConstant,
  mulByConstant,
  sumOfOthers,
  withoutTape,
  zeroMasked,
  type LinearWeights,
  type WeightFactory,
} from '@emoje/core';
import { applyStreamHead, createHead, l2Normalize, type HeadWeights } from './heads';
import { RECONSTRUCT_FROM, binaryAvailability, type ReconstructFrom } from './sources';

type LayerArgs = NonNullable<ConstructorParameters<typeof layers.Layer>[0]>;
type Kwargs = Record<string, unknown>;

/** Constructor arguments of {@link JointEmbedding}. */
export interface JointEmbeddingArgs extends LayerArgs {
  /** Number of modalities M (at least 1). Required. */
  numModalities: number;
  /** Descriptor width D of `c`. Defaults to the last dimension of `c`, read when the layer is built. */
  units?: number | null;
  /** Width E of the joint embedding space. Defaults to 64. */
  embeddingDim?: number;
  /** Hidden width of the projection heads and decoders. Defaults to D. */
  hiddenDim?: number | null;
  /** Initial contrastive temperature; the weight `log_temperature` starts at its log. Defaults to 0.07. */
  temperatureInit?: number;
  /** Lower clamp of {@link JointEmbedding.temperature}. Defaults to 0.01. */
  minTemperature?: number;
  /** Upper clamp of {@link JointEmbedding.temperature}. Defaults to 1.0. */
  maxTemperature?: number;
  /**
   * What a modality's reconstruction is decoded from: `'others'` (the mean embedding of the other
   * present modalities, leave-one-out) or `'all'` (of every present modality). Defaults to `'others'`.
   */
  reconstructFrom?: ReconstructFrom;
  /**
   * How a missing modality is rebuilt from the mean `z̄` of its sources' embeddings (see {@link Compensation}):
   * - `'decoder'` (the design's): a decoder per target modality, `ĉ_m = R_m(z̄)`, a two-layer head `E -> hidden -> D`;
   * - `'substitute'` (the simpler reading of the paper's abstract): the aligned embedding of the present modalities
   *   itself stands in for the missing one, projected back to the descriptor width by one linear map shared by every
   *   modality, `ĉ_m = B z̄`; nothing is specific to the target modality.
   * Both are trained by `reconstructionLoss` and by the task loss through the compensated descriptors. Defaults to `'decoder'`.
   */
  compensation?: CompensationMode;
  /** Seed of the weight initializers, for reproducible layers. Defaults to unseeded. */
  seed?: number | null;
}

/** The values of {@link JointEmbeddingArgs.compensation}. */
export type CompensationMode = 'decoder' | 'substitute';

/** The values {@link JointEmbeddingArgs.compensation} accepts, for validation. */
export const COMPENSATION_MODES: readonly CompensationMode[] = ['decoder', 'substitute'];

/** The eager result of {@link JointEmbedding.compensate}. */
export interface Compensation {
  /** `[B, U, M, D]`: `c` where present, the reconstruction where missing and rebuildable, else 0. */
  descriptors: tf.Tensor;
  /** `[B, U, M]`: 1 exactly where `descriptors` was filled from the reconstruction. */
  imputed: tf.Tensor;
}

function assertPositive(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new EmojeInputError(field, 'a positive finite number', String(value));
  }
}

/**
 * Joint-embedding block of AM²-EmoJE: projects each modality's descriptor into a shared unit-norm
 * space (trained with {@link jointContrastiveLoss}), and rebuilds every modality from the embeddings
 * of the present ones (trained with {@link reconstructionLoss}) to compensate missing modalities.
 *
 * Inputs `[c [B,U,M,D], availability [B,U,M]]` (availability is 0 on padded utterances).
 * Outputs `[z, reconstruction, compensated, imputed]`:
 * - `z [B,U,M,E]` = l2-normalise(P_m(c_m)), exactly 0 where m is missing;
 * - `reconstruction [B,U,M,D]` = R_m(mean of the source modalities' z) (sources: the other present
 *   modalities for `'others'`, every present one for `'all'`), 0 where m has no source; with
 *   `compensation: 'substitute'` one shared linear map B replaces the decoders R_m;
 * - `compensated [B,U,M,D]` = c where present, the reconstruction where missing and rebuildable, else 0;
 * - `imputed [B,U,M]` = 1 exactly where `compensated` came from the reconstruction.
 *
 * Missing slots and padded utterances may hold anything (NaN included): they are zeroed at entry.
 *
 * @example
 * ```ts
 * const layer = jointEmbedding({ numModalities: 3, embeddingDim: 16 });
 * const [z, rec, comp, imputed] = layer.apply([c, availability]) as tf.Tensor[];
 * // c [2, 5, 3, 32] -> z [2, 5, 3, 16], rec [2, 5, 3, 32], comp [2, 5, 3, 32], imputed [2, 5, 3]
 * ```
 */
export class JointEmbedding extends layers.Layer {
  /** @nocollapse */
  static className = `${BLOCK_CLASS_PREFIX}JointEmbedding`;

  readonly numModalities: number;
  /** D; `null` until the layer is built when not given. */
  units: number | null;
  readonly embeddingDim: number;
  /** Hidden width; `null` (meaning D) until the layer is built when not given. */
  hiddenDim: number | null;
  readonly temperatureInit: number;
  readonly minTemperature: number;
  readonly maxTemperature: number;
  readonly reconstructFrom: ReconstructFrom;
  readonly compensation: CompensationMode;
  readonly seed: number | null;

  private projections: HeadWeights[] = [];
  private decoders: HeadWeights[] = [];
  /** The shared back-projection `B [E, D]` of `compensation: 'substitute'` (null for `'decoder'`). */
  private backProjection: LinearWeights | null = null;
  private logTemperature: LayerVariable | null = null;

  /**
   * @throws {EmojeInputError} naming the argument when one is missing or out of range.
   */
  constructor(args: JointEmbeddingArgs) {
    if (args == null || typeof args !== 'object') {
      throw new EmojeInputError('args', 'an object with numModalities', String(args));
    }
    super(args);
    assertInteger('numModalities', args.numModalities, 1);
    if (args.units != null) assertInteger('units', args.units, 1);
    const embeddingDim = args.embeddingDim ?? 64;
    assertInteger('embeddingDim', embeddingDim, 1);
    if (args.hiddenDim != null) assertInteger('hiddenDim', args.hiddenDim, 1);
    const minTemperature = args.minTemperature ?? 0.01;
    assertPositive('minTemperature', minTemperature);
    const maxTemperature = args.maxTemperature ?? 1.0;
    assertNumberInRange('maxTemperature', maxTemperature, minTemperature, Number.MAX_VALUE);
    const temperatureInit = args.temperatureInit ?? 0.07;
    assertNumberInRange('temperatureInit', temperatureInit, minTemperature, maxTemperature);
    const reconstructFrom = args.reconstructFrom ?? 'others';
    assertOneOf('reconstructFrom', reconstructFrom, RECONSTRUCT_FROM);
    const compensation = args.compensation ?? 'decoder';
    assertOneOf('compensation', compensation, COMPENSATION_MODES);
    if (args.seed != null) assertInteger('seed', args.seed, 0);

    this.numModalities = args.numModalities;
    this.units = args.units ?? null;
    this.embeddingDim = embeddingDim;
    this.hiddenDim = args.hiddenDim ?? null;
    this.temperatureInit = temperatureInit;
    this.minTemperature = minTemperature;
    this.maxTemperature = maxTemperature;
    this.reconstructFrom = reconstructFrom;
    this.compensation = compensation;
    this.seed = args.seed ?? null;
    // No inputSpec: tfjs would reject a wrong rank with a ValueError before build, and the
    // shape checks below give an EmojeInputError naming `c` or `availability` instead.
    this.supportsMasking = false;
  }

  /** Splits and validates `[cShape, availabilityShape]`. */
  private inputShapes(inputShape: Shape | Shape[]): [Shape, Shape] {
    if (!Array.isArray(inputShape) || inputShape.length !== 2 || !inputShape.every((s) => Array.isArray(s))) {
      throw new EmojeInputError(
        'inputs',
        'an array [c [B, U, M, D], availability [B, U, M]]',
        Array.isArray(inputShape) && !Array.isArray(inputShape[0])
          ? `one input of shape ${formatShape(inputShape as Shape)}`
          : `${Array.isArray(inputShape) ? inputShape.length : 0} inputs`,
      );
    }
    const [cShape, aShape] = inputShape as Shape[];
    const m = this.numModalities;
    assertShape('c', cShape, [null, null, m, this.units], 'c is [B, U, M, D]');
    assertShape('availability', aShape, [cShape[0], cShape[1], m], 'availability is [B, U, M], matching c');
    if (cShape[3] == null) {
      throw new EmojeInputError('c', 'a known last dimension D', `shape ${formatShape(cShape)}`);
    }
    return [cShape, aShape];
  }

  override build(inputShape: Shape | Shape[]): void {
    const [cShape] = this.inputShapes(inputShape);
    const d = cShape[3] as number;
    this.units = d;
    const hidden = this.hiddenDim ?? d;
    this.hiddenDim = hidden;
    const init = new InitializerSource(this.seed ?? undefined);
    const add: WeightFactory = (name, shape, initializer) => this.addWeight(name, shape, 'float32', initializer);
    this.projections = [];
    this.decoders = [];
    for (let m = 0; m < this.numModalities; m++) {
      this.projections.push(createHead(add, init, `projection_${m}`, d, hidden, this.embeddingDim));
    }
    this.backProjection = null;
    if (this.compensation === 'decoder') {
      for (let m = 0; m < this.numModalities; m++) {
        this.decoders.push(createHead(add, init, `decoder_${m}`, this.embeddingDim, hidden, d));
      }
    } else {
      this.backProjection = createLinear(add, init, 'back_projection', this.embeddingDim, d);
    }
    this.logTemperature = add('log_temperature', [], init.constant(Math.log(this.temperatureInit)));
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const [cShape] = this.inputShapes(inputShape);
    const [b, u, m, d] = cShape;
    return [
      [b, u, m, this.embeddingDim],
      [b, u, m, d],
      [b, u, m, d],
      [b, u, m],
    ];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor[] {
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      if (!Array.isArray(inputs)) {
        this.inputShapes(inputs.shape);
      }
      const [c, availability] = inputs as tf.Tensor[];
      this.inputShapes([c.shape, availability.shape]);
      return this.forward(c, availability);
    });
  }

  /**
   * Works on the modalities as stacked streams `[M, N, ·]` (N = B·U), so each head runs as one op
   * for all modalities; the source sums are the sum over present modalities minus the target's own
   * (for `'others'`), the same as weighting by {@link sourceWeights}.
   */
  private forward(c: tf.Tensor, availability: tf.Tensor): tf.Tensor[] {
    const [b, u, m, d] = c.shape;
    const n = b * u;
    const e = this.embeddingDim;
    const toStreams = (x: tf.Tensor, width: number) => tf.transpose(tf.reshape(x, [n, m, width]), [1, 0, 2]);
    const fromStreams = (x: tf.Tensor, width: number) => tf.reshape(tf.transpose(x, [1, 0, 2]), [b, u, m, width]);
    const binary = binaryAvailability(availability);
    const present = withoutTape(() => toStreams(binary, 1));
    const clean = toStreams(zeroMasked(c, binary), d);

    // Unit vectors where present, exactly 0 elsewhere (the inputs are finite after zeroMasked).
    const z = mulByConstant(l2Normalize(applyStreamHead(clean, this.projections)), present);
    const leaveOneOut = this.reconstructFrom === 'others';
    // The counts and flags are constants of the availability, built off the gradient tape.
    const counts = withoutTape(() => {
      const presentCount = tf.sum(present, 0, true);
      return leaveOneOut ? tf.sub(presentCount, present) : tf.add(tf.zeros([m, 1, 1]), presentCount);
    });
    const sums = leaveOneOut ? sumOfOthers(z, 0) : tf.add(tf.zeros([m, 1, 1]), tf.sum(z, 0, true));
    const sourceMean = divByConstant(sums, withoutTape(() => tf.maximum(counts, 1)));
    const hasSource = withoutTape(() => tf.cast(tf.greater(counts, 0), 'float32'));

    const decoded = this.backProjection ? applyLinear(sourceMean, this.backProjection) : applyStreamHead(sourceMean, this.decoders);
    const reconstruction = mulByConstant(decoded, hasSource);
    const imputed = withoutTape(() => tf.mul(tf.sub(1, present), hasSource));
    const compensated = addSameShape(clean, mulByConstant(reconstruction, imputed));
    // The flags are constants: put back as [B, U, M] off the tape, in one transpose and one reshape.
    const imputedFlags = withoutTape(() => tf.reshape(tf.transpose(imputed, [1, 0, 2]), [b, u, m]));
    return [fromStreams(z, e), fromStreams(reconstruction, d), fromStreams(compensated, d), imputedFlags];
  }

  /**
   * The contrastive temperature `exp(log_temperature)` clamped to `[minTemperature, maxTemperature]`,
   * differentiable with respect to `log_temperature` inside the clamp. The caller owns the scalar.
   * @throws {Error} when the layer is not built yet (apply it once first).
   */
  temperature(): tf.Scalar {
    const logTemperature = this.logTemperature;
    if (logTemperature == null) {
      throw new Error(`${this.name}: temperature() needs a built layer; apply it to inputs first`);
    }
    return tf.tidy(() => tf.clipByValue(tf.exp(logTemperature.read()), this.minTemperature, this.maxTemperature) as tf.Scalar);
  }

  /**
   * Eager convenience: the compensated descriptors and imputed flags for `c [B,U,M,D]` and
   * `availability [B,U,M]` (the last two outputs of the layer), ready for QAF's
   * `[c, availability, imputed]` input. The caller owns both tensors; the inputs are not disposed.
   * @throws {EmojeInputError} naming `c` or `availability` when a shape does not fit.
   */
  compensate(c: tf.Tensor, availability: tf.Tensor): Compensation {
    return tf.tidy(() => {
      const outputs = this.apply([c, availability]) as tf.Tensor[];
      return { descriptors: outputs[2], imputed: outputs[3] };
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      numModalities: this.numModalities,
      units: this.units,
      embeddingDim: this.embeddingDim,
      hiddenDim: this.hiddenDim,
      temperatureInit: this.temperatureInit,
      minTemperature: this.minTemperature,
      maxTemperature: this.maxTemperature,
      reconstructFrom: this.reconstructFrom,
      compensation: this.compensation,
      seed: this.seed,
    };
  }
}

tf.serialization.registerClass(JointEmbedding);

/**
 * Creates a {@link JointEmbedding} layer (the tfjs-style lowercase factory).
 * @throws {EmojeInputError} naming the argument when one is missing or out of range.
 */
export function jointEmbedding(args: JointEmbeddingArgs): JointEmbedding {
  return new JointEmbedding(args);
}
