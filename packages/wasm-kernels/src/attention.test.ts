import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  FusedKernel,
  InitializerSource,
  applyAttention,
  attentionCore,
  createAttention,
  fusedAttentionProbabilities,
  hasFusedKernel,
  maskedSoftmax,
  matMul,
  setFusedKernelsEnabled,
  type WeightFactory,
} from '@emoje/core';
import { expectClose, expectGradientsMatch, leakedTensors, numericGradient, randomTensor, useBackend } from '@emoje/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmKernels, unregisterWasmKernels } from './index';

interface Case {
  name: string;
  n: number;
  tq: number;
  tk: number;
  d: number;
  heads: number;
  /** The mask, [N, Tk] or [N, Tq, Tk], 0/1. */
  mask: (n: number, tq: number, tk: number) => tf.Tensor;
  /** Value written into masked keys and values (they must hold finite values). */
  padValue?: number;
}

/** Deterministic 0/1 key mask with a ragged number of real keys per row (row `i` keeps `tk - i % 3`). */
function keyMask(n: number, _tq: number, tk: number, emptyRows: number[] = []): tf.Tensor {
  const values = new Float32Array(n * tk);
  for (let b = 0; b < n; b++) {
    const real = emptyRows.includes(b) ? 0 : Math.max(1, tk - (b % 3));
    for (let j = 0; j < real; j++) values[b * tk + j] = 1;
  }
  return tf.tensor2d(values, [n, tk]);
}

/** `[N, Tq, Tk]` causal mask (query i sees keys <= i + offset), with some query rows that see nothing. */
function causalMask(n: number, tq: number, tk: number, emptyQueries: number[] = []): tf.Tensor {
  const values = new Float32Array(n * tq * tk);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < tq; i++) {
      if (emptyQueries.includes((b + i) % tq)) continue;
      for (let j = 0; j <= Math.min(tk - 1, i + b); j++) values[(b * tq + i) * tk + j] = 1;
    }
  }
  return tf.tensor3d(values, [n, tq, tk]);
}

const CASES: Case[] = [
  { name: 'one head, key mask, Tq != Tk', n: 3, tq: 5, tk: 7, d: 6, heads: 1, mask: (n, tq, tk) => keyMask(n, tq, tk) },
  { name: 'four heads of width 3, causal mask', n: 2, tq: 9, tk: 9, d: 12, heads: 4, mask: (n, tq, tk) => causalMask(n, tq, tk) },
  { name: 'key mask with a batch entry whose keys are all masked', n: 4, tq: 6, tk: 5, d: 8, heads: 4, mask: (n, tq, tk) => keyMask(n, tq, tk, [2]) },
  {
    name: 'query mask with queries that see no key, padded keys holding large values',
    n: 3,
    tq: 7,
    tk: 11,
    d: 20,
    heads: 4,
    mask: (n, tq, tk) => causalMask(n, tq, tk, [0, 4]),
    padValue: 1e4,
  },
  { name: 'model-sized: 4 heads of 16, 13 queries over 37 keys', n: 5, tq: 13, tk: 37, d: 64, heads: 4, mask: (n, tq, tk) => keyMask(n, tq, tk, [1]), padValue: -3e3 },
  { name: 'single key and single query', n: 2, tq: 1, tk: 1, d: 4, heads: 2, mask: (n, tq, tk) => keyMask(n, tq, tk) },
];

/** q, k, v for a case; masked keys (of a [N, Tk] mask) hold `padValue` when given. */
function inputs(c: Case, seed: number): { q: tf.Tensor; k: tf.Tensor; v: tf.Tensor; mask: tf.Tensor } {
  return tf.tidy(() => {
    const mask = c.mask(c.n, c.tq, c.tk);
    let k = randomTensor([c.n, c.tk, c.d], seed + 1);
    let v = randomTensor([c.n, c.tk, c.d], seed + 2);
    if (c.padValue !== undefined) {
      // A key no query may see: masked in the [N, Tk] mask, or unseen by every query of a [N, Tq, Tk] mask.
      const keyReal = mask.rank === 2 ? mask : tf.max(mask, 1);
      const real = tf.reshape(keyReal, [c.n, c.tk, 1]);
      const pad = tf.mul(tf.sub(1, real), c.padValue);
      k = tf.add(tf.mul(k, real), pad);
      v = tf.add(tf.mul(v, real), pad);
    }
    return { q: randomTensor([c.n, c.tq, c.d], seed), k, v, mask };
  });
}

