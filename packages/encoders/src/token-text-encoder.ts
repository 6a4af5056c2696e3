import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { BLOCK_CLASS_PREFIX, EmojeInputError, assertInteger, formatShape } from '@emoje/core';
import { assertBoolean, checkShape, type Kwargs, type LayerArgs, type Shape } from './common';
import { assertIdsInRange, embeddingLookup } from './embedding';
import { SequenceEncoderBase } from './sequence-base';
import type { TemporalEncoderArgs } from './temporal';

/** Arguments of {@link TokenTextEncoder}: the embedding's, the temporal encoder's and the layer's. */
export interface TokenTextEncoderArgs extends TemporalEncoderArgs, LayerArgs {
  /** Number of token ids V; ids lie in `[0, V)`. Required. */
  vocabularySize: number;
  /** Width E of the embedding table `[V, E]` (e.g. 300 for GloVe vectors). Required. */
  embeddingDim: number;
  /** The padding id: frames holding it are masked. Must lie in `[0, V)`. Defaults to 0. */
  padId?: number;
  /** Whether training updates the embedding table (false: frozen pretrained vectors). Defaults to true. */
  trainableEmbeddings?: boolean;
  /**
   * Check on every call that the ids lie in `[0, vocabularySize)` (one small read-back from the backend). Turn it off
   * only when the ids are already checked on the host, as the model package does: the read-back is a synchronous GPU
   * download, which WebGPU in some headless browsers cannot do. Defaults to true.
   */
  validateIds?: boolean;
}

/**
 * Encodes text given as token ids to width D: an embedding table `[vocabularySize, embeddingDim]`
 * (initialisable from pretrained word vectors with {@link TokenTextEncoder.setEmbeddings}, frozen or
 * fine-tuned), then the same temporal encoder as {@link SequenceEncoder}.
 *
 * Input: `tokenIds [B, U, S]` (int32 or float holding integers), `padId` on padding.
 * Outputs: `[tokens [B, U, S, units], pooled [B, U, units]]`, zeros at padding tokens; the pooled
 * vector is the mean over real tokens (zeros for an utterance with no token).
 *
 * @example
 * ```ts
 * const ids = tf.input({ shape: [null, 40], dtype: 'int32' });
 * const [tokens, pooled] = tokenTextEncoder({ units: 32, vocabularySize: 5000, embeddingDim: 50 })
 *   .apply(ids) as tf.SymbolicTensor[];
 * tokens.shape; // [null, null, 40, 32]
 * ```
 */
export class TokenTextEncoder extends SequenceEncoderBase {
  static readonly className = `${BLOCK_CLASS_PREFIX}TokenTextEncoder`;

  readonly vocabularySize: number;
  readonly embeddingDim: number;
  readonly padId: number;
  readonly trainableEmbeddings: boolean;
  readonly validateIds: boolean;
  private embeddings: LayerVariable | null = null;
  private pendingEmbeddings: tf.Tensor2D | null = null;

  /** @throws EmojeInputError naming the argument at fault. */
  constructor(args: TokenTextEncoderArgs) {
    super(args);
    assertInteger('vocabularySize', args.vocabularySize, 1);
    assertInteger('embeddingDim', args.embeddingDim, 1);
    const padId = args.padId ?? 0;
    assertInteger('padId', padId, 0, args.vocabularySize - 1);
    const trainableEmbeddings = args.trainableEmbeddings ?? true;
    assertBoolean('trainableEmbeddings', trainableEmbeddings);
    const validateIds = args.validateIds ?? true;
    assertBoolean('validateIds', validateIds);
    this.validateIds = validateIds;
    this.vocabularySize = args.vocabularySize;
    this.embeddingDim = args.embeddingDim;
    this.padId = padId;
    this.trainableEmbeddings = trainableEmbeddings;
  }

  private checkShapes(inputShape: Shape | Shape[]): Shape {
    let shape = inputShape as Shape;
    if (Array.isArray(inputShape[0])) {
      if (inputShape.length !== 1) {
        throw new EmojeInputError('inputs', 'one tensor tokenIds [B, U, S]', `${inputShape.length} inputs`);
      }
      shape = inputShape[0] as Shape;
    }
    checkShape('tokenIds', shape, [null, null, null], '[B, U, S]');
    this.checkLength('tokenIds', shape[2]);
    return shape;
  }

