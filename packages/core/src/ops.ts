import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { matMul, recordingGradients } from './matmul';
import { EmojeInputError } from './errors';
import { maskedSoftmax } from './masks';
import { aleaState } from './alea';
import { ACTIVATION_CODES, FusedKernel, hasFusedKernel, runFused, streamInputs } from './fused';
import type { InitializerSource, WeightFactory } from './weights';

/** Activations the blocks accept by name. */
export type ActivationName = 'gelu' | 'relu' | 'tanh' | 'linear';
export const ACTIVATIONS: readonly ActivationName[] = ['gelu', 'relu', 'tanh', 'linear'];

/** Applies a named activation (GELU in its tanh approximation). */
export function activate(x: tf.Tensor, name: ActivationName): tf.Tensor {
  switch (name) {
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tanh(x);
    case 'linear':
      return x;
    case 'gelu':
      // Inference needs no custom gradient, whose wrapper only adds kernels.
      return recordingGradients() ? gelu(x) : tf.mul(x, geluGate(x));
  }
}

/**
 * `tanh(x)`, computed on wasm as `2 σ(2x) - 1`: the wasm backend runs sigmoid vectorised and tanh
 * element by element, 7-15x slower. Absolute error stays within float32 rounding (about 1e-7); its
 * gradient comes from sigmoid's. Other backends run `tf.tanh`.
 */
export function tanh(x: tf.Tensor): tf.Tensor {
  // GPU backends run tf.tanh as one fast program; four programs would cost more there.
  if (!onWasm()) return tf.tanh(x);
  return recordingGradients() ? sigmoidTanh(x) : tf.tidy(() => tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1));
}

/**
 * `2 σ(2x) - 1` as one custom-gradient op keeping only `s = σ(2x)`: its gradient `((dy * 2) * (s (1 - s))) * 2` runs
 * the very ops (and rounding) the built-in gradients of the chain would, without their copies of every input.
 */
const sigmoidTanh = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const s = tf.sigmoid(tf.mul(x, 2));
  save([s]);
  return {
    value: tf.sub(tf.mul(s, 2), 1),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [s0] = saved;
      return tf.mul(tf.mul(tf.mul(dy, 2), tf.mul(s0, tf.sub(1, s0))), 2);
    },
  };
}) as (x: tf.Tensor) => tf.Tensor;

/** True on the wasm backend, whose slow kernels some ops here route around (and only there). */
function onWasm(): boolean {
  return tf.getBackend() === 'wasm';
}

const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/**
 * GELU in its tanh approximation, `0.5 x (1 + tanh(k (x + c x³)))`, computed as the identical
 * `x σ(2u)` with `u = k (x + c x³)` (since `0.5 (1 + tanh(u)) = σ(2u)`): the wasm backend runs
 * sigmoid vectorised and tanh element by element, about 6x slower for a whole GELU. Its gradient is
 * the closed form `s + x s (1 - s) 2k (1 + 3 c x²)` (s the sigmoid): the same values as
 * differentiating the tanh formula op by op, with fewer kernels and two saved tensors.
 */
export const gelu: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const s = geluGate(x);
  save([x, s]);
  return {
    value: tf.mul(x, s),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [x0, s0] = saved;
      const slope = tf.add(tf.mul(tf.mul(x0, x0), 6 * GELU_C * GELU_K), 2 * GELU_K);
      const tail = tf.mul(tf.mul(x0, tf.mul(s0, tf.sub(1, s0))), slope);
      return tf.mul(dy, tf.add(s0, tail));
    },
  };
}) as (x: tf.Tensor) => tf.Tensor;

/** `σ(2k (x + c x³))`, the gate GELU multiplies `x` by (`x * x * x`: pow is several times slower on wasm). */
function geluGate(x: tf.Tensor): tf.Tensor {
  return tf.sigmoid(tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), GELU_C)), 2 * GELU_K));
}

/**
 * Where a dropout mask's seed comes from: a number, or a source such as a `SeededRandom`, which is drawn from only when
 * a mask is actually drawn.
 */
export type DropoutSeed = number | { seed(): number };

/**
 * Dropout active only while training. `seed` should change every call: pass the layer's `SeededRandom` itself
 * rather than `random.seed()`, so that inference (and `rate` 0) draws nothing from it. Otherwise every prediction
 * made during training, such as a dev evaluation, would shift the masks of the training steps after it.
 *
 * The values are `tf.dropout`'s, mask included (the same draws from the same seed): the multiplier is computed on
 * the host from tf.randomUniform's draws (bit for bit tf.dropout's) and uploaded, so dropout runs one Multiply
 * kernel. While a gradient is recorded only the product is recorded, as one tape node that keeps no tensor: its
 * gradient `dy * multiplier` uploads the multiplier again from the host (tf.dropout records four ops and keeps six
 * tensors).
 */
