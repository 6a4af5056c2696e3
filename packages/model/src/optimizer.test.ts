import * as tf from '@tensorflow/tfjs-core';
import { TEST_BACKENDS, leakedTensors, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { FlatAdamW } from './optimizer';

const SHAPES = [[3, 4], [4], [2, 2, 3], [5]];
const DECAYED = [true, false, true, false];

function makeVariables(prefix: string): tf.Variable[] {
  return SHAPES.map((shape, i) => tf.variable(tf.randomNormal(shape, 0, 1, 'float32', 10 + i), true, `${prefix}_${i}`));
}

/** A step's gradients: large enough that clipping to norm 2 is active; variable 3 never gets one. */
function gradientsFor(vars: tf.Variable[], step: number): tf.NamedTensorMap {
  const grads: tf.NamedTensorMap = {};
  vars.slice(0, 3).forEach((v, i) => (grads[v.name] = tf.randomNormal(v.shape, 0, 1.5, 'float32', 100 * step + i)));
  return grads;
}

/** The reference the flat optimiser replaces: tf.train.adam on clipped gradients, then a per-variable decay. */
function referenceStep(optimizer: tf.AdamOptimizer, vars: tf.Variable[], grads: tf.NamedTensorMap, lr: number, clipNorm: number, weightDecay: number): void {
  tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
    const scale = tf.div(clipNorm, tf.maximum(norm, clipNorm));
    const clipped: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(grads)) clipped[name] = tf.mul(g, scale);
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
    optimizer.applyGradients(clipped as unknown as Record<string, tf.Variable>);
    vars.forEach((v, i) => {
      if (DECAYED[i]) v.assign(tf.mul(v, 1 - lr * weightDecay));
    });
  });
}

