import * as tf from '@tensorflow/tfjs-core';
import { FusedKernel, hasFusedKernel, runFused, setFusedKernelsEnabled, streamInputs } from '@emoje/core';
import { expectClose, leakedTensors, useBackend } from '@emoje/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FlatAdamW, collate, createModel, disposeBatch, memoryCheckpointStore, train as trainModel, type EmojeModel, type FlatAdamWOptions } from '@emoje/model';
// The model package's own test fixtures (a tiny config and synthetic dialogues), shared rather than copied.
import { MODALITIES, TINY_CONFIG, syntheticDialogues } from '../../model/src/__tests__/fixtures';
import { registerWasmKernels, unregisterWasmKernels } from './index';

// Ragged sizes (none a multiple of 4, one of a single element), so the kernel's 4-lane loops and scalar tails both run.
const SHAPES = [[3, 5], [7], [2, 3, 3], [6], [1], [13, 3]];
const DECAYED = [true, false, true, false, true, false];
/** Variable 3 never gets a gradient: the optimiser leaves it out and never changes it. */
const WITHOUT_GRADIENT = 3;

function makeVariables(prefix: string): tf.Variable[] {
  return SHAPES.map((shape, i) => tf.variable(tf.randomNormal(shape, 0, 1, 'float32', 20 + i), true, `${prefix}_${i}`));
}

/** A step's gradients with standard deviation `spread`, for every variable but {@link WITHOUT_GRADIENT}. */
function gradientsFor(vars: tf.Variable[], step: number, spread: number): tf.NamedTensorMap {
  const grads: tf.NamedTensorMap = {};
  vars.forEach((v, i) => {
    if (i !== WITHOUT_GRADIENT) grads[v.name] = tf.randomNormal(v.shape, 0, spread, 'float32', 100 * step + i);
  });
  return grads;
}

function globalNorm(grads: tf.NamedTensorMap): number {
  return tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
}

interface Run {
  weights: Float32Array[];
  state: Map<string, Float32Array>;
  /** The largest gradient norm seen; above clipNorm means clipping was active. */
  largestNorm: number;
  /** The kernels of the last step. */
  kernels: string[];
}

/** `steps` steps from the same start, with fused kernels on or off, under a learning rate that changes every step. */
async function train(fused: boolean, options: Omit<FlatAdamWOptions, 'decayed' | 'learningRate'>, steps: number, spread: number): Promise<Run> {
  setFusedKernelsEnabled(fused);
  const vars = makeVariables(fused ? 'fused' : 'plain');
  const optimizer = new FlatAdamW(vars, { ...options, learningRate: 0.05, decayed: DECAYED });
  let largestNorm = 0;
  let kernels: string[] = [];
  for (let step = 1; step <= steps; step++) {
    optimizer.learningRate = 0.05 * (1 - step / (2 * steps));
    const grads = gradientsFor(vars, step, spread);
    largestNorm = Math.max(largestNorm, globalNorm(grads));
    const profile = await tf.profile(() => optimizer.applyGradients(grads));
    kernels = profile.kernels.map((k) => k.name);
    tf.dispose(Object.values(grads));
  }
  const weights = vars.map((v) => v.dataSync().slice() as Float32Array);
  const saved = optimizer.getWeights();
  const state = new Map(saved.map((w) => [w.name, w.tensor.dataSync().slice() as Float32Array]));
  tf.dispose(saved.map((w) => w.tensor));
  optimizer.dispose();
  tf.dispose(vars);
  setFusedKernelsEnabled(true);
  return { weights, state, largestNorm, kernels };
}

/**
 * Same kernels as intended, and the same weights, moments and average within `tolerance`. Each element goes through
 * the same float32 operations in the same order on both paths, so only an active clipping (whose global norm adds
 * the squares up in another order) may differ at all: the other cases ask for bit-identical results.
 */
