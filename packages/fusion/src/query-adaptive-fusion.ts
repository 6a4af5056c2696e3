import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import {
  BLOCK_CLASS_PREFIX,
  EmojeInputError,
  InitializerSource,
  applyLinear,
  assertInteger,
  assertShape,
  createLinear,
  formatShape,
  maskedMean,
  maskedSoftmax,
  recordingGradients,
  tanh,
  withoutTape,
  zeroMasked,
  type LinearWeights,
  type WeightFactory,
} from '@emoje/core';
import {
  assertOptionalInteger,
  assertOptionalSeed,
  fusedWidth,
  isShapeList,
  modalityPairs,
  type BaseLayerArgs,
  type LayerKwargs,
  type LayerShape,
} from './common';

/** Arguments of {@link QueryAdaptiveFusion}. */
export interface QueryAdaptiveFusionArgs extends BaseLayerArgs {
  /** M, the number of modalities (the third axis of `c`). At least 1. Required. */
  numModalities: number;
  /** D, the width of each modality descriptor. Defaults to the last dimension of `c` (inferred at build time). */
  units?: number | null;
  /** Hidden width of the additive importance score `v^T tanh(W_c c_m + W_q context + b)`. Defaults to D. */
  scoreUnits?: number | null;
  /**
   * Initial value of the learned score bias added to imputed (compensated) modalities; negative
   * values weigh them down against really observed ones. Defaults to -1.
   */
  imputedPenaltyInit?: number;
  /** Seed of the weight initialisers. Defaults to undefined (fresh random initialisation). */
  seed?: number | null;
}

const INPUT_CONTRACT = '[c [B,U,M,D], availability [B,U,M]] or [c, availability, imputed [B,U,M]]';

interface QafLayout {
  batch: number | null;
  utterances: number | null;
  width: number;
  hasImputed: boolean;
}

/**
 * Query-Adaptive Fusion (QAF) of AM²-EmoJE.
 *
 * Per utterance (the "query"), a modality is usable when it is available or imputed. The query
 * context is the mean of the usable descriptors; each usable modality scores
 * `s_m = v^T tanh(W_c c_m + W_q context + b) + penalty * imputed_m`, and
 * `beta = softmax over usable m of s` (exactly 0 for unusable modalities). The fused vector is
 * `[sum_m beta_m c_m ; for each pair m < m': u_m u_m' (alpha_mm' * c_m' + (1 - alpha_mm') * c_m)]`
 * with `alpha_mm' = sigmoid(g_mm')` a learned gate per pair and feature, in [0, 1]; the pairwise
 * mixtures keep what only one modality carries, and vanish when either modality is unusable.
 *
 * Inputs (array form): `[c [B,U,M,D], availability [B,U,M]]` or `[c, availability, imputed [B,U,M]]`.
 * Outputs: `[fused [B,U,D*(1+M(M-1)/2)], beta [B,U,M]]`.
 *
 * @example
 * ```ts
 * const qaf = queryAdaptiveFusion({ numModalities: 3 });
 * const c = tf.randomNormal([2, 5, 3, 8]);
 * const availability = tf.ones([2, 5, 3]);
 * const [fused, beta] = qaf.apply([c, availability]) as tf.Tensor[];
 * fused.shape; // [2, 5, 32]  (8 * (1 + 3))
 * beta.shape;  // [2, 5, 3]
 * ```
 */
export class QueryAdaptiveFusion extends tfl.layers.Layer {
  /** @nocollapse */
  static className = `${BLOCK_CLASS_PREFIX}QueryAdaptiveFusion`;

  readonly numModalities: number;
  readonly imputedPenaltyInit: number;
  readonly seed: number | undefined;
  /** D; undefined until built when not given. */
  units: number | undefined;
  private readonly scoreUnitsArg: number | undefined;
  private candidate: LinearWeights | null = null;
  private query: LinearWeights | null = null;
  private score: LinearWeights | null = null;
  private imputedPenalty: LayerVariable | null = null;
  private pairGates: LayerVariable[] = [];

