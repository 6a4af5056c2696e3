import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError, FusedKernel, assertNumberInRange, hasFusedKernel, runFused } from '@emoje/core';

/** A named tensor of the optimiser state (the shape `tf.io` weight lists use). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** Settings of {@link FlatAdamW}. */
export interface FlatAdamWOptions {
  /** The starting learning rate; change {@link FlatAdamW.learningRate} between steps for a schedule. */
  learningRate: number;
  /** Decoupled weight decay (AdamW): after the Adam step, decayed variables are scaled by `1 - learningRate * weightDecay`. */
  weightDecay: number;
  /** Per variable, whether weight decay applies to it. */
  decayed: readonly boolean[];
  /** Clip the gradients to this global norm before the step; 0 = off. */
  clipNorm: number;
  /**
   * Keep an exponential moving average of the updated parameters (Polyak averaging, as Keras optimisers' `use_ema`):
   * after step t, `average = d_t * average + (1 - d_t) * params` with `d_t = min(averageDecay, (1 + t) / (10 + t))`
   * (the warm-up of TensorFlow's `ExponentialMovingAverage`), starting from the parameters after the first step.
   * {@link FlatAdamW.assignAverage} writes it into the variables. 0 = off. Defaults to 0.
   */
  averageDecay?: number;
  beta1?: number;
  beta2?: number;
  /** Defaults to the backend's epsilon, as `tf.train.adam` does. */
  epsilon?: number;
}

/**
 * Adam with global-norm clipping and decoupled weight decay over many variables at once.
 *
 * It computes what `tf.train.adam` followed by a per-variable decay computes, but on one flat
 * vector of every parameter: a training step of a model with ~200 small variables otherwise runs
 * ~16 kernels per variable, and on the wasm backend the per-kernel cost, not the arithmetic,
 * dominates. Variables that receive no gradient on the first step (weights a model holds but does
 * not use for its inputs) are left out and never changed; every later step must bring gradients for
 * the same variables.
 *
 * Where the backend registers the fused `EmojeAdamW` kernel (`@emoje/wasm-kernels` does for wasm), a step is that one
 * kernel: it reads every gradient and variable in place and writes each variable's new value, which is assigned to
 * the variable as is (no flat copy, no read-back). It computes the same float32 operations in the same order, so the
 * results agree with the op-by-op step up to the order in which the global norm's squares are added up.
 */
export class FlatAdamW {
  private readonly variables: readonly tf.Variable[];
  private readonly options: Required<FlatAdamWOptions>;
  /** The learning rate of the next step (a schedule may change it between steps); weight decay scales with it. */
  learningRate: number;
  /** Indices into `variables` of the ones the optimiser updates, fixed by the first step. */
  private active: number[] | null = null;
  private firstMoment: tf.Tensor1D | null = null;
  private secondMoment: tf.Tensor1D | null = null;
  /** 1 for the entries of decayed variables, 0 elsewhere; null when nothing decays. */
  private decayMask: tf.Tensor1D | null = null;
  /** The moving average of the active parameters (see {@link FlatAdamWOptions.averageDecay}); null when off or before the first step. */
  private average: tf.Tensor1D | null = null;
  private iterations = 0;
  /** The fused kernel's input names `g0..`, `w0..` for the active variables, made on the first fused step. */
  private inputNames: { g: string[]; w: string[] } | null = null;

  constructor(variables: readonly tf.Variable[], options: FlatAdamWOptions) {
    if (!Array.isArray(options?.decayed) || options.decayed.length !== variables.length) {
      throw new EmojeInputError('options.decayed', `one boolean per variable (${variables.length})`, `${options?.decayed?.length ?? 'no'} entries`);
    }
    assertNumberInRange('options.learningRate', options.learningRate, 0, 10);
    assertNumberInRange('options.weightDecay', options.weightDecay, 0, 1);
    assertNumberInRange('options.clipNorm', options.clipNorm, 0, 1e6);
    if (options.averageDecay !== undefined) assertNumberInRange('options.averageDecay', options.averageDecay, 0, 0.99999);
    this.variables = variables;
    this.options = { beta1: 0.9, beta2: 0.999, epsilon: tf.backend().epsilon(), averageDecay: 0, ...options };
    this.learningRate = options.learningRate;
  }

