import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError, InitializerSource, type SeededRandom } from '@emoje/core';
import { Layer, layerWeightFactory, requireArgs, seededRandom, type LayerArgs, type Shape } from './common';
import {
  applyTemporalEncoder,
  createTemporalEncoder,
  resolveTemporalArgs,
  type ResolvedTemporalArgs,
  type TemporalEncoderArgs,
  type TemporalEncoderWeights,
} from './temporal';

/**
 * What {@link SequenceEncoder} and {@link TokenTextEncoder} share: the temporal encoder's
 * arguments, weights, forward pass, config and output shapes. Not registered itself.
 */
export abstract class SequenceEncoderBase extends Layer {
  /** The temporal encoder's settings, defaults filled in. */
  readonly temporal: ResolvedTemporalArgs;
  readonly seed: number | undefined;
  protected readonly random: SeededRandom;
  protected readonly initializers: InitializerSource;
  private temporalWeights: TemporalEncoderWeights | null = null;

  constructor(args: TemporalEncoderArgs & LayerArgs) {
    super(requireArgs(args));
    this.temporal = resolveTemporalArgs(args);
    this.seed = args.seed;
    this.random = seededRandom(args.seed);
    this.initializers = new InitializerSource(args.seed);
  }

  /** Output width D. */
  get units(): number {
    return this.temporal.units;
  }

  /** Creates the temporal encoder's weights for `inputDim`-wide frames (call from `build`). */
  protected buildTemporal(inputDim: number): void {
    this.temporalWeights = createTemporalEncoder(layerWeightFactory(this), this.initializers, inputDim, this.temporal);
  }

  /** Width of the frames the projection reads (after `build`). */
  protected inputDim(): number {
    if (!this.temporalWeights) throw new Error(`${this.name} is not built`);
    return this.temporalWeights.projection.kernel.shape[0] as number;
  }

  /** Throws when a sequence is longer than `maxLength`. */
  protected checkLength(field: string, length: number | null | undefined): void {
    if (length != null && length > this.temporal.maxLength) {
      throw new EmojeInputError(field, `at most maxLength = ${this.temporal.maxLength} frames`, `${length} frames`, 'Raise maxLength');
    }
  }

  /** `[tokens [B, U, S, D], pooled [B, U, D]]` for a `[B, U, S, ...]` input. */
  protected outputShapes(b: number | null, u: number | null, s: number | null): Shape[] {
    return [
      [b, u, s, this.units],
      [b, u, this.units],
    ];
  }

  /** Runs the temporal encoder over `x [B, U, S, d]` with a float 0/1 `frameMask [B, U, S]`. */
  protected encode(x: tf.Tensor, frameMask: tf.Tensor, training: boolean): [tf.Tensor, tf.Tensor] {
    if (!this.temporalWeights) throw new Error(`${this.name} is not built`);
    this.checkLength('x', x.shape[2]);
    return applyTemporalEncoder(x, frameMask, this.temporalWeights, this.temporal, training, this.random);
  }

  /** The temporal arguments as config entries (merged by the subclasses' `getConfig`). */
  protected temporalConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { ...this.temporal };
    if (this.seed !== undefined) config.seed = this.seed;
    return config;
  }
}
