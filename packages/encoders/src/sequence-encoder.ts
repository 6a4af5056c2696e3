import * as tf from '@tensorflow/tfjs-core';
import { BLOCK_CLASS_PREFIX, EmojeInputError, assertShape } from '@emoje/core';
import { checkShape, isShapeList, toFloatMask, unpackInputs, type Kwargs, type LayerArgs, type Shape } from './common';
import { SequenceEncoderBase } from './sequence-base';
import type { TemporalEncoderArgs } from './temporal';

/** Arguments of {@link SequenceEncoder}: the temporal encoder's (see {@link TemporalEncoderArgs}) plus the layer's. */
export interface SequenceEncoderArgs extends TemporalEncoderArgs, LayerArgs {}

const INPUTS = ['x [B, U, S, d]', 'frameMask [B, U, S]'];

/**
 * Encodes a frame sequence per utterance (audio frames, video frames, word vectors) to width D:
 * a linear projection, sinusoidal positional encoding, then a small temporal encoder
 * (masked self-attention or masked temporal convolution, see {@link TemporalEncoderArgs.kind}).
 *
 * Inputs: `[x [B, U, S, d], frameMask [B, U, S]]`, frameMask 1 on real frames.
 * Outputs: `[tokens [B, U, S, units], pooled [B, U, units]]`: the per-frame tokens (zeros at masked
 * frames) for cross-attention, and their masked mean (zeros for an utterance with no frame).
 * Masked frames never influence the outputs at real frames, whatever they hold (NaN too).
 *
 * @example
 * ```ts
 * const x = tf.input({ shape: [null, 50, 35] });
 * const frameMask = tf.input({ shape: [null, 50] });
 * const [tokens, pooled] = sequenceEncoder({ units: 32 }).apply([x, frameMask]) as tf.SymbolicTensor[];
 * tokens.shape; // [null, null, 50, 32]
 * pooled.shape; // [null, null, 32]
 * ```
 */
export class SequenceEncoder extends SequenceEncoderBase {
  static readonly className = `${BLOCK_CLASS_PREFIX}SequenceEncoder`;

  /** @throws EmojeInputError naming the argument at fault. */
  constructor(args: SequenceEncoderArgs) {
    super(args);
  }

  private checkShapes(inputShape: Shape | Shape[]): [Shape, Shape] {
    if (!isShapeList(inputShape)) throw new EmojeInputError('inputs', `an array [${INPUTS.join(', ')}]`, 'one input');
    const [x, mask] = unpackInputs(inputShape, INPUTS) as [Shape, Shape];
    checkShape('x', x, [null, null, null, null], '[B, U, S, d]');
    if (x[3] == null) throw new EmojeInputError('x', 'a known feature width d', 'shape [B, U, S, null]');
    checkShape('frameMask', mask, [x[0], x[1], x[2]], '[B, U, S]');
    this.checkLength('x', x[2]);
    return [x, mask];
  }

  override build(inputShape: Shape | Shape[]): void {
    const [x] = this.checkShapes(inputShape);
    this.buildTemporal(x[3] as number);
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const [x] = this.checkShapes(inputShape);
    return this.outputShapes(x[0], x[1], x[2]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor[] {
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const [x, frameMask] = unpackInputs(inputs, INPUTS);
      const inputDim = this.inputDim();
      assertShape('x', x.shape, [null, null, null, inputDim]);
      assertShape('frameMask', frameMask.shape, x.shape.slice(0, 3));
      return this.encode(x, toFloatMask(frameMask), kwargs.training ?? false);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.temporalConfig() };
  }
}

/** Creates a {@link SequenceEncoder}. @throws EmojeInputError naming the argument at fault. */
export function sequenceEncoder(args: SequenceEncoderArgs): SequenceEncoder {
  return new SequenceEncoder(args);
}

tf.serialization.registerClass(SequenceEncoder);