  override build(inputShape: Shape | Shape[]): void {
    this.checkShapes(inputShape);
    this.embeddings = this.addWeight(
      'embeddings',
      [this.vocabularySize, this.embeddingDim],
      'float32',
      this.initializers.normal(0.05),
      undefined,
      this.trainableEmbeddings,
    );
    this.buildTemporal(this.embeddingDim);
    this.built = true;
    if (this.pendingEmbeddings) {
      this.embeddings.write(this.pendingEmbeddings);
      this.pendingEmbeddings.dispose();
      this.pendingEmbeddings = null;
    }
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const shape = this.checkShapes(inputShape);
    return this.outputShapes(shape[0], shape[1], shape[2]);
  }

  /**
   * Sets the embedding table, e.g. from pretrained word vectors (row `i` is the vector of id `i`).
   * Before the layer is built the values are kept and written when it builds.
   *
   * @param matrix `[vocabularySize, embeddingDim]` values, as a Tensor2D or a row-major Float32Array.
   * The caller keeps ownership of a tensor argument.
   * @throws EmojeInputError naming `embeddings` when the shape or length does not fit.
   */
  setEmbeddings(matrix: Float32Array | tf.Tensor2D): void {
    const expected = [this.vocabularySize, this.embeddingDim];
    let values: tf.Tensor2D;
    if (matrix instanceof Float32Array) {
      if (matrix.length !== this.vocabularySize * this.embeddingDim) {
        throw new EmojeInputError(
          'embeddings',
          `a Float32Array of vocabularySize * embeddingDim = ${this.vocabularySize * this.embeddingDim} values (row-major ${formatShape(expected)})`,
          `${matrix.length} values`,
        );
      }
      values = tf.tensor2d(matrix, [this.vocabularySize, this.embeddingDim]);
    } else if (matrix instanceof tf.Tensor) {
      if (matrix.rank !== 2 || matrix.shape[0] !== this.vocabularySize || matrix.shape[1] !== this.embeddingDim) {
        throw new EmojeInputError('embeddings', `shape ${formatShape(expected)}`, `shape ${formatShape(matrix.shape)}`);
      }
      values = tf.cast(matrix, 'float32') as tf.Tensor2D;
    } else {
      throw new EmojeInputError('embeddings', 'a Float32Array or a Tensor2D', String(matrix));
    }
    if (this.embeddings) {
      this.embeddings.write(values);
      values.dispose();
    } else {
      this.pendingEmbeddings?.dispose();
      this.pendingEmbeddings = values;
    }
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor[] {
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const list = Array.isArray(inputs) ? inputs : [inputs];
      if (list.length !== 1) {
        throw new EmojeInputError('inputs', 'one tensor tokenIds [B, U, S]', `${list.length} inputs`);
      }
      const ids = list[0];
      if (ids.rank !== 3) {
        throw new EmojeInputError('tokenIds', 'shape [B, U, S]', `shape ${formatShape(ids.shape)}`);
      }
      this.checkLength('tokenIds', ids.shape[2]);
      if (this.validateIds) assertIdsInRange('tokenIds', ids, this.vocabularySize);
      const table = (this.embeddings as LayerVariable).read();
      const frameMask = tf.cast(tf.notEqual(tf.cast(ids, 'int32'), this.padId), 'float32');
      const embedded = embeddingLookup(table, ids);
      return this.encode(embedded, frameMask, kwargs.training ?? false);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      ...this.temporalConfig(),
      vocabularySize: this.vocabularySize,
      embeddingDim: this.embeddingDim,
      padId: this.padId,
      trainableEmbeddings: this.trainableEmbeddings,
      validateIds: this.validateIds,
    };
  }

  override dispose(): ReturnType<SequenceEncoderBase['dispose']> {
    this.pendingEmbeddings?.dispose();
    this.pendingEmbeddings = null;
    return super.dispose();
  }
}

/** Creates a {@link TokenTextEncoder}. @throws EmojeInputError naming the argument at fault. */
export function tokenTextEncoder(args: TokenTextEncoderArgs): TokenTextEncoder {
  return new TokenTextEncoder(args);
}

tf.serialization.registerClass(TokenTextEncoder);