  /**
   * @throws EmojeInputError naming the argument when an argument is out of range.
   */
  constructor(args: QueryAdaptiveFusionArgs) {
    super(args);
    if (args == null || typeof args !== 'object') {
      throw new EmojeInputError('args', 'an object with numModalities', String(args));
    }
    assertInteger('numModalities', args.numModalities, 1);
    assertOptionalInteger('units', args.units, 1);
    assertOptionalInteger('scoreUnits', args.scoreUnits, 1);
    const penalty = args.imputedPenaltyInit ?? -1;
    if (typeof penalty !== 'number' || !Number.isFinite(penalty)) {
      throw new EmojeInputError('imputedPenaltyInit', 'a finite number', String(penalty));
    }
    assertOptionalSeed('seed', args.seed);
    this.numModalities = args.numModalities;
    this.units = args.units ?? undefined;
    this.scoreUnitsArg = args.scoreUnits ?? undefined;
    this.imputedPenaltyInit = penalty;
    this.seed = args.seed ?? undefined;
  }

  /** Hidden width of the importance score (D unless set); undefined until D is known. */
  get scoreUnits(): number | undefined {
    return this.scoreUnitsArg ?? this.units;
  }

  /** Width of the fused output, `D * (1 + M(M-1)/2)`; undefined until D is known. */
  get outputWidth(): number | undefined {
    return this.units == null ? undefined : fusedWidth(this.numModalities, this.units);
  }

  private layout(shapes: LayerShape[] | LayerShape): QafLayout {
    const m = this.numModalities;
    if (!isShapeList(shapes)) {
      throw new EmojeInputError('inputs', `an array ${INPUT_CONTRACT}`, `one tensor of shape ${formatShape(shapes)}`);
    }
    if (shapes.length !== 2 && shapes.length !== 3) {
      throw new EmojeInputError('inputs', `2 or 3 tensors ${INPUT_CONTRACT}`, `${shapes.length} tensors`);
    }
    const batch = shapes.map((s) => s[0]).find((d) => d != null) ?? null;
    const utterances = shapes.map((s) => s[1]).find((d) => d != null) ?? null;
    const c = shapes[0];
    if (c.length !== 4) {
      throw new EmojeInputError('c', `shape [B, U, ${m}, D]`, `shape ${formatShape(c)}`);
    }
    const width = this.units ?? c[3];
    if (width == null) {
      throw new EmojeInputError('c', 'a known last dimension (D)', `shape ${formatShape(c)}`, 'Or pass units');
    }
    assertShape('c', c, [batch, utterances, m, width]);
    assertShape('availability', shapes[1], [batch, utterances, m]);
    if (shapes.length === 3) assertShape('imputed', shapes[2], [batch, utterances, m]);
    return { batch, utterances, width, hasImputed: shapes.length === 3 };
  }

  override build(inputShape: LayerShape | LayerShape[]): void {
    const { width } = this.layout(inputShape as LayerShape[]);
    this.units = width;
    const hidden = this.scoreUnits as number;
    const add: WeightFactory = (name, shape, init) => this.addWeight(name, shape, 'float32', init);
    const init = new InitializerSource(this.seed);
    this.candidate = createLinear(add, init, 'score_candidate', width, hidden, true);
    this.query = createLinear(add, init, 'score_query', width, hidden, false);
    this.score = createLinear(add, init, 'score_vector', hidden, 1, false);
    this.imputedPenalty = add('imputed_penalty', [1], init.constant(this.imputedPenaltyInit));
    this.pairGates = modalityPairs(this.numModalities).map(([a, b]) => add(`pair_${a}_${b}_gate`, [width], init.zeros()));
    this.built = true;
  }

  override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape[] {
    const { batch, utterances, width } = this.layout(inputShape as LayerShape[]);
    return [
      [batch, utterances, fusedWidth(this.numModalities, width)],
      [batch, utterances, this.numModalities],
    ];
  }

  /**
   * The pairwise mixing coefficients `alpha = sigmoid(gate)`, one row of width D per pair in
   * {@link modalityPairs} order, each entry in [0, 1]. The caller disposes the result.
   *
   * @returns `[M(M-1)/2, D]`.
   * @throws Error when the layer is not built yet.
   */
  mixingCoefficients(): tf.Tensor2D {
    if (!this.built || this.units == null) throw new Error(`${this.name}: mixingCoefficients() needs a built layer`);
    const width = this.units;
    return tf.tidy(() =>
      this.pairGates.length === 0
        ? tf.zeros([0, width])
        : tf.sigmoid(tf.stack(this.pairGates.map((g) => g.read()))),
    ) as tf.Tensor2D;
  }