describe.each(TEST_BACKENDS)('FlatAdamW on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('matches tf.train.adam with global-norm clipping and decoupled decay, step by step, under a changing learning rate', () => {
    const flatVars = makeVariables('flat');
    const refVars = makeVariables('ref');
    const flat = new FlatAdamW(flatVars, { learningRate: 0.05, weightDecay: 0.1, decayed: DECAYED, clipNorm: 2 });
    const reference = tf.train.adam(0.05);
    const untouched = flatVars[3].dataSync().slice();
    const start = flatVars[0].dataSync().slice();
    for (let step = 1; step <= 6; step++) {
      const lr = 0.05 * (1 - step / 10);
      flat.learningRate = lr;
      const g1 = gradientsFor(flatVars, step);
      const g2 = gradientsFor(refVars, step);
      flat.applyGradients(g1);
      referenceStep(reference, refVars, g2, lr, 2, 0.1);
      tf.dispose([...Object.values(g1), ...Object.values(g2)]);
      for (let i = 0; i < 3; i++) {
        const a = flatVars[i].dataSync();
        const b = refVars[i].dataSync();
        for (let k = 0; k < a.length; k++) expect(Math.abs(a[k] - b[k])).toBeLessThan(1e-5);
      }
    }
    // A variable that never had a gradient is left as it was.
    expect(Array.from(flatVars[3].dataSync())).toEqual(Array.from(untouched));
    // The steps did move the others (the comparison above is not between two unchanged copies).
    const moved = Math.max(...Array.from(flatVars[0].dataSync(), (x, k) => Math.abs(x - start[k])));
    expect(moved).toBeGreaterThan(1e-3);
    flat.dispose();
    reference.dispose();
    tf.dispose([...flatVars, ...refVars]);
  });

  it('continues exactly from its saved state', () => {
    const a = makeVariables('a');
    const b = makeVariables('b');
    const first = new FlatAdamW(a, { learningRate: 0.02, weightDecay: 0.01, decayed: DECAYED, clipNorm: 0 });
    for (let step = 1; step <= 3; step++) {
      const g = gradientsFor(a, step);
      first.applyGradients(g);
      tf.dispose(Object.values(g));
    }
    b.forEach((v, i) => v.assign(a[i]));
    const saved = first.getWeights();
    const second = new FlatAdamW(b, { learningRate: 0.02, weightDecay: 0.01, decayed: DECAYED, clipNorm: 0 });
    second.setWeights(saved.map((w) => ({ name: `optimizer/${w.name}`, tensor: w.tensor })));
    tf.dispose(saved.map((w) => w.tensor));
    const ga = gradientsFor(a, 4);
    const gb = gradientsFor(b, 4);
    first.applyGradients(ga);
    second.applyGradients(gb);
    a.forEach((v, i) => expect(Array.from(b[i].dataSync())).toEqual(Array.from(v.dataSync())));
    tf.dispose([...Object.values(ga), ...Object.values(gb), ...a, ...b]);
    first.dispose();
    second.dispose();
  });

  it('keeps the moving average of the parameters with the warm-up decay, resumes it, and writes it on request', () => {
    const vars = makeVariables('ema');
    const decay = 0.5;
    const optimizer = new FlatAdamW(vars, { learningRate: 0.05, weightDecay: 0.01, decayed: DECAYED, clipNorm: 0, averageDecay: decay });
    expect(optimizer.hasAverage).toBe(false);
    const expected = vars.map(() => [] as number[]);
    for (let step = 1; step <= 4; step++) {
      const g = gradientsFor(vars, step);
      optimizer.applyGradients(g);
      tf.dispose(Object.values(g));
      const d = Math.min(decay, (1 + step) / (10 + step));
      vars.slice(0, 3).forEach((v, i) => {
        const now = Array.from(v.dataSync());
        expected[i] = step === 1 ? now : expected[i].map((a, k) => d * a + (1 - d) * now[k]);
      });
    }
    const raw = vars.map((v) => Array.from(v.dataSync()));
    // Resumed state carries the average: a copy restored from getWeights writes the same one.
    const copies = makeVariables('ema_copy');
    const resumed = new FlatAdamW(copies, { learningRate: 0.05, weightDecay: 0.01, decayed: DECAYED, clipNorm: 0, averageDecay: decay });
    const saved = optimizer.getWeights();
    resumed.setWeights(saved);
    tf.dispose(saved.map((w) => w.tensor));
    optimizer.assignAverage();
    resumed.assignAverage();
    for (let i = 0; i < 3; i++) {
      const averaged = Array.from(vars[i].dataSync());
      averaged.forEach((a, k) => expect(Math.abs(a - expected[i][k])).toBeLessThan(1e-6));
      expect(averaged.some((a, k) => Math.abs(a - raw[i][k]) > 1e-4)).toBe(true);
      expect(Array.from(copies[i].dataSync())).toEqual(averaged);
    }
    // The variable without gradients is not touched.
    expect(Array.from(vars[3].dataSync())).toEqual(raw[3]);
    expect(() => new FlatAdamW(vars, { learningRate: 0.01, weightDecay: 0, decayed: DECAYED, clipNorm: 0, averageDecay: 1 })).toThrow(/options\.averageDecay/);
    const off = new FlatAdamW(vars, { learningRate: 0.01, weightDecay: 0, decayed: DECAYED, clipNorm: 0 });
    expect(() => off.assignAverage()).toThrow(/no average/);
    [optimizer, resumed, off].forEach((o) => o.dispose());
    tf.dispose([...vars, ...copies]);
  });

  it('leaks no tensors in a step, names the bad option, and refuses a step whose variables with gradients changed', async () => {
    const vars = makeVariables('leak');
    const optimizer = new FlatAdamW(vars, { learningRate: 0.01, weightDecay: 0.01, decayed: DECAYED, clipNorm: 1 });
    const warm = gradientsFor(vars, 1);
    optimizer.applyGradients(warm);
    tf.dispose(Object.values(warm));
    const grads = gradientsFor(vars, 2);
    expect(await leakedTensors(() => optimizer.applyGradients(grads))).toBe(0);
    expect(() => new FlatAdamW(vars, { learningRate: 0.01, weightDecay: 0, decayed: [true], clipNorm: 0 })).toThrow(/options\.decayed/);
    expect(() => new FlatAdamW(vars, { learningRate: -1, weightDecay: 0, decayed: DECAYED, clipNorm: 0 })).toThrow(/options\.learningRate/);
    const fewer = { [vars[0].name]: grads[vars[0].name] };
    expect(() => optimizer.applyGradients(fewer)).toThrow(/no gradient for leak_1/);
    tf.dispose(Object.values(grads));
    optimizer.dispose();
    tf.dispose(vars);
  });
});