export function dropout(x: tf.Tensor, rate: number, training: boolean, seed?: DropoutSeed): tf.Tensor {
  if (!training || rate <= 0) return x;
  const value = dropoutSeedValue(seed);
  if (rate < 1 && x.dtype === 'float32' && hasFusedKernel(FusedKernel.Dropout)) return fusedDropout(x, rate, value);
  if (rate >= 1 || x.dtype !== 'float32') return tf.dropout(x, rate, undefined, value);
  const values = dropoutMultiplier(x.shape, rate, value);
  const shape = x.shape;
  if (!recordingGradients()) return tf.tidy(() => tf.mul(x, tf.tensor(values, shape, 'float32')));
  // One tape node keeping no tensor: the gradient uploads the multiplier again from the host copy (no Identity copy).
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input] = args as [tf.Tensor];
    return {
      value: tf.mul(input, tf.tensor(values, shape, 'float32')),
      gradFunc: (dy: tf.Tensor) => tf.mul(dy, tf.tensor(values, shape, 'float32')),
    };
  });
  return op(x) as tf.Tensor;
}

/**
 * tf.dropout's multiplier `floor(u + keep) / keep` (u uniform in [0, 1) drawn from `seed` by tf.randomUniform, keep
 * = 1 - rate), computed on the host in float32 from the same draws: the same values bit for bit (each float32 sum
 * and quotient rounded once, as the backend's kernels round them), uploaded as a tensor instead of three kernels.
 */
function dropoutMultiplier(shape: readonly number[], rate: number, seed: number | undefined): Float32Array {
  const draws = tf.randomUniform(shape as number[], 0, 1, 'float32', seed);
  const u = draws.dataSync() as Float32Array;
  const keep = Math.fround(1 - rate);
  const values = new Float32Array(u.length);
  for (let i = 0; i < u.length; i++) values[i] = Math.floor(Math.fround(u[i] + keep)) / keep;
  draws.dispose();
  return values;
}

/**
 * tf.dropout as the fused `EmojeDropout` kernel: the same Alea stream for the same seed (tfjs seeds a missing one with
 * `Math.random()`, and so does this), so the same mask and values bit for bit; the gradient is `dy * multiplier`.
 */
function fusedDropout(x: tf.Tensor, rate: number, seed: number | undefined): tf.Tensor {
  const attrs = { keep: 1 - rate, ...aleaState(seed ?? Math.random()) };
  if (!recordingGradients()) return runFused(FusedKernel.Dropout, { x }, { ...attrs, keepMultiplier: false })[0];
  // The gradient is `dy * multiplier`: the multiplier is kept (a copy costs less than drawing the stream again).
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const [y, multiplier] = runFused(FusedKernel.Dropout, { x: input }, { ...attrs, keepMultiplier: true });
    save([multiplier]);
    return { value: y, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]) };
  });
  return op(x) as tf.Tensor;
}

function dropoutSeedValue(seed: DropoutSeed | undefined): number | undefined {
  if (seed === undefined || typeof seed === 'number') return seed;
  if (seed === null || typeof (seed as { seed?: unknown }).seed !== 'function') {
    throw new EmojeInputError('seed', 'a number or a seed source with a seed() method (e.g. a SeededRandom)', seed === null ? 'null' : typeof seed);
  }
  return seed.seed();
}

/** Weights of a fully connected map `x W + b`. */
export interface LinearWeights {
  kernel: LayerVariable;
  bias: LayerVariable | null;
}

export function createLinear(
  add: WeightFactory,
  init: InitializerSource,
  name: string,
  inputDim: number,
  outputDim: number,
  useBias = true,
): LinearWeights {
  return {
    kernel: add(`${name}_kernel`, [inputDim, outputDim], init.glorot()),
    bias: useBias ? add(`${name}_bias`, [outputDim], init.zeros()) : null,
  };
}

/**
 * `act(x W + b)` over the last axis of a tensor of any rank >= 2 (`activation` defaults to linear). Where the backend
 * registers the fused `EmojeLinear` kernel it is one kernel each way; elsewhere the product, bias and activation run
 * op by op, with the same values.
 */