  /**
   * @param inputs - `[c, availability]` or `[c, availability, imputed]`, see the class docs.
   * @param kwargs - unused apart from the call hook (`training` defaults to false; QAF has no dropout).
   * @returns `[fused [B,U,D*(1+M(M-1)/2)], beta [B,U,M]]`.
   * @throws EmojeInputError naming the input whose shape breaks the contract.
   */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: LayerKwargs): tf.Tensor[] {
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const { hasImputed } = this.layout(list.map((t) => t.shape));
      const m = this.numModalities;
      // The masks are constants of the inputs, built off the gradient tape (no gradient reaches them).
      const available = withoutTape(() => tf.cast(tf.greater(list[1], 0), 'float32'));
      const imputed = withoutTape(() => (hasImputed ? tf.cast(tf.greater(list[2], 0), 'float32') : tf.zerosLike(available)));
      const usable = withoutTape(() => tf.maximum(available, imputed));
      // [B, U, M, D] with unusable descriptors zeroed whatever they held.
      const c = zeroMasked(list[0], usable);
      const context = maskedMean(c, usable, 2);
      const candidate = applyLinear(c, this.candidate as LinearWeights);
      const query = tf.expandDims(applyLinear(context, this.query as LinearWeights), 2);
      const hidden = tanh(tf.add(candidate, query));
      const raw = tf.squeeze(applyLinear(hidden, this.score as LinearWeights), [3]);
      const imputedOnly = withoutTape(() => tf.mul(imputed, tf.sub(1, available)));
      const scores = addPenalty(raw, imputedOnly, (this.imputedPenalty as LayerVariable).read());
      const beta = maskedSoftmax(scores, usable);
      const weighted = weightedSum(c, beta);

      const pairs = modalityPairs(m);
      const fused = pairs.length === 0 ? weighted : tf.concat([weighted, pairMixtures(c, usable, pairs, this.pairGates.map((g) => g.read()))], 2);
      return [fused, beta];
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      numModalities: this.numModalities,
      units: this.units ?? null,
      scoreUnits: this.scoreUnitsArg ?? null,
      imputedPenaltyInit: this.imputedPenaltyInit,
      seed: this.seed ?? null,
    };
  }
}

/**
 * `raw + flags * penalty` for a constant 0/1 `flags` of `raw`'s shape and a learned `penalty [1]`. While a gradient is
 * recorded it is one custom-gradient op keeping `flags` alone: the gradients are `dy` and `sum(dy * flags)`, the
 * values of the built-in gradients of the add and the broadcast product.
 */
export function addPenalty(raw: tf.Tensor, flags: tf.Tensor, penalty: tf.Tensor): tf.Tensor {
  if (!recordingGradients()) return tf.add(raw, tf.mul(flags, penalty));
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [r, p, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([flags]);
    return {
      value: tf.add(r, tf.mul(flags, p)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [dy, tf.reshape(tf.sum(tf.mul(dy, saved[0])), p.shape)],
    };
  });
  return op(raw, penalty) as tf.Tensor;
}

/**
 * `sum over m of c[.., m, :] * beta[.., m]`: `c [B, U, M, D]`, `beta [B, U, M]`, giving `[B, U, D]`. While a gradient
 * is recorded it is one custom-gradient op keeping `c` and `beta`, with the gradients `dy * beta` and
 * `sum(dy * c, -1)` (the values of the built-in gradients of the product and the sum).
 */
export function weightedSum(c: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  if (!recordingGradients()) return tf.sum(tf.mul(c, tf.expandDims(beta, 3)), 2);
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, w, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([x, w]);
    return {
      value: tf.sum(tf.mul(x, tf.expandDims(w, 3)), 2),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const spread = tf.expandDims(dy, 2);
        return [tf.mul(spread, tf.expandDims(saved[1], 3)), tf.sum(tf.mul(spread, saved[0]), 3)];
      },
    };
  });
  return op(c, beta) as tf.Tensor;
}

/** Flat row indices into `[B*U*M, D]` rows: entry `(k, q)` is row `k * M + modalities[q]`, for `k < n`. */
function pairRows(n: number, m: number, modalities: readonly number[]): Int32Array {
  const p = modalities.length;
  const rows = new Int32Array(n * p);
  for (let k = 0; k < n; k++) for (let q = 0; q < p; q++) rows[k * p + q] = k * m + modalities[q];
  return rows;
}

