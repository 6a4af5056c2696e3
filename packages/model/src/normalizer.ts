import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { SeededRandom, dropout, withoutTape } from '@emoje/core';
import type { DialogueInput } from './batch';

export interface FeatureNormalizerArgs {
  /** Feature width. */
  dim: number;
  /** Floor on the standard deviation, so constant features do not blow up. Defaults to 1e-3. */
  minStd?: number;
  /** Standard deviation of Gaussian noise added to the standardised features while training. Defaults to 0. */
  noise?: number;
  /** Dropout on the standardised features while training. Defaults to 0. */
  dropout?: number;
  /**
   * Rescale each standardised vector to norm sqrt(dim), so only its direction counts. Removes a
   * train/test shift in feature magnitude (MOSI's text features: mean norm 3.8 on train, 2.6 on test). Defaults to false.
   */
  unitNorm?: boolean;
  seed?: number;
  name?: string;
}

/**
 * Standardises one modality's features: `(x - mean) / std`, with per-feature mean and
 * std held as non-trainable weights (saved with the model), set by {@link adapt} from
 * training data. Initialised to the identity (mean 0, std 1).
 */
export class FeatureNormalizer extends tfl.layers.Layer {
  static className = 'EmojeFeatureNormalizer';
  private readonly dim: number;
  private readonly minStd: number;
  private readonly noise: number;
  private readonly rate: number;
  private readonly unitNorm: boolean;
  private readonly seed?: number;
  private readonly random: SeededRandom;
  private mean: tfl.LayerVariable | null = null;
  private std: tfl.LayerVariable | null = null;

  constructor(args: FeatureNormalizerArgs) {
    super({ name: args.name });
    this.dim = args.dim;
    this.minStd = args.minStd ?? 1e-3;
    this.noise = args.noise ?? 0;
    this.rate = args.dropout ?? 0;
    this.unitNorm = args.unitNorm ?? false;
    this.seed = args.seed;
    this.random = new SeededRandom((args.seed ?? 1) + 29);
  }

  override build(): void {
    this.mean = this.addWeight('mean', [this.dim], 'float32', tfl.initializers.zeros(), undefined, false);
    this.std = this.addWeight('std', [this.dim], 'float32', tfl.initializers.ones(), undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape): tfl.Shape {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      this.invokeCallHook(x, kwargs);
      // No trainable weight, and the input is data: the output is a constant of the batch, computed off the
      // gradient tape (no gradient reaches the input features).
      return withoutTape(() => {
        let y = tf.div(tf.sub(x, this.mean!.read()), this.std!.read());
        if (this.unitNorm) {
          const norm = tf.sqrt(tf.maximum(tf.sum(tf.square(y), -1, true), 1e-12));
          y = tf.mul(tf.div(y, norm), Math.sqrt(this.dim));
        }
        if (kwargs['training'] === true) {
          if (this.noise > 0) y = tf.add(y, tf.randomNormal(y.shape, 0, this.noise, 'float32', this.random.seed()));
          y = dropout(y, this.rate, true, this.random);
        }
        return y;
      });
    });
  }

  /** Sets mean and std from the given feature vectors (present ones only). */
  adapt(vectors: ArrayLike<number>[]): void {
    if (!this.built) this.build();
    if (vectors.length === 0) return;
    const mean = new Float32Array(this.dim);
    const sq = new Float32Array(this.dim);
    for (const v of vectors) {
      for (let k = 0; k < this.dim; k++) {
        mean[k] += v[k];
        sq[k] += v[k] * v[k];
      }
    }
    const std = new Float32Array(this.dim);
    for (let k = 0; k < this.dim; k++) {
      mean[k] /= vectors.length;
      std[k] = Math.max(Math.sqrt(Math.max(sq[k] / vectors.length - mean[k] * mean[k], 0)), this.minStd);
    }
    const values = [tf.tensor1d(mean), tf.tensor1d(std)];
    this.setWeights(values);
    tf.dispose(values);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dim: this.dim, minStd: this.minStd, noise: this.noise, dropout: this.rate, unitNorm: this.unitNorm, ...(this.seed == null ? {} : { seed: this.seed }) };
  }
}
tf.serialization.registerClass(FeatureNormalizer);

/** Present feature vectors of one modality across dialogues (for {@link FeatureNormalizer.adapt}). */
export function presentVectors(dialogues: readonly DialogueInput[], modality: string): ArrayLike<number>[] {
  const out: ArrayLike<number>[] = [];
  for (const d of dialogues) for (const u of d.utterances) {
    const v = u.features[modality];
    if (v != null && typeof v !== 'string') out.push(v);
  }
  return out;
}

/** Present frames of one frame modality across dialogues: every `dim`-wide frame of every present utterance. */
export function presentFrames(dialogues: readonly DialogueInput[], modality: string, dim: number): ArrayLike<number>[] {
  const out: ArrayLike<number>[] = [];
  for (const v of presentVectors(dialogues, modality)) {
    const flat = v instanceof Float32Array ? v : Float32Array.from(v);
    for (let t = 0; t + dim <= flat.length; t += dim) out.push(flat.subarray(t, t + dim));
  }
  return out;
}