export function applyLinear(x: tf.Tensor, w: LinearWeights, activation: ActivationName = 'linear'): tf.Tensor {
  return tf.tidy(() => {
    const kernel = w.kernel.read();
    const [inputDim, outputDim] = kernel.shape;
    const lead = x.shape.slice(0, -1);
    if (hasFusedKernel(FusedKernel.Linear)) {
      return fusedLinear(x, [kernel], w.bias ? [w.bias.read()] : null, activation);
    }
    let y = matMul(tf.reshape(x, [-1, inputDim]), kernel);
    if (w.bias) y = recordingGradients() ? addBias(y, w.bias.read()) : tf.add(y, w.bias.read());
    return activate(tf.reshape(y, [...lead, outputDim]), activation);
  });
}

/**
 * The fused `EmojeLinear` kernel on `x [M, N, in]` with one kernel (and bias) per stream; while a gradient is
 * recorded, its gradient is the fused `EmojeLinearGrad` kernel (dx, every dW and db in one call). Kernels that are
 * variables (the weights, read by `LayerVariable.read()`) are read by the gradient directly rather than through
 * saved copies: a variable outlives the step, and nothing assigns it between a forward pass and its gradient.
 * With one stream, `x` may have any rank: the kernels read it as `[1, N, in]` (leading dimensions flattened) and give
 * `y` its leading shape, and `dx` its shape, so no reshape runs either way.
 */
function fusedLinear(
  input: tf.Tensor,
  kernels: readonly tf.Tensor[],
  biases: readonly tf.Tensor[] | null,
  activation: ActivationName,
): tf.Tensor {
  const m = kernels.length;
  const code = ACTIVATION_CODES[activation];
  const hasBias = biases != null;
  const inputsOf = (xs: tf.Tensor, ws: readonly tf.Tensor[], bs: readonly tf.Tensor[]) => ({
    x: xs,
    ...streamInputs('w', ws),
    ...(hasBias ? streamInputs('b', bs) : {}),
  });
  if (!recordingGradients()) {
    return runFused(FusedKernel.Linear, inputsOf(input, kernels, biases ?? []), { streams: m, activation: code, hasBias, keepPreactivation: false })[0];
  }
  const keep = code !== ACTIVATION_CODES.linear;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [x, ...rest] = args.slice(0, -1) as tf.Tensor[];
    const xs = x;
    const ws = rest.slice(0, m);
    const [y, z] = runFused(FusedKernel.Linear, inputsOf(xs, ws, rest.slice(m)), { streams: m, activation: code, hasBias, keepPreactivation: keep });
    const copied = ws.some((w) => !(w instanceof tf.Variable));
    save([xs, ...(copied ? ws : []), ...(keep ? [z] : [])]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const kernelsOf = copied ? saved.slice(1, m + 1) : ws;
        const dys = dy;
        const [dx, ...dWeights] = runFused(FusedKernel.LinearGrad, { dy: dys, x: saved[0], z: keep ? saved[saved.length - 1] : dys, ...streamInputs('w', kernelsOf) }, { streams: m, activation: code, hasBias });
        return [dx, ...dWeights];
      },
    };
  });
  return op(input, ...kernels, ...(biases ?? [])) as tf.Tensor;
}

/**
 * Sums `t` down to `shape` (a shape `t` broadcasts from). When only the last axis is kept, as for a
 * bias or a normalisation gain `[D]`, the sum is a product with a row of ones: the wasm backend's Sum
 * transposes before reducing any axis but the last, and runs 4-10x slower than that product.
 */
export function sumToShape(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
  return tf.tidy(() => {
    const axes = tf.broadcast_util.getReductionAxes(shape as number[], t.shape);
    if (axes.length === 0) return tf.reshape(t, shape as number[]);
    const last = t.shape[t.rank - 1];
    const keepsOnlyLast = shape.length >= 1 && shape[shape.length - 1] === last && shape.slice(0, -1).every((d) => d === 1);
    if (keepsOnlyLast && t.rank >= 2) {
      const rows = t.size / last;
      return tf.reshape(tf.matMul(tf.ones([1, rows]), tf.reshape(t, [rows, last]) as tf.Tensor2D), shape as number[]);
    }
    return tf.reshape(tf.sum(t, axes), shape as number[]);
  });
}

