import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  InitializerSource,
  SeededRandom,
  applyLayerNorm,
  applyLinear,
  applyStreamLinear,
  createLayerNorm,
  createLinear,
  dropout,
  type LayerNormWeights,
  type LinearWeights,
  type WeightFactory,
} from '@emoje/core';

export interface ClassifierHeadArgs {
  numClasses: number;
  /** Width of the hidden layer; 0 = a linear classifier. Defaults to 0. */
  hiddenUnits?: number;
  /** Dropout before each linear map. Defaults to 0.2. */
  dropout?: number;
  seed?: number;
  name?: string;
}

/**
 * The utterance classifier: dropout -> [Linear -> LayerNorm -> GELU -> dropout] -> Linear.
 * Input `[B, U, F]`, output logits `[B, U, C]`.
 */
export class ClassifierHead extends tfl.layers.Layer {
  static className = 'EmojeClassifierHead';
  private readonly numClasses: number;
  private readonly hiddenUnits: number;
  private readonly rate: number;
  private readonly seed?: number;
  private readonly rng: SeededRandom;
  private hidden: LinearWeights | null = null;
  private norm: LayerNormWeights | null = null;
  private logitsWeights: LinearWeights | null = null;

  constructor(args: ClassifierHeadArgs) {
    super({ name: args.name });
    this.numClasses = args.numClasses;
    this.hiddenUnits = args.hiddenUnits ?? 0;
    this.rate = args.dropout ?? 0.2;
    this.seed = args.seed;
    this.rng = new SeededRandom((args.seed ?? 1) + 17);
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const inputDim = shape[shape.length - 1] as number;
    const add: WeightFactory = (n, s, init) => this.addWeight(n, s, 'float32', init);
    const init = new InitializerSource(this.seed);
    let width = inputDim;
    if (this.hiddenUnits > 0) {
      this.hidden = createLinear(add, init, 'hidden', inputDim, this.hiddenUnits);
      this.norm = createLayerNorm(add, init, 'hidden_norm', this.hiddenUnits);
      width = this.hiddenUnits;
    }
    this.logitsWeights = createLinear(add, init, 'logits', width, this.numClasses);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape): tfl.Shape {
    return [...inputShape.slice(0, -1), this.numClasses];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x0 = Array.isArray(inputs) ? inputs[0] : inputs;
      this.invokeCallHook(x0, kwargs);
      const training = (kwargs['training'] as boolean | undefined) ?? false;
      let x = dropout(x0, this.rate, training, this.rng);
      if (this.hidden && this.norm) {
        x = applyLayerNorm(applyLinear(x, this.hidden), this.norm, undefined, 'gelu');
        x = dropout(x, this.rate, training, this.rng);
      }
      return applyLinear(x, this.logitsWeights!);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      numClasses: this.numClasses,
      hiddenUnits: this.hiddenUnits,
      dropout: this.rate,
      ...(this.seed == null ? {} : { seed: this.seed }),
    };
  }
}
tf.serialization.registerClass(ClassifierHead);

export interface ModalityHeadsArgs {
  numModalities: number;
  numClasses: number;
  seed?: number;
  name?: string;
}

/**
 * One linear classifier per modality on the ACN descriptors, for the auxiliary focal
 * losses. Input `c [B, U, M, D]`, output logits `[B, U, M, C]`.
 */
export class ModalityHeads extends tfl.layers.Layer {
  static className = 'EmojeModalityHeads';
  private readonly numModalities: number;
  private readonly numClasses: number;
  private readonly seed?: number;
  private heads: LinearWeights[] = [];

  constructor(args: ModalityHeadsArgs) {
    super({ name: args.name });
    this.numModalities = args.numModalities;
    this.numClasses = args.numClasses;
    this.seed = args.seed;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const dim = shape[shape.length - 1] as number;
    const add: WeightFactory = (n, s, init) => this.addWeight(n, s, 'float32', init);
    const init = new InitializerSource(this.seed);
    this.heads = Array.from({ length: this.numModalities }, (_, m) => createLinear(add, init, `modality${m}`, dim, this.numClasses));
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape): tfl.Shape {
    return [...inputShape.slice(0, -1), this.numClasses];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const c = Array.isArray(inputs) ? inputs[0] : inputs;
      this.invokeCallHook(c, kwargs);
      // Slices, not tf.unstack: tfjs's Unpack gradient breaks when the axis has size 1 (one modality).
      const [b, u, m, d] = c.shape as number[];
      // All modalities' heads as one stacked-stream product ([M, B·U, D] -> [M, B·U, C]).
      const streams = tf.transpose(tf.reshape(c, [b * u, m, d]), [1, 0, 2]);
      const logits = applyStreamLinear(streams, this.heads);
      return tf.reshape(tf.transpose(logits, [1, 0, 2]), [b, u, m, this.numClasses]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      numModalities: this.numModalities,
      numClasses: this.numClasses,
      ...(this.seed == null ? {} : { seed: this.seed }),
    };
  }
}
tf.serialization.registerClass(ModalityHeads);