function expectSameRuns(fused: Run, plain: Run, tolerance: number): void {
  expect(fused.kernels).toEqual([FusedKernel.AdamW]);
  expect(plain.kernels).not.toContain(FusedKernel.AdamW);
  expect(plain.kernels.length).toBeGreaterThan(10);
  fused.weights.forEach((w, i) => expectClose(w, plain.weights[i], tolerance));
  expect([...fused.state.keys()]).toEqual([...plain.state.keys()]);
  for (const [name, values] of plain.state) expectClose(fused.state.get(name) as Float32Array, values, tolerance);
}

describe('FlatAdamW with the fused EmojeAdamW kernel (wasm)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    const registration = await registerWasmKernels();
    expect(registration.kernels).toContain(FusedKernel.AdamW);
  });
  afterEach(() => setFusedKernelsEnabled(true));
  afterAll(() => unregisterWasmKernels());

  it('is registered for wasm only and used only while fused kernels are on', async () => {
    expect(hasFusedKernel(FusedKernel.AdamW)).toBe(true);
    setFusedKernelsEnabled(false);
    expect(hasFusedKernel(FusedKernel.AdamW)).toBe(false);
    setFusedKernelsEnabled(true);
    await useBackend('cpu');
    expect(hasFusedKernel(FusedKernel.AdamW)).toBe(false);
    await useBackend('wasm');
  });

  it('matches the op-by-op step with clipping active, weight decay and a moving average, over several steps', async () => {
    const options = { weightDecay: 0.1, clipNorm: 1, averageDecay: 0.9 };
    const fused = await train(true, options, 6, 1.5);
    const plain = await train(false, options, 6, 1.5);
    expect(fused.largestNorm).toBeGreaterThan(1);
    expect(fused.state.has('average')).toBe(true);
    expectSameRuns(fused, plain, 1e-5);
    // Variable 3 had no gradient and is unchanged; the others moved.
    const start = makeVariables('start');
    expect(Array.from(fused.weights[WITHOUT_GRADIENT])).toEqual(Array.from(start[WITHOUT_GRADIENT].dataSync()));
    expect(Math.max(...Array.from(fused.weights[0], (x, k) => Math.abs(x - start[0].dataSync()[k])))).toBeGreaterThan(1e-3);
    tf.dispose(start);
  });

  it('matches the op-by-op step bit for bit with clipping inactive, no weight decay and no average', async () => {
    const options = { weightDecay: 0, clipNorm: 1000, averageDecay: 0 };
    const fused = await train(true, options, 5, 0.5);
    const plain = await train(false, options, 5, 0.5);
    expect(fused.largestNorm).toBeLessThan(1000);
    expect(fused.state.has('average')).toBe(false);
    expectSameRuns(fused, plain, 0);
  });

  it('matches the op-by-op step bit for bit without clipping (clipNorm 0), decay on, averaging from the first step', async () => {
    const options = { weightDecay: 0.3, clipNorm: 0, averageDecay: 0.5 };
    const fused = await train(true, options, 1, 2);
    const plain = await train(false, options, 1, 2);
    expectSameRuns(fused, plain, 0);
    // After one step the average is the parameters themselves.
    const flat = Float32Array.from(fused.weights.filter((_, i) => i !== WITHOUT_GRADIENT).flatMap((w) => Array.from(w)));
    expect(Array.from(fused.state.get('average') as Float32Array)).toEqual(Array.from(flat));
  });

  it('leaks no tensors and keeps its state when a step runs inside a caller tidy', async () => {
    const vars = makeVariables('leak');
    const optimizer = new FlatAdamW(vars, { learningRate: 0.01, weightDecay: 0.01, decayed: DECAYED, clipNorm: 1, averageDecay: 0.9 });
    const warm = gradientsFor(vars, 1, 1);
    tf.tidy(() => optimizer.applyGradients(warm));
    tf.dispose(Object.values(warm));
    const grads = gradientsFor(vars, 2, 1);
    expect(await leakedTensors(() => optimizer.applyGradients(grads))).toBe(0);
    // Every tensor a step makes replaces a variable's value or a piece of the optimiser's state: nothing is left behind.
    const bytesBefore = tf.memory().numBytes;
    optimizer.applyGradients(grads);
    expect(tf.memory().numBytes).toBe(bytesBefore);
    tf.dispose(Object.values(grads));
    optimizer.dispose();
    tf.dispose(vars);
  });

  it('continues exactly from a checkpoint taken mid-training, in the same format as the op-by-op step', async () => {
    const options = { learningRate: 0.02, weightDecay: 0.05, decayed: DECAYED, clipNorm: 1, averageDecay: 0.8 };
    const uninterrupted = makeVariables('whole');
    const resumedVars = makeVariables('resumed');
    const whole = new FlatAdamW(uninterrupted, options);
    const first = new FlatAdamW(resumedVars, options);
    for (let step = 1; step <= 3; step++) {
      const ga = gradientsFor(uninterrupted, step, 1.5);
      const gb = gradientsFor(resumedVars, step, 1.5);
      whole.applyGradients(ga);
      first.applyGradients(gb);
      tf.dispose([...Object.values(ga), ...Object.values(gb)]);
    }
    const saved = first.getWeights();
    expect(saved.map((w) => w.name)).toEqual(['iterations', 'active', 'firstMoment', 'secondMoment', 'average']);
    first.dispose();
    const second = new FlatAdamW(resumedVars, options);
    second.setWeights(saved.map((w) => ({ name: `optimizer/${w.name}`, tensor: w.tensor })));
    tf.dispose(saved.map((w) => w.tensor));
    for (let step = 4; step <= 5; step++) {
      const ga = gradientsFor(uninterrupted, step, 1.5);
      const gb = gradientsFor(resumedVars, step, 1.5);
      whole.applyGradients(ga);
      second.applyGradients(gb);
      tf.dispose([...Object.values(ga), ...Object.values(gb)]);
    }
    uninterrupted.forEach((v, i) => expect(Array.from(resumedVars[i].dataSync())).toEqual(Array.from(v.dataSync())));
    whole.assignAverage();
    second.assignAverage();
    uninterrupted.forEach((v, i) => expect(Array.from(resumedVars[i].dataSync())).toEqual(Array.from(v.dataSync())));
    whole.dispose();
    second.dispose();
    tf.dispose([...uninterrupted, ...resumedVars]);
  });

  it('shares its state with the op-by-op step: switching paths between steps changes nothing', async () => {
    const options = { learningRate: 0.03, weightDecay: 0.1, decayed: DECAYED, clipNorm: 1000, averageDecay: 0.7 };
    const mixedVars = makeVariables('mixed');
    const plainVars = makeVariables('plainOnly');
    const mixed = new FlatAdamW(mixedVars, options);
    const plain = new FlatAdamW(plainVars, options);
    const paths: string[] = [];
    for (let step = 1; step <= 4; step++) {
      const ga = gradientsFor(mixedVars, step, 1);
      const gb = gradientsFor(plainVars, step, 1);
      setFusedKernelsEnabled(step % 2 === 1);
      const profile = await tf.profile(() => mixed.applyGradients(ga));
      paths.push(profile.kernels.some((k) => k.name === FusedKernel.AdamW) ? 'fused' : 'plain');
      setFusedKernelsEnabled(false);
      plain.applyGradients(gb);
      setFusedKernelsEnabled(true);
      tf.dispose([...Object.values(ga), ...Object.values(gb)]);
    }
    expect(paths).toEqual(['fused', 'plain', 'fused', 'plain']);
    mixedVars.forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(plainVars[i].dataSync())));
    mixed.assignAverage();
    plain.assignAverage();
    mixedVars.forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(plainVars[i].dataSync())));
    mixed.dispose();
    plain.dispose();
    tf.dispose([...mixedVars, ...plainVars]);
  });

  it('refuses inputs whose sizes do not fit', () => {
    tf.tidy(() => {
      const w = [tf.zeros([5]), tf.zeros([2, 3])];
      const attrs = { count: 2, learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 1, clipNorm: 0, weightDecay: 0, averageDecay: 0 };
      const good = { ...streamInputs('g', [tf.ones([5]), tf.ones([6])]), ...streamInputs('w', w), m: tf.zeros([11]), v: tf.zeros([11]) };
      expect(runFused(FusedKernel.AdamW, good, attrs).map((t) => t.shape)).toEqual([[5], [2, 3], [11], [11]]);
      expect(() => runFused(FusedKernel.AdamW, { ...good, g1: tf.ones([5]) }, attrs)).toThrow(/g1 must hold 6 values/);
      expect(() => runFused(FusedKernel.AdamW, { ...good, v: tf.zeros([10]) }, attrs)).toThrow(/v must hold 11 values/);
      expect(() => runFused(FusedKernel.AdamW, { ...good, mask: tf.ones([12]) }, attrs)).toThrow(/mask must hold 11 values/);
      expect(() => runFused(FusedKernel.AdamW, { ...good, m: tf.zeros([11], 'int32') }, attrs)).toThrow(/m must be float32/);
    });
  });

  /** Class probabilities of `model` on `dialogues`. */
  function probabilities(model: EmojeModel, dialogues: ReturnType<typeof syntheticDialogues>): Float32Array {
    const batch = collate(dialogues, MODALITIES);
    const p = tf.tidy(() => tf.softmax(model.network.forward(batch, false).logits));
    const values = p.dataSync().slice() as Float32Array;
    p.dispose();
    disposeBatch(batch);
    return values;
  }

  it('train() runs one fused step per batch and learns what it learns op by op, and resumes exactly from a checkpoint', async () => {
    const dialogues = syntheticDialogues(6, 21, 4);
    const dev = syntheticDialogues(2, 22, 3);
    // A clipNorm small enough that clipping acts, and a moving average.
    const options = { epochs: 3, batchSize: 2, seed: 7, emaDecay: 0.9, clipNorm: 0.05, patience: 10 };
    const fusedModel = createModel(TINY_CONFIG);
    let fused: Awaited<ReturnType<typeof trainModel>> | null = null;
    const profile = await tf.profile(async () => void (fused = await trainModel(fusedModel, { train: dialogues, dev }, options)));
    // 3 epochs of 3 batches: one EmojeAdamW kernel per step.
    expect(profile.kernels.filter((k) => k.name === FusedKernel.AdamW)).toHaveLength(9);
    // The same run with only the AdamW kernel taken away (the other fused kernels stay).
    tf.unregisterKernel(FusedKernel.AdamW, 'wasm');
    const plainModel = createModel(TINY_CONFIG);
    try {
      expect(hasFusedKernel(FusedKernel.AdamW)).toBe(false);
      const plain = await trainModel(plainModel, { train: dialogues, dev }, options);
      expectClose(fused!.history.map((h) => h.loss), plain.history.map((h) => h.loss), 1e-5);
    } finally {
      await registerWasmKernels();
    }
    fusedModel.network.weights.forEach((w, i) => expectClose(w.read(), plainModel.network.weights[i].read(), 1e-5));

    const store = memoryCheckpointStore();
    const first = createModel(TINY_CONFIG);
    await trainModel(first, { train: dialogues, dev }, { ...options, checkpoint: store, maxEpochsThisRun: 2 });
    first.dispose();
    const resumed = createModel({ ...TINY_CONFIG, seed: 77 });
    const rest = await trainModel(resumed, { train: dialogues, dev }, { ...options, checkpoint: store, resume: true });
    expect(rest.history.map((h) => h.loss)).toEqual(fused!.history.map((h) => h.loss));
    expect(Array.from(probabilities(resumed, dev))).toEqual(Array.from(probabilities(fusedModel, dev)));
    [fusedModel, plainModel, resumed].forEach((m) => m.dispose());
  });
});