/** `y [N, D] + b [D]` whose bias gradient is {@link sumToShape}'s product with ones rather than a column Sum. */
const addBias = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [y, b] = args as [tf.Tensor, tf.Tensor];
  return {
    value: tf.add(y, b),
    gradFunc: (dy: tf.Tensor) => [dy, sumToShape(dy, b.shape)],
  };
}) as (y: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/**
 * Per-stream linear maps over stacked streams: stream `m` of `x [M, N, in]` goes through
 * `weights[m]`, giving `[M, N, out]`. `x` may also hold the same rows in another layout whose first axis splits
 * into the M streams, such as `[M·B, U, in]` (stream `m` the entries `m·B .. m·B + B - 1`): the result then has
 * `x`'s leading shape, and the fused kernels need no reshape for it. Each stream is its own 2-D product: the wasm backend runs a
 * batched matMul with a different right operand per batch entry several times slower than
 * separate 2-D ones. Every element-wise op around it then runs once for all streams.
 *
 * On wasm the streams are picked out with `gatherND` (whole rows) rather than `tf.unstack`, whose
 * wasm kernel copies the entire input once per stream (3-12x slower); while a gradient is recorded
 * the whole map is one custom-gradient op with the closed-form gradients of the products.
 */
export function applyStreamLinear(x: tf.Tensor, weights: readonly LinearWeights[], activation: ActivationName = 'linear'): tf.Tensor {
  return tf.tidy(() => {
    if (!splitsIntoStreams(x, weights.length)) {
      throw new Error(`applyStreamLinear: expected x of shape [${weights.length}, N, in] (or rows that split into ${weights.length} streams, e.g. [${weights.length}·B, U, in]), got [${x.shape.join(', ')}]`);
    }
    const kernels = weights.map((w) => w.kernel.read());
    if (hasFusedKernel(FusedKernel.Linear)) {
      return fusedLinear(x, kernels, weights[0].bias ? weights.map((w) => (w.bias as LayerVariable).read()) : null, activation);
    }
    const m = weights.length;
    if (x.rank === 3 && x.shape[0] === m) return activate(streamLinearOps(x, weights, kernels), activation);
    const y = streamLinearOps(tf.reshape(x, [m, -1, x.shape[x.rank - 1]]), weights, kernels);
    return activate(tf.reshape(y, [...x.shape.slice(0, -1), y.shape[2] as number]), activation);
  });
}

/**
 * Whether `x`'s rows (every axis but the last, flattened) split evenly into `m` consecutive streams: `[M, N, in]`, or
 * another layout of the same rows such as `[M·B, U, in]` (stream `s` is then entries `s·B .. s·B + B - 1`).
 */
function splitsIntoStreams(x: tf.Tensor, m: number): boolean {
  if (x.rank < 2 || m < 1) return false;
  const rows = x.size / Math.max(x.shape[x.rank - 1], 1);
  return x.shape[0] % m === 0 && rows % m === 0;
}

/** {@link applyStreamLinear} op by op (no activation). */
function streamLinearOps(x: tf.Tensor, weights: readonly LinearWeights[], kernels: readonly tf.Tensor[]): tf.Tensor {
  return tf.tidy(() => {
    let y: tf.Tensor;
    if (weights.length === 1) y = tf.expandDims(matMul(tf.squeeze(x, [0]), kernels[0]), 0);
    else if (recordingGradients()) y = streamProducts(x, ...kernels);
    else y = tf.stack(pickStreams(x).map((s, m) => tf.matMul(s as tf.Tensor2D, kernels[m] as tf.Tensor2D)));
    if (!weights[0].bias) return y;
    const bias = weights.length === 1 ? weights[0].bias.read() : tf.stack(weights.map((w) => (w.bias as LayerVariable).read()));
    return tf.add(y, tf.reshape(bias, [weights.length, 1, -1]));
  });
}

/**
 * The streams `[N, D]` of `x [M, N, D]`, M >= 2. On wasm each is copied out as one row of `[M, N * D]`
 * by gatherND (wasm's Unpack copies the whole input per stream); elsewhere `tf.unstack`, which GPU
 * backends run without the extra index uploads.
 */
function pickStreams(x: tf.Tensor): tf.Tensor[] {
  if (!onWasm()) return tf.unstack(x);
  const [m, n, d] = x.shape as number[];
  const rows = tf.reshape(x, [m, n * d]);
  return Array.from({ length: m }, (_, i) => tf.reshape(tf.gatherND(rows, tf.tensor2d([[i]], [1, 1], 'int32')), [n, d]));
}

/**
 * `stack(x[m] @ kernels[m])` for `x [M, N, in]`, with the gradients `dx[m] = dy[m] kernels[m]ᵀ` and
 * `dkernels[m] = x[m]ᵀ dy[m]` (explicit transposes: see {@link matMul}).
 */
const streamProducts = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const save = args[args.length - 1] as tf.GradSaveFunc;
  const [x, ...kernels] = args.slice(0, -1) as tf.Tensor[];
  const streams = pickStreams(x);
  save([...streams, ...kernels]);
  return {
    value: tf.stack(streams.map((s, m) => tf.matMul(s as tf.Tensor2D, kernels[m] as tf.Tensor2D))),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const m = kernels.length;
      const dys = pickStreams(dy);
      const dx = tf.stack(dys.map((g, i) => tf.matMul(g as tf.Tensor2D, tf.transpose(saved[m + i]) as tf.Tensor2D)));
      const dk = dys.map((g, i) => tf.matMul(tf.transpose(saved[i]) as tf.Tensor2D, g as tf.Tensor2D));
      return [dx, ...dk];
    },
  };
}) as (x: tf.Tensor, ...kernels: tf.Tensor[]) => tf.Tensor;