/**
 * The pair mixtures of QAF, `[B, U, P*D]`: for pair `p = (i, j)`, `(α_p c_j + (1 - α_p) c_i) * u_i * u_j` with
 * `α_p = σ(gate_p)` and `u` the usable mask, pair after pair. All pairs run at once: the pair slots are gathered as
 * whole rows of `c` (`[B, U, P, D]`), so each element-wise op runs once for every pair, with the values of one op
 * chain per pair. While a gradient is recorded it is one custom-gradient op keeping the two gathered slot tensors
 * and α, whose gradient scatters the slot gradients back into `c` (rows summed) and gives each gate
 * `σ'(gate) * sum over B, U of (dy * c_j - dy * c_i)`.
 */
export function pairMixtures(c: tf.Tensor, usable: tf.Tensor, pairs: ReadonlyArray<[number, number]>, gates: readonly tf.Tensor[]): tf.Tensor {
  return tf.tidy(() => {
    const [b, u, m, d] = c.shape as number[];
    const p = pairs.length;
    const n = b * u;
    const firstRows = pairRows(n, m, pairs.map(([i]) => i));
    const secondRows = pairRows(n, m, pairs.map(([, j]) => j));
    const first = tf.tensor2d(firstRows, [n * p, 1], 'int32');
    const second = tf.tensor2d(secondRows, [n * p, 1], 'int32');
    const pairMask = withoutTape(() => {
      const rows = tf.reshape(usable, [n * m, 1]);
      return tf.reshape(tf.mul(tf.gatherND(rows, first), tf.gatherND(rows, second)), [b, u, p, 1]);
    });
    const forward = (x: tf.Tensor, gs: readonly tf.Tensor[]) => {
      const alpha = tf.sigmoid(p === 1 ? tf.reshape(gs[0], [1, d]) : tf.stack(gs as tf.Tensor[]));
      const rows = tf.reshape(x, [n * m, d]);
      const ci = tf.reshape(tf.gatherND(rows, first), [b, u, p, d]);
      const cj = tf.reshape(tf.gatherND(rows, second), [b, u, p, d]);
      const mix = tf.add(tf.mul(alpha, cj), tf.mul(tf.sub(1, alpha), ci));
      return { alpha, ci, cj, value: tf.reshape(tf.mul(mix, pairMask), [b, u, p * d]) };
    };
    if (!recordingGradients()) return forward(c, gates).value;
    const both = new Int32Array(2 * n * p);
    both.set(firstRows);
    both.set(secondRows, n * p);
    const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const [x, ...gs] = args.slice(0, -1) as tf.Tensor[];
      const { alpha, ci, cj, value } = forward(x, gs);
      // The scatter indices are host data: the gradient uploads them itself (no saved copy).
      save([alpha, ci, cj, pairMask]);
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [a, si, sj, mask] = saved;
          const at = tf.tensor2d(both, [2 * n * p, 1], 'int32');
          const g = tf.mul(tf.reshape(dy, [b, u, p, d]), mask);
          const slots = tf.concat([tf.reshape(tf.mul(g, tf.sub(1, a)), [n * p, d]), tf.reshape(tf.mul(g, a), [n * p, d])]);
          const dx = tf.reshape(tf.scatterND(at, slots, [n * m, d]), [b, u, m, d]);
          const dAlpha = tf.sub(tf.sum(tf.mul(g, sj), [0, 1]), tf.sum(tf.mul(g, si), [0, 1]));
          const dGates = tf.mul(dAlpha, tf.mul(a, tf.sub(1, a)));
          return [dx, ...(p === 1 ? [tf.reshape(dGates, [d])] : tf.unstack(dGates))];
        },
      };
    });
    return op(c, ...gates) as tf.Tensor;
  });
}

tf.serialization.registerClass(QueryAdaptiveFusion);

/**
 * Creates a {@link QueryAdaptiveFusion} (QAF) layer.
 *
 * @returns a layer mapping `[c, availability]` or `[c, availability, imputed]` to `[fused, beta]`.
 * @throws EmojeInputError naming the argument when an argument is out of range.
 */
export function queryAdaptiveFusion(args: QueryAdaptiveFusionArgs): QueryAdaptiveFusion {
  return new QueryAdaptiveFusion(args);
}
