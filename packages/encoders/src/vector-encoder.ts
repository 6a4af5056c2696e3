import * as tf from '@tensorflow/tfjs-core';
import {
  ACTIVATIONS,
  BLOCK_CLASS_PREFIX,
  EmojeInputError,
  InitializerSource,
  applyLayerNorm,
  applyLinear,
  assertInteger,
  assertOneOf,
  assertShape,
  createLayerNorm,
  createLinear,
  dropout,
  mulByConstant,
  withoutTape,
  zeroMasked,
  type ActivationName,
  type LayerNormWeights,
  type LinearWeights,
  type SeededRandom,
} from '@emoje/core';
import {
  Layer,
  assertRate,
  checkShape,
  isShapeList,
  layerWeightFactory,
  requireArgs,
  seededRandom,
  toFloatMask,
  type Kwargs,
  type LayerArgs,
  type Shape,
} from './common';

/** Arguments of {@link VectorEncoder}. */
export interface VectorEncoderArgs extends LayerArgs {
  /** Output width D. Required. */
  units: number;
  /** Activation after the layer norm. Defaults to `'gelu'`. */
  activation?: ActivationName;
  /** Dropout rate on the output while training. Defaults to 0.1. */
  dropout?: number;
  /** Seed of the weight initializer and the per-call dropout masks. Defaults to a random seed. */
  seed?: number;
}

/**
 * Encodes one feature vector per utterance (a sentence embedding, utterance-level audio or visual
 * statistics) to width D: Linear -> LayerNorm -> activation -> dropout.
 *
 * Inputs: `x [B, U, d]`, or `[x, mask [B, U]]` with mask 1 on real entries (a present modality
 * of a real utterance). With a mask, masked slots are zeroed at entry whatever they hold (NaN too),
 * and the output is zero there.
 * Output: `[B, U, units]`.
 *
 * @example
 * ```ts
 * const x = tf.input({ shape: [null, 74] });
 * const mask = tf.input({ shape: [null] });
 * const h = vectorEncoder({ units: 32 }).apply([x, mask]) as tf.SymbolicTensor;
 * h.shape; // [null, null, 32]
 * ```
 */
export class VectorEncoder extends Layer {
  static readonly className = `${BLOCK_CLASS_PREFIX}VectorEncoder`;

  readonly units: number;
  readonly activation: ActivationName;
  readonly dropoutRate: number;
  readonly seed: number | undefined;
  private readonly random: SeededRandom;
  private linear: LinearWeights | null = null;
  private norm: LayerNormWeights | null = null;

  /** @throws EmojeInputError naming the argument at fault. */
  constructor(args: VectorEncoderArgs) {
    super(requireArgs(args));
    assertInteger('units', args.units, 1);
    const activation = args.activation ?? 'gelu';
    assertOneOf('activation', activation, ACTIVATIONS);
    const rate = args.dropout ?? 0.1;
    assertRate('dropout', rate);
    this.units = args.units;
    this.activation = activation;
    this.dropoutRate = rate;
    this.seed = args.seed;
    this.random = seededRandom(args.seed);
  }

  private shapes(inputShape: Shape | Shape[]): { x: Shape; mask: Shape | null } {
    if (isShapeList(inputShape)) {
      if (inputShape.length === 1) return { x: inputShape[0], mask: null };
      if (inputShape.length !== 2) {
        throw new EmojeInputError('inputs', 'x [B, U, d] or [x, mask [B, U]]', `${inputShape.length} inputs`);
      }
      return { x: inputShape[0], mask: inputShape[1] };
    }
    return { x: inputShape, mask: null };
  }

  private checkShapes(inputShape: Shape | Shape[]): { x: Shape; mask: Shape | null } {
    const shapes = this.shapes(inputShape);
    checkShape('x', shapes.x, [null, null, null], '[B, U, d]');
    if (shapes.x[2] == null) throw new EmojeInputError('x', 'a known feature width d', 'shape [B, U, null]');
    if (shapes.mask) checkShape('mask', shapes.mask, [shapes.x[0], shapes.x[1]], '[B, U]');
    return shapes;
  }

  override build(inputShape: Shape | Shape[]): void {
    const { x } = this.checkShapes(inputShape);
    const add = layerWeightFactory(this);
    const init = new InitializerSource(this.seed);
    this.linear = createLinear(add, init, 'linear', x[2] as number, this.units);
    this.norm = createLayerNorm(add, init, 'norm', this.units);
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const { x } = this.checkShapes(inputShape);
    return [x[0], x[1], this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const list = Array.isArray(inputs) ? inputs : [inputs];
      if (list.length < 1 || list.length > 2) {
        throw new EmojeInputError('inputs', 'x [B, U, d] or [x, mask [B, U]]', `${list.length} inputs`);
      }
      const [x, rawMask] = list;
      const inputDim = (this.linear as LinearWeights).kernel.shape[0] as number;
      assertShape('x', x.shape, [null, null, inputDim]);
      const mask = rawMask ? toFloatMask(rawMask) : null;
      if (rawMask) assertShape('mask', rawMask.shape, [x.shape[0] as number, x.shape[1] as number]);
      const training = kwargs.training ?? false;
      const clean = mask ? zeroMasked(x, mask) : x;
      const activated = applyLayerNorm(applyLinear(clean, this.linear as LinearWeights), this.norm as LayerNormWeights, undefined, this.activation);
      const out = dropout(activated, this.dropoutRate, training, this.random);
      // `out` is finite (its input was cleaned above), so a product zeroes the masked rows.
      return mask ? mulByConstant(out, withoutTape(() => tf.expandDims(mask, -1))) : out;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      units: this.units,
      activation: this.activation,
      dropout: this.dropoutRate,
    };
    if (this.seed !== undefined) config.seed = this.seed;
    return { ...super.getConfig(), ...config };
  }
}

/** Creates a {@link VectorEncoder}. @throws EmojeInputError naming the argument at fault. */
export function vectorEncoder(args: VectorEncoderArgs): VectorEncoder {
  return new VectorEncoder(args);
}

tf.serialization.registerClass(VectorEncoder);