/** Weights of a layer normalisation over the last axis. */
export interface LayerNormWeights {
  gamma: LayerVariable;
  beta: LayerVariable;
}

export function createLayerNorm(add: WeightFactory, init: InitializerSource, name: string, dim: number): LayerNormWeights {
  return { gamma: add(`${name}_gamma`, [dim], init.ones()), beta: add(`${name}_beta`, [dim], init.zeros()) };
}

/**
 * Layer normalisation over the last axis with `w`'s gain and offset, then `activation` (linear by default). Where the
 * backend registers the fused `EmojeLayerNorm` kernel, normalisation and activation are one kernel each way.
 */
export function applyLayerNorm(x: tf.Tensor, w: LayerNormWeights, epsilon = 1e-5, activation: ActivationName = 'linear'): tf.Tensor {
  return tf.tidy(() => {
    if (hasFusedKernel(FusedKernel.LayerNorm)) return fusedLayerNorm(x, [w.gamma.read()], [w.beta.read()], epsilon, activation);
    return activate(layerNorm(epsilon)(x, w.gamma.read(), w.beta.read()), activation);
  });
}

/**
 * The fused `EmojeLayerNorm` kernel on `x [M, N, D]`, stream `m` with `gammas[m]` and `betas[m]`, then `activation`;
 * while a gradient is recorded, its gradient is the fused `EmojeLayerNormGrad` kernel. Weights that are variables are
 * read by the gradient directly, not through saved copies (see {@link fusedLinear}); the offsets are needed there only
 * with an activation (to recompute the pre-activation). With one stream, `input` may have any rank: the kernels read it
 * as `[1, N, D]` (leading dimensions flattened) and give the result its shape, so no reshape runs either way.
 */
function fusedLayerNorm(
  input: tf.Tensor,
  gammas: readonly tf.Tensor[],
  betas: readonly tf.Tensor[],
  epsilon: number,
  activation: ActivationName = 'linear',
): tf.Tensor {
  const m = gammas.length;
  const code = ACTIVATION_CODES[activation];
  const attrs = { streams: m, epsilon, activation: code };
  if (!recordingGradients()) {
    return runFused(FusedKernel.LayerNorm, { x: input, ...streamInputs('gamma', gammas), ...streamInputs('beta', betas) }, { ...attrs, keepStatistics: false })[0];
  }
  const withBetas = code !== ACTIVATION_CODES.linear;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [x, ...rest] = args.slice(0, -1) as tf.Tensor[];
    const gs = rest.slice(0, m);
    const bs = rest.slice(m);
    const [y, xhat, rstd] = runFused(FusedKernel.LayerNorm, { x, ...streamInputs('gamma', gs), ...streamInputs('beta', bs) }, { ...attrs, keepStatistics: true });
    const needed = withBetas ? [...gs, ...bs] : gs;
    const copied = needed.some((w) => !(w instanceof tf.Variable));
    save([xhat, rstd, ...(copied ? needed : [])]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const weights = copied ? saved.slice(2) : needed;
        const [dx, ...dWeights] = runFused(
          FusedKernel.LayerNormGrad,
          { dy, xhat: saved[0], rstd: saved[1], ...streamInputs('gamma', weights.slice(0, m)), ...(withBetas ? streamInputs('beta', weights.slice(m)) : {}) },
          { streams: m, activation: code },
        );
        return [dx, ...dWeights];
      },
    };
  });
  return op(input, ...gammas, ...betas) as tf.Tensor;
}