  /** Applies one step with `grads` keyed by variable name. Does not dispose `grads`. */
  applyGradients(grads: tf.NamedTensorMap): void {
    if (this.active == null) this.start(this.variables.flatMap((v, i) => (grads[v.name] ? [i] : [])));
    const active = this.active as number[];
    const missing = active.find((i) => !grads[this.variables[i].name]);
    if (missing !== undefined || Object.keys(grads).length !== active.length) {
      throw new Error(
        `FlatAdamW: the variables with gradients changed after the first step (${missing !== undefined ? `no gradient for ${this.variables[missing].name}` : 'gradients for variables the first step had none for'})`,
      );
    }
    const { beta1, beta2, epsilon, clipNorm, weightDecay } = this.options;
    const learningRate = this.learningRate;
    this.iterations += 1;
    const t = this.iterations;
    if (hasFusedKernel(FusedKernel.AdamW)) {
      this.fusedStep(grads, active, t, learningRate);
      return;
    }
    const updated = tf.tidy(() => {
      let g: tf.Tensor = tf.concat(active.map((i) => tf.reshape(grads[this.variables[i].name], [-1])));
      if (clipNorm > 0) {
        const norm = tf.sqrt(tf.sum(tf.square(g)));
        g = tf.mul(g, tf.div(clipNorm, tf.maximum(norm, clipNorm)));
      }
      const m = tf.add(tf.mul(this.firstMoment as tf.Tensor, beta1), tf.mul(g, 1 - beta1));
      const v = tf.add(tf.mul(this.secondMoment as tf.Tensor, beta2), tf.mul(tf.square(g), 1 - beta2));
      const mHat = tf.div(m, 1 - beta1 ** t);
      const vHat = tf.div(v, 1 - beta2 ** t);
      const w = tf.concat(active.map((i) => tf.reshape(this.variables[i], [-1])));
      const stepped = tf.sub(w, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), learningRate));
      const next = this.decayMask ? tf.sub(stepped, tf.mul(stepped, tf.mul(this.decayMask, learningRate * weightDecay))) : stepped;
      const average = this.options.averageDecay > 0 ? tf.keep(this.averaged(next, t)) : undefined;
      return { m: tf.keep(m), v: tf.keep(v), next: tf.keep(next), average };
    });
    tf.dispose([this.firstMoment as tf.Tensor, this.secondMoment as tf.Tensor, ...(this.average ? [this.average] : [])]);
    this.firstMoment = updated.m as tf.Tensor1D;
    this.secondMoment = updated.v as tf.Tensor1D;
    this.average = (updated.average as tf.Tensor1D | undefined) ?? null;
    this.assignFromFlat(updated.next, active);
    updated.next.dispose();
  }

  /** The step as one `EmojeAdamW` kernel (see @emoje/core's `FusedKernel`): same arithmetic, no flat copies. */
  private fusedStep(grads: tf.NamedTensorMap, active: number[], t: number, learningRate: number): void {
    const { beta1, beta2, epsilon, clipNorm, weightDecay, averageDecay } = this.options;
    const variables = active.map((i) => this.variables[i]);
    // Built by assignment: spreading two maps of ~200 names each into one object costs more than the kernel.
    const inputs: tf.NamedTensorMap = { m: this.firstMoment as tf.Tensor, v: this.secondMoment as tf.Tensor };
    const names = (this.inputNames ??= { g: variables.map((_, k) => `g${k}`), w: variables.map((_, k) => `w${k}`) });
    variables.forEach((variable, k) => {
      inputs[names.g[k]] = grads[variable.name];
      inputs[names.w[k]] = variable;
    });
    if (this.decayMask) inputs.mask = this.decayMask;
    if (this.average) inputs.average = this.average;
    const outputs = runFused(FusedKernel.AdamW, inputs, {
      count: variables.length, learningRate, beta1, beta2, epsilon, step: t, clipNorm, weightDecay, averageDecay,
    });
    const [m, v, average] = outputs.slice(variables.length);
    tf.dispose([this.firstMoment as tf.Tensor, this.secondMoment as tf.Tensor, ...(this.average ? [this.average] : [])]);
    // Kept: the step may run inside the caller's tidy.
    this.firstMoment = tf.keep(m) as tf.Tensor1D;
    this.secondMoment = tf.keep(v) as tf.Tensor1D;
    this.average = average ? (tf.keep(average) as tf.Tensor1D) : null;
    variables.forEach((variable, k) => {
      // The variable takes the output's data (assign shares it); the output's own reference is then dropped.
      variable.assign(outputs[k]);
      outputs[k].dispose();
    });
  }

  /** The moving average after step `t` with the new parameters `next` (see {@link FlatAdamWOptions.averageDecay}). */
  private averaged(next: tf.Tensor, t: number): tf.Tensor {
    if (this.average == null) return tf.clone(next);
    const decay = Math.min(this.options.averageDecay, (1 + t) / (10 + t));
    return tf.add(tf.mul(this.average, decay), tf.mul(next, 1 - decay));
  }

  /** Whether {@link assignAverage} has an average to write (averaging on and at least one step taken). */
  get hasAverage(): boolean {
    return this.average != null;
  }

  /**
   * Writes the moving average of the parameters into the variables it was taken over (the others are not touched).
   * Keep copies of the variables first to go back to training from the raw parameters.
   */
  assignAverage(): void {
    if (this.average == null || this.active == null) {
      throw new Error('FlatAdamW.assignAverage: no average (averageDecay is 0 or no step was taken)');
    }
    this.assignFromFlat(this.average, this.active);
  }

  /**
   * Writes consecutive pieces of `flat` into the active variables. On wasm every slice copies its whole
   * input out of the heap (170 slices of a 1 MB vector copy 170 MB), and tensor memory is host memory,
   * so one read of the vector and a tensor per piece is far cheaper there; elsewhere (GPU backends, where
   * a read-back is the expensive part) the pieces are split on the device.
   */
  private assignFromFlat(flat: tf.Tensor, active: number[]): void {
    const sizes = active.map((i) => this.variables[i].size);
    if (tf.getBackend() === 'wasm') {
      const values = flat.dataSync() as Float32Array;
      let offset = 0;
      active.forEach((i, k) => {
        const variable = this.variables[i];
        tf.tidy(() => variable.assign(tf.tensor(values.subarray(offset, offset + sizes[k]), variable.shape, 'float32')));
        offset += sizes[k];
      });
      return;
    }
    const parts = tf.split(flat, sizes);
    active.forEach((i, k) => {
      const variable = this.variables[i];
      tf.tidy(() => variable.assign(tf.reshape(parts[k], variable.shape)));
    });
    tf.dispose(parts);
  }

  /** The optimiser state, for checkpoints: step count, the updated variables' indices, both moments and the average. */
  getWeights(): NamedTensor[] {
    if (this.active == null) return [{ name: 'iterations', tensor: tf.scalar(0, 'int32') }];
    return [
      { name: 'iterations', tensor: tf.scalar(this.iterations, 'int32') },
      { name: 'active', tensor: tf.tensor1d(this.active, 'int32') },
      { name: 'firstMoment', tensor: tf.clone(this.firstMoment as tf.Tensor) },
      { name: 'secondMoment', tensor: tf.clone(this.secondMoment as tf.Tensor) },
      ...(this.average ? [{ name: 'average', tensor: tf.clone(this.average) }] : []),
    ];
  }

  /** Restores {@link getWeights}' state (the tensors are copied, not taken). */
  setWeights(weights: readonly NamedTensor[]): void {
    const byName = new Map(weights.map((w) => [w.name.replace(/^.*\//, ''), w.tensor]));
    const iterations = byName.get('iterations');
    if (!iterations) throw new Error('FlatAdamW.setWeights: no iterations entry');
    this.disposeState();
    this.iterations = iterations.dataSync()[0];
    const active = byName.get('active');
    if (!active) return;
    this.start(Array.from(active.dataSync()));
    const m = byName.get('firstMoment');
    const v = byName.get('secondMoment');
    if (!m || !v || m.size !== this.firstMoment!.size || v.size !== this.secondMoment!.size) {
      throw new Error('FlatAdamW.setWeights: moments missing or of the wrong size for these variables');
    }
    tf.dispose([this.firstMoment as tf.Tensor, this.secondMoment as tf.Tensor]);
    this.firstMoment = tf.keep(tf.clone(m)) as tf.Tensor1D;
    this.secondMoment = tf.keep(tf.clone(v)) as tf.Tensor1D;
    const average = byName.get('average');
    if (this.options.averageDecay > 0 && this.iterations > 0) {
      if (!average || average.size !== m.size) throw new Error('FlatAdamW.setWeights: averageDecay is on but the state has no average of this size');
      this.average = tf.keep(tf.clone(average)) as tf.Tensor1D;
    }
  }

  dispose(): void {
    this.disposeState();
  }

  private start(active: number[]): void {
    this.active = active;
    this.inputNames = null;
    const sizes = active.map((i) => this.variables[i].size);
    const total = sizes.reduce((a, b) => a + b, 0);
    // Kept: the first step may run inside the caller's tidy.
    this.firstMoment = tf.keep(tf.zeros([total])) as tf.Tensor1D;
    this.secondMoment = tf.keep(tf.zeros([total])) as tf.Tensor1D;
    const { weightDecay, decayed } = this.options;
    if (weightDecay > 0 && active.some((i) => decayed[i])) {
      const mask = new Float32Array(total);
      let offset = 0;
      active.forEach((i, k) => {
        if (decayed[i]) mask.fill(1, offset, offset + sizes[k]);
        offset += sizes[k];
      });
      this.decayMask = tf.keep(tf.tensor1d(mask));
    }
  }

  private disposeState(): void {
    tf.dispose([this.firstMoment, this.secondMoment, this.decayMask, this.average].filter((t): t is tf.Tensor1D => t != null));
    this.firstMoment = this.secondMoment = this.decayMask = this.average = null;
    this.active = null;
  }
}