/** Value and gradients (q, k, v) of `sum(attentionCore(q, k, v) * r)`, fused or op by op. */
function valueAndGrads(c: Case, fused: boolean, seed = 3): { out: tf.Tensor; dq: tf.Tensor; dk: tf.Tensor; dv: tf.Tensor } {
  setFusedKernelsEnabled(fused);
  try {
    return tf.tidy(() => {
      const { q, k, v, mask } = inputs(c, seed);
      const r = randomTensor([c.n, c.tq, c.d], seed + 7);
      const out = attentionCore(q, k, v, mask, c.heads);
      const [dq, dk, dv] = tf.grads((a: tf.Tensor, b: tf.Tensor, e: tf.Tensor) => tf.sum(tf.mul(attentionCore(a, b, e, mask, c.heads), r)))([q, k, v]);
      return { out, dq, dk, dv };
    });
  } finally {
    setFusedKernelsEnabled(true);
  }
}

/** The names of the kernels `f` runs. */
async function kernelsOf(f: () => tf.TensorContainer): Promise<string[]> {
  const info = await tf.profile(() => f());
  return info.kernelNames;
}

describe('fused attention (wasm)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    const registration = await registerWasmKernels();
    expect(registration.kernels).toEqual(expect.arrayContaining([FusedKernel.Attention, FusedKernel.AttentionGrad]));
  });
  afterEach(() => setFusedKernelsEnabled(true));
  afterAll(() => unregisterWasmKernels());

  it('is registered for wasm, so attentionCore takes the fused path', async () => {
    expect(hasFusedKernel(FusedKernel.Attention)).toBe(true);
    const c = CASES[1];
    const run = () => tf.tidy(() => {
      const { q, k, v, mask } = inputs(c, 1);
      return attentionCore(q, k, v, mask, c.heads);
    });
    const fused = await kernelsOf(run);
    expect(fused).toContain(FusedKernel.Attention);
    expect(fused).not.toContain('Softmax');
    setFusedKernelsEnabled(false);
    const unfused = await kernelsOf(run);
    expect(unfused).not.toContain(FusedKernel.Attention);
    expect(unfused).toContain('Softmax');
  });

  it.each(CASES)('matches the op-by-op values and gradients within 1e-5: $name', (c) => {
    const ref = valueAndGrads(c, false);
    const got = valueAndGrads(c, true);
    try {
      expectClose(got.out, ref.out, 1e-5);
      expectClose(got.dq, ref.dq, 1e-5);
      expectClose(got.dk, ref.dk, 1e-5);
      expectClose(got.dv, ref.dv, 1e-5);
      // The comparison is not vacuous: the gradients have non-zero entries (dq and dk are 0 over a single key).
      for (const g of c.tk > 1 ? [got.dq, got.dk, got.dv] : [got.dv]) expect(tf.max(tf.abs(g)).dataSync()[0]).toBeGreaterThan(1e-3);
    } finally {
      tf.dispose([ref, got] as unknown as tf.TensorContainer);
    }
  });

  it('keeps applyAttention (projections and attention fused) equal to op by op, gradients of every weight included', () => {
    const variables: tf.Variable[] = [];
    const add: WeightFactory = (name, shape, init) => {
      const w = new tfl.LayerVariable(init.apply(shape), 'float32', name, true);
      variables.push(w.read() as tf.Variable);
      return w;
    };
    const w = createAttention(add, new InitializerSource(17), 'mha', 12, 4);
    const c: Case = { name: 'mha', n: 3, tq: 5, tk: 6, d: 12, heads: 4, mask: (n, tq, tk) => keyMask(n, tq, tk, [1]) };
    const { q: query, k: keyValue, mask } = inputs(c, 21);
    const r = randomTensor([c.n, c.tq, c.d], 22);
    const run = (fused: boolean) => {
      setFusedKernelsEnabled(fused);
      return tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(applyAttention(query, keyValue, mask, w), r)) as tf.Scalar, variables);
        return [value, ...variables.map((v) => grads[v.name])];
      });
    };
    const ref = run(false);
    const got = run(true);
    try {
      expect(variables).toHaveLength(8);
      got.forEach((g, i) => expectClose(g, ref[i], 1e-5));
      expect(tf.max(tf.abs(got[1])).dataSync()[0]).toBeGreaterThan(1e-3);
    } finally {
      tf.dispose([...ref, ...got, query, keyValue, mask, r, ...variables]);
    }
  });

  it('gives a query with no allowed key a zero context and no gradient', () => {
    const c = CASES[3];
    const got = valueAndGrads(c, true);
    const mask = c.mask(c.n, c.tq, c.tk);
    try {
      const rows = tf.tidy(() => tf.reshape(tf.max(mask, 2), [-1]).dataSync());
      const out = got.out.arraySync() as number[][][];
      const dq = got.dq.arraySync() as number[][][];
      let empty = 0;
      rows.forEach((seen, row) => {
        if (seen > 0) return;
        empty++;
        const [b, i] = [Math.floor(row / c.tq), row % c.tq];
        expect(out[b][i].every((x) => x === 0)).toBe(true);
        expect(dq[b][i].every((x) => x === 0)).toBe(true);
      });
      expect(empty).toBeGreaterThan(0);
    } finally {
      tf.dispose([got, mask] as unknown as tf.TensorContainer);
    }
  });

  it('matches the op-by-op values in inference (no gradient recorded)', () => {
    for (const c of CASES) {
      const run = (fused: boolean) => {
        setFusedKernelsEnabled(fused);
        return tf.tidy(() => {
          const { q, k, v, mask } = inputs(c, 5);
          return attentionCore(q, k, v, mask, c.heads);
        });
      };
      const ref = run(false);
      const got = run(true);
      expectClose(got, ref, 1e-5);
      tf.dispose([ref, got]);
    }
  });

  it('gives the probabilities of maskedSoftmax through fusedAttentionProbabilities', () => {
    const c = CASES[4];
    tf.tidy(() => {
      const { q, k, mask } = inputs(c, 9);
      const probs = fusedAttentionProbabilities(q, k, mask, c.heads);
      expect(probs).not.toBeNull();
      const split = (x: tf.Tensor, t: number) => tf.reshape(tf.transpose(tf.reshape(x, [c.n, t, c.heads, c.d / c.heads]), [0, 2, 1, 3]), [c.n * c.heads, t, c.d / c.heads]);
      const logits = tf.reshape(tf.mul(matMul(split(q, c.tq), split(k, c.tk), false, true), 1 / Math.sqrt(c.d / c.heads)), [c.n, c.heads, c.tq, c.tk]);
      const ref = maskedSoftmax(logits, tf.reshape(mask, [c.n, 1, 1, c.tk]));
      expectClose(probs as tf.Tensor, ref, 1e-6);
      setFusedKernelsEnabled(false);
      expect(fusedAttentionProbabilities(q, k, mask, c.heads)).toBeNull();
    });
  });

  it('has gradients that agree with central finite differences', () => {
    const c: Case = { name: 'fd', n: 2, tq: 3, tk: 5, d: 6, heads: 2, mask: (n, tq, tk) => causalMask(n, tq, tk) };
    const { q, k, v, mask } = inputs(c, 11);
    const r = randomTensor([c.n, c.tq, c.d], 12);
    try {
      expectGradientsMatch(numericGradient((x) => tf.sum(tf.mul(attentionCore(x, k, v, mask, c.heads), r)) as tf.Scalar, q, { epsilon: 1e-2, count: 36 }));
      expectGradientsMatch(numericGradient((x) => tf.sum(tf.mul(attentionCore(q, x, v, mask, c.heads), r)) as tf.Scalar, k, { epsilon: 1e-2, count: 60 }));
      expectGradientsMatch(numericGradient((x) => tf.sum(tf.mul(attentionCore(q, k, x, mask, c.heads), r)) as tf.Scalar, v, { epsilon: 1e-2, count: 60 }));
    } finally {
      tf.dispose([q, k, v, mask, r]);
    }
  });

  it('leaks no tensors, forward or backward', async () => {
    const c = CASES[3];
    const { q, k, v, mask } = inputs(c, 13);
    try {
      expect(await leakedTensors(() => attentionCore(q, k, v, mask, c.heads))).toBe(0);
      expect(await leakedTensors(() => tf.grads((a: tf.Tensor, b: tf.Tensor, e: tf.Tensor) => tf.sum(attentionCore(a, b, e, mask, c.heads)))([q, k, v]))).toBe(0);
      expect(await leakedTensors(() => fusedAttentionProbabilities(q, k, mask, c.heads))).toBe(0);
    } finally {
      tf.dispose([q, k, v, mask]);
    }
  });

  it('rejects shapes that do not fit before running the kernel', () => {
    tf.tidy(() => {
      const q = tf.zeros([2, 3, 8]);
      const k = tf.zeros([2, 4, 8]);
      expect(() => attentionCore(q, k, k, tf.ones([2, 5]), 2)).toThrow(/mask \[2, 5\]/);
      expect(() => attentionCore(q, k, tf.zeros([2, 4, 6]), tf.ones([2, 4]), 2)).toThrow(/attentionCore/);
      expect(() => attentionCore(q, k, k, tf.ones([2, 4]), 3)).toThrow(/numHeads 3/);
    });
  });
});