/** Per epsilon, layer normalisation over the last axis with its analytic gradient (see {@link layerNorm}). */
const layerNormByEpsilon = new Map<number, (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor>();

/**
 * `(x - mean) / sqrt(var + epsilon) * gamma + beta` over the last axis of `x`, `gamma` and `beta`
 * broadcasting against `x` (`[D]`, or `[M, 1, D]` for stacked streams). Its gradient is the
 * closed form `dx = rstd * (g - mean(g) - x̂ * mean(g * x̂))` with `g = dy * gamma` (and the sums of
 * `dy * x̂` and `dy` for `gamma` and `beta`): the same values as differentiating the nine ops of the
 * forward pass one by one, with about half the kernels and two saved tensors instead of ~14.
 */
export function layerNorm(epsilon: number): (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor {
  let fn = layerNormByEpsilon.get(epsilon);
  if (fn) return fn;
  fn = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, gamma, beta, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const centred = tf.sub(x, tf.mean(x, -1, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), epsilon));
    const normalised = tf.mul(centred, rstd);
    save([normalised, rstd, gamma]);
    return {
      value: tf.add(tf.mul(normalised, gamma), beta),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xHat, r, g0] = saved;
        const g = tf.mul(dy, g0);
        const dx = tf.mul(r, tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(xHat, tf.mean(tf.mul(g, xHat), -1, true))));
        return [dx, sumToShape(tf.mul(dy, xHat), g0.shape), sumToShape(dy, beta.shape)];
      },
    };
  }) as (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;
  layerNormByEpsilon.set(epsilon, fn);
  return fn;
}

/**
 * Layer normalisation of stacked streams `x [M, N, D]`, stream `m` with `weights[m]`'s gain and
 * offset: one normalisation for all streams, the same values as {@link applyLayerNorm} per stream. As for
 * {@link applyStreamLinear}, `x` may be another layout of the same rows whose first axis splits into the M streams
 * (`[M·B, U, D]`); the result has its shape.
 * @throws Error when `x`'s first axis does not split into `weights.length` streams.
 */
export function applyStreamLayerNorm(x: tf.Tensor, weights: readonly LayerNormWeights[], epsilon = 1e-5, activation: ActivationName = 'linear'): tf.Tensor {
  return tf.tidy(() => {
    const m = weights.length;
    if (!splitsIntoStreams(x, m)) {
      throw new Error(`applyStreamLayerNorm: expected x of shape [${m}, N, D] (or rows that split into ${m} streams, e.g. [${m}·B, U, D]), got [${x.shape.join(', ')}]`);
    }
    if (hasFusedKernel(FusedKernel.LayerNorm)) {
      return fusedLayerNorm(x, weights.map((w) => w.gamma.read()), weights.map((w) => w.beta.read()), epsilon, activation);
    }
    if (activation !== 'linear') return activate(applyStreamLayerNorm(x, weights, epsilon), activation);
    if (m > 1 && !(x.rank === 3 && x.shape[0] === m)) {
      return tf.reshape(applyStreamLayerNorm(tf.reshape(x, [m, -1, x.shape[x.rank - 1]]), weights, epsilon), x.shape);
    }
    const stacked = (pick: (w: LayerNormWeights) => LayerVariable) =>
      tf.reshape(m === 1 ? pick(weights[0]).read() : tf.stack(weights.map((w) => pick(w).read())), [m, 1, -1]);
    return layerNorm(epsilon)(x, stacked((w) => w.gamma), stacked((w) => w.beta));
  });
}

/** Two-layer position-wise feed-forward network. */
export interface FeedForwardWeights {
  inner: LinearWeights;
  outer: LinearWeights;
}

export function createFeedForward(
  add: WeightFactory,
  init: InitializerSource,
  name: string,
  dim: number,
  hiddenDim: number,
): FeedForwardWeights {
  return {
    inner: createLinear(add, init, `${name}_inner`, dim, hiddenDim),
    outer: createLinear(add, init, `${name}_outer`, hiddenDim, dim),
  };
}

export function applyFeedForward(
  x: tf.Tensor,
  w: FeedForwardWeights,
  activation: ActivationName,
  dropoutRate = 0,
  training = false,
  seed?: DropoutSeed,
): tf.Tensor {
  return tf.tidy(() => {
    const hidden = dropout(applyLinear(x, w.inner, activation), dropoutRate, training, seed);
    return applyLinear(hidden, w.outer);
  });
}

/** Weights of a multi-head attention (query, key, value and output projections). */
export interface AttentionWeights {
  query: LinearWeights;
  key: LinearWeights;
  value: LinearWeights;
  output: LinearWeights;
  numHeads: number;
}

export function createAttention(
  add: WeightFactory,
  init: InitializerSource,
  name: string,
  dim: number,
  numHeads: number,
): AttentionWeights {
  if (dim % numHeads !== 0) {
    throw new Error(`${name}: width ${dim} is not divisible by numHeads ${numHeads}`);
  }
  return {
    query: createLinear(add, init, `${name}_query`, dim, dim),
    key: createLinear(add, init, `${name}_key`, dim, dim),
    value: createLinear(add, init, `${name}_value`, dim, dim),
    output: createLinear(add, init, `${name}_output`, dim, dim),
    numHeads,
  };
}

function splitHeads(x: tf.Tensor, numHeads: number): tf.Tensor {
  const [n, t, d] = x.shape as number[];
  const headDim = d / numHeads;
  return tf.reshape(tf.transpose(tf.reshape(x, [n, t, numHeads, headDim]), [0, 2, 1, 3]), [n * numHeads, t, headDim]);
}

/**
 * Multi-head attention of `query [N, Tq, D]` over `keyValue [N, Tk, D]`.
 *
 * `mask` is `[N, Tk]` (which keys exist) or `[N, Tq, Tk]` (which query may see which
 * key), 1 = attend. A query with no allowed key gets a zero attention vector, so its
 * output is the output projection's bias only; callers that must add nothing gate
 * the result themselves. Masked keys must hold finite values (zero them first).
 * Returns `[N, Tq, D]`; with `returnWeights` also the attention probabilities `[N, H, Tq, Tk]`.
 */
export function applyAttention(
  query: tf.Tensor,
  keyValue: tf.Tensor,
  mask: tf.Tensor,
  w: AttentionWeights,
): tf.Tensor {
  return tf.tidy(() => {
    const projected = attentionCore(applyLinear(query, w.query), applyLinear(keyValue, w.key), applyLinear(keyValue, w.value), mask, w.numHeads);
    return applyLinear(projected, w.output);
  });
}

/**
 * The scaled dot-product part of multi-head attention on projected queries `q [N, Tq, D]`, keys and
 * values `k, v [N, Tk, D]`, with `mask` as in {@link applyAttention} (0/1; it gets no gradient where
 * the fused kernel runs). Returns the merged heads `[N, Tq, D]`, before the output projection.
 *
 * Where the backend registers the fused `EmojeAttention` kernel, this is one kernel each way (heads
 * read in place, the probabilities kept for the backward pass); elsewhere the head split, the two
 * batched products and the masked softmax run op by op, with the same values.
 *
 * @throws Error when the shapes do not fit (`k`, `v` `[N, Tk, D]`, `D` divisible by `numHeads`, `mask`
 * `[N, Tk]` or `[N, Tq, Tk]`).
 */
export function attentionCore(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor, numHeads: number): tf.Tensor {
  return tf.tidy(() => {
    if (hasFusedKernel(FusedKernel.Attention)) return fusedAttention(q, k, v, mask, numHeads);
    const [n, tq, d] = q.shape as number[];
    const tk = k.shape[1] as number;
    const h = numHeads;
    const headDim = d / h;
    const logits = tf.reshape(tf.mul(matMul(splitHeads(q, h), splitHeads(k, h), false, true), 1 / Math.sqrt(headDim)), [n, h, tq, tk]);
    const fullMask = mask.rank === 2 ? tf.reshape(mask, [n, 1, 1, tk]) : tf.reshape(mask, [n, 1, tq, tk]);
    const probs = tf.reshape(maskedSoftmax(logits, fullMask), [n * h, tq, tk]);
    const context = tf.reshape(matMul(probs, splitHeads(v, h)), [n, h, tq, headDim]);
    return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [n, tq, d]);
  });
}

/** Throws unless `q [N, Tq, D]`, `k, v [N, Tk, D]` and `mask [N, Tk]` or `[N, Tq, Tk]` fit `numHeads` heads. */
function checkAttentionShapes(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor, numHeads: number): void {
  const [n, tq, d] = q.shape as number[];
  const tk = k.shape[1] as number;
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const maskFits = same(mask.shape, [n, tk]) || same(mask.shape, [n, tq, tk]);
  if (q.rank !== 3 || k.rank !== 3 || !same(k.shape, [n, tk, d]) || !same(v.shape, k.shape) || !maskFits || !Number.isInteger(numHeads) || numHeads < 1 || d % numHeads !== 0) {
    throw new Error(
      `attentionCore: expected q [N, Tq, D], k and v [N, Tk, D], mask [N, Tk] or [N, Tq, Tk] and D divisible by numHeads; ` +
        `got q [${q.shape.join(', ')}], k [${k.shape.join(', ')}], v [${v.shape.join(', ')}], mask [${mask.shape.join(', ')}], numHeads ${numHeads}`,
    );
  }
}

/**
 * The fused `EmojeAttention` kernel; while a gradient is recorded, its gradient is the fused
 * `EmojeAttentionGrad` kernel (dq, dk and dv in one call, from the kept probabilities).
 */
function fusedAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor, numHeads: number): tf.Tensor {
  checkAttentionShapes(q, k, v, mask, numHeads);
  const m = mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32');
  if (!recordingGradients()) {
    return runFused(FusedKernel.Attention, { q, k, v, mask: m }, { numHeads, keepProbabilities: false })[0];
  }
  // The mask is closed over, not an input: it gets no gradient.
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [qs, ks, vs, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [context, probabilities] = runFused(FusedKernel.Attention, { q: qs, k: ks, v: vs, mask: m }, { numHeads, keepProbabilities: true });
    save([qs, ks, vs, probabilities]);
    return {
      value: context,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        runFused(FusedKernel.AttentionGrad, { dy, q: saved[0], k: saved[1], v: saved[2], probabilities: saved[3] }, { numHeads }),
    };
  });
  return op(q, k, v) as tf.Tensor;
}

/**
 * The attention probabilities `[N, H, Tq, Tk]` of projected `q [N, Tq, D]` over `k [N, Tk, D]` with
 * `mask` as in {@link attentionCore}, from the fused `EmojeAttention` kernel, or null where the backend
 * does not register it or a gradient is being recorded (the caller then computes them op by op). The
 * same values as `maskedSoftmax` of the scaled logits.
 */
export function fusedAttentionProbabilities(q: tf.Tensor, k: tf.Tensor, mask: tf.Tensor, numHeads: number): tf.Tensor | null {
  if (!hasFusedKernel(FusedKernel.Attention) || recordingGradients()) return null;
  return tf.tidy(() => {
    checkAttentionShapes(q, k, k, mask, numHeads);
    const m = mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32');
    const [context, probabilities] = runFused(FusedKernel.Attention, { q, k, v: k, mask: m }, { numHeads, keepProbabilities: true });
    context.dispose();
    return probabilities;
  });
}

/** Sinusoidal encodings computed so far, by `length x dim` (they depend on nothing else). */
const positionalValues = new Map<string, Float32Array>();

/** Sinusoidal positional encoding `[length, dim]` (Vaswani et al.); the values are computed once per size. */
export function positionalEncoding(length: number, dim: number): tf.Tensor2D {
  const key = `${length}x${dim}`;
  let values = positionalValues.get(key);
  if (!values) {
    values = new Float32Array(length * dim);
    for (let pos = 0; pos < length; pos++) {
      for (let i = 0; i < dim; i++) {
        const angle = pos / Math.pow(10000, (2 * Math.floor(i / 2)) / dim);
        values[pos * dim + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
      }
    }
    // A few sizes per model (one per dialogue or sequence length): bounded in practice; a cap keeps it so.
    if (positionalValues.size >= 256) positionalValues.clear();
    positionalValues.set(key, values);
  }
  return tf.tensor2d(values, [length, dim]);
}

/**
 * Rows `rows` of `x [N, D]`, giving `[rows.length, D]`, with the gradient of a row gather: the
 * incoming rows scattered back into `[N, D]` zeros (a row picked twice gets both). Forward is
 * `tf.gatherND` (whole rows: on wasm about 60x faster than `tf.gather`, which computes each element's
 * source index), backward `tf.scatterND`; the stock gather gradient needs `UnsortedSegmentSum`,
 * which the wasm backend lacks. Rows must lie in `[0, N)` (checked when given as numbers; a tensor of
 * rows is not read back).
 */
export function gatherRows(x: tf.Tensor, rows: tf.Tensor | ArrayLike<number>): tf.Tensor {
  return tf.tidy(() => {
    const [n, d] = x.shape as number[];
    if (!(rows instanceof tf.Tensor)) {
      const bad = Array.from(rows).findIndex((r) => !Number.isInteger(r) || r < 0 || r >= n);
      if (bad >= 0) throw new EmojeInputError('rows', `integer row indices in [0, ${n})`, `${rows[bad]} at index ${bad}`);
    }
    // Rows given on the host are uploaded as the [k, 1] indices directly, and uploaded again by the gradient rather
    // than saved (no reshape or saved copy); a tensor of rows is reshaped and saved.
    const host = rows instanceof tf.Tensor ? null : Int32Array.from(rows);
    const upload = () => tf.tensor2d(host as Int32Array, [(host as Int32Array).length, 1], 'int32');
    const indices = host ? upload() : tf.reshape((rows as tf.Tensor).dtype === 'int32' ? (rows as tf.Tensor) : tf.cast(rows as tf.Tensor, 'int32'), [-1, 1]);
    const pick = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [t, save] = args as [tf.Tensor, tf.GradSaveFunc];
      if (!host) save([indices]);
      return {
        value: tf.gatherND(t, indices),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.scatterND(host ? upload() : saved[0], dy, [n, d]),
      };
    });
    return pick(x) as tf.Tensor;
  });
}
