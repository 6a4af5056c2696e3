import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  TEST_BACKENDS,
  expectClose,
  expectFinite,
  expectGradientsMatch,
  leakedTensors,
  numericGradient,
  randomTensor,
  useBackend,
} from '@emoje/test-utils';
import { EmojeInputError } from '@emoje/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { QueryAdaptiveFusion, fusedWidth, modalityPairs, queryAdaptiveFusion } from './index';
import { fillMasked, utteranceValues } from './__tests__/fixtures';

const D = 4;

function expectInputError(fn: () => unknown, field: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(EmojeInputError);
  expect((caught as EmojeInputError).field).toBe(field);
  expect((caught as EmojeInputError).message).toContain(field);
}

/** Runs the layer eagerly and returns `[fused, beta]`. */
function fuse(layer: QueryAdaptiveFusion, inputs: tf.Tensor[]): [tf.Tensor, tf.Tensor] {
  return layer.apply(inputs) as [tf.Tensor, tf.Tensor];
}

describe('fusedWidth and modalityPairs', () => {
  it('count D per pair plus D for the weighted sum, in (0,1), (0,2), (1,2) order', () => {
    expect(fusedWidth(1, 8)).toBe(8);
    expect(fusedWidth(2, 8)).toBe(16);
    expect(fusedWidth(3, 8)).toBe(32);
    expect(fusedWidth(4, 5)).toBe(35);
    expect(modalityPairs(3)).toEqual([[0, 1], [0, 2], [1, 2]]);
    expect(modalityPairs(1)).toEqual([]);
    expectInputError(() => fusedWidth(0, 8), 'numModalities');
    expectInputError(() => fusedWidth(2, 0), 'units');
  });
});

describe.each(TEST_BACKENDS)('QueryAdaptiveFusion on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each([
    { m: 1, batch: 1, utterances: 1 },
    { m: 2, batch: 2, utterances: 3 },
    { m: 3, batch: 3, utterances: 2 },
  ])('gives [fused, beta] eagerly and symbolically for M=$m, B=$batch, U=$utterances', ({ m, batch, utterances }) => {
    const layer = queryAdaptiveFusion({ numModalities: m, seed: 1 });
    const c = randomTensor([batch, utterances, m, D], 2);
    const availability = tf.ones([batch, utterances, m]);
    const [fused, beta] = fuse(layer, [c, availability]);
    expect(fused.shape).toEqual([batch, utterances, fusedWidth(m, D)]);
    expect(beta.shape).toEqual([batch, utterances, m]);
    expect(layer.outputWidth).toBe(fusedWidth(m, D));
    const [withImputed] = fuse(layer, [c, availability, tf.zeros([batch, utterances, m])]);
    expectClose(withImputed, fused, 1e-6);

    const inputs = [tfl.input({ shape: [utterances, m, D] }), tfl.input({ shape: [utterances, m] })];
    const outputs = layer.apply(inputs) as tfl.SymbolicTensor[];
    expect(outputs.map((o) => o.shape)).toEqual([
      [null, utterances, fusedWidth(m, D)],
      [null, utterances, m],
    ]);
    const model = tfl.model({ inputs, outputs });
    const [pFused, pBeta] = model.predict([c, availability]) as tf.Tensor[];
    expectClose(pFused, fused, 1e-6);
    expectClose(pBeta, beta, 1e-6);
    expect(layer.computeOutputShape([[null, utterances, m, D], [null, utterances, m], [null, utterances, m]])).toEqual([
      [null, utterances, fusedWidth(m, D)],
      [null, utterances, m],
    ]);
  });

  it('matches a hand-computed case (weights set by setWeights)', () => {
    const layer = queryAdaptiveFusion({ numModalities: 2, units: 2, scoreUnits: 1 });
    // Utterance 0: both observed. Utterance 1: modality 1 imputed. Utterance 2: modality 0 alone.
    const c = tf.tensor4d([[[[1, 2], [3, -1]], [[1, 2], [3, -1]], [[1, 2], [99, 99]]]]);
    const availability = tf.tensor3d([[[1, 1], [1, 0], [1, 0]]]);
    const imputed = tf.tensor3d([[[0, 0], [0, 1], [0, 0]]]);
    layer.apply([c, availability, imputed]);
    expect(layer.getWeights().map((w) => w.shape)).toEqual([[2, 1], [1], [2, 1], [1, 1], [1], [2]]);
    const gate = [0, Math.log(3)]; // alpha = sigmoid(gate) = [0.5, 0.75]
    layer.setWeights([
      tf.tensor2d([[0.5], [0.25]]), // W_c
      tf.tensor1d([0.1]), // b
      tf.tensor2d([[1], [-1]]), // W_q
      tf.tensor2d([[2]]), // v
      tf.tensor1d([-1]), // imputed penalty
      tf.tensor1d(gate),
    ]);
    const [fused, beta] = fuse(layer, [c, availability, imputed]);

    // By hand: context = mean(c_0, c_1) = [2, 0.5], so W_q context = 2 - 0.5 = 1.5.
    const s0 = 2 * Math.tanh(0.5 * 1 + 0.25 * 2 + 0.1 + 1.5);
    const s1 = 2 * Math.tanh(0.5 * 3 + 0.25 * -1 + 0.1 + 1.5);
    const softmax2 = (a: number, b: number) => [Math.exp(a) / (Math.exp(a) + Math.exp(b)), Math.exp(b) / (Math.exp(a) + Math.exp(b))];
    const [b0, b1] = softmax2(s0, s1);
    const [i0, i1] = softmax2(s0, s1 - 1);
    const mix = [0.5 * 3 + 0.5 * 1, 0.75 * -1 + 0.25 * 2]; // alpha * c_1 + (1 - alpha) * c_0
    // Utterance 2: the context is c_0 itself, beta is one-hot and the pair is gated off.
    expectClose(beta, [b0, b1, i0, i1, 1, 0], 1e-5);
    expectClose(
      fused,
      [b0 * 1 + b1 * 3, b0 * 2 - b1, ...mix, i0 * 1 + i1 * 3, i0 * 2 - i1, ...mix, 1, 2, 0, 0],
      1e-5,
    );
    expect(i1).toBeLessThan(b1);
    expectClose(layer.mixingCoefficients(), [0.5, 0.75], 1e-6);
  });

  it('gives beta summing to 1 over usable modalities, 0 elsewhere, one-hot for a single one, zeros on padding', () => {
    const layer = queryAdaptiveFusion({ numModalities: 3, seed: 2 });
    const availability = [
      [[1, 1, 1], [1, 0, 1], [0, 1, 0], [0, 0, 0]],
      [[0, 0, 1], [1, 1, 0], [0, 0, 0], [0, 0, 0]],
    ];
    const imputed = [
      [[0, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0]],
      [[1, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]],
    ];
    const c = randomTensor([2, 4, 3, D], 3);
    const [fused, beta] = fuse(layer, [c, tf.tensor3d(availability), tf.tensor3d(imputed)]);
    const values = beta.arraySync() as number[][][];
    values.forEach((d, b) =>
      d.forEach((row, u) => {
        const usable = row.map((_, m) => Math.max(availability[b][u][m], imputed[b][u][m]));
        const total = row.reduce((s, v) => s + v, 0);
        expect(total).toBeCloseTo(usable.some((v) => v) ? 1 : 0, 5);
        row.forEach((v, m) => {
          if (!usable[m]) expect(v).toBe(0);
          else expect(v).toBeGreaterThan(0);
        });
        if (usable.filter((v) => v).length === 1) expect(row[usable.indexOf(1)]).toBeCloseTo(1, 6);
      }),
    );
    // A padded utterance fuses to zeros.
    expect(utteranceValues(fused, 0, 3).every((v) => v === 0)).toBe(true);
    expect(utteranceValues(fused, 1, 2).every((v) => v === 0)).toBe(true);
  });

  it('weighs an imputed modality down at initialisation', () => {
    const layer = queryAdaptiveFusion({ numModalities: 3, seed: 4 });
    const c = randomTensor([4, 2, 3, D], 5);
    const [, observed] = fuse(layer, [c, tf.ones([4, 2, 3])]);
    const [, flagged] = fuse(layer, [c, tf.tensor3d(Array(4).fill([[1, 0, 1], [1, 1, 0]])), tf.tensor3d(Array(4).fill([[0, 1, 0], [0, 0, 1]]))]);
    const o = observed.arraySync() as number[][][];
    const f = flagged.arraySync() as number[][][];
    for (let b = 0; b < 4; b++) {
      expect(f[b][0][1]).toBeLessThan(o[b][0][1]);
      expect(f[b][1][2]).toBeLessThan(o[b][1][2]);
    }
    const noPenalty = queryAdaptiveFusion({ numModalities: 3, seed: 4, imputedPenaltyInit: 0 });
    const [, unpenalised] = fuse(noPenalty, [c, tf.tensor3d(Array(4).fill([[1, 0, 1], [1, 1, 0]])), tf.tensor3d(Array(4).fill([[0, 1, 0], [0, 0, 1]]))]);
    expectClose(unpenalised, observed, 1e-6);
  });

  it('keeps alpha in [0, 1]: each pairwise mixture lies between its two descriptors', () => {
    const layer = queryAdaptiveFusion({ numModalities: 3, seed: 6 });
    const c = randomTensor([2, 3, 3, D], 7);
    const availability = tf.ones([2, 3, 3]);
    layer.apply([c, availability]);
    const weights = layer.getWeights();
    const gates = [tf.tensor1d([-80, -2, 0, 60]), tf.tensor1d([3, 1e4, -1e4, 0.5]), randomTensor([D], 8)];
    layer.setWeights([...weights.slice(0, weights.length - 3), ...gates]);
    const alpha = layer.mixingCoefficients();
    expect(alpha.shape).toEqual([3, D]);
    for (const a of alpha.dataSync()) {
      expect(a).toBeGreaterThanOrEqual(0);
      expect(a).toBeLessThanOrEqual(1);
    }
    const [fused] = fuse(layer, [c, availability]);
    const cv = c.arraySync() as number[][][][];
    const fv = fused.arraySync() as number[][][];
    for (let b = 0; b < 2; b++) {
      for (let u = 0; u < 3; u++) {
        modalityPairs(3).forEach(([i, j], p) => {
          for (let k = 0; k < D; k++) {
            const v = fv[b][u][D * (1 + p) + k];
            expect(v).toBeGreaterThanOrEqual(Math.min(cv[b][u][i][k], cv[b][u][j][k]) - 1e-6);
            expect(v).toBeLessThanOrEqual(Math.max(cv[b][u][i][k], cv[b][u][j][k]) + 1e-6);
          }
        });
      }
    }
  });

  it('ignores whatever unusable slots of c hold (random, NaN, Infinity)', () => {
    const layer = queryAdaptiveFusion({ numModalities: 3, seed: 9 });
    const c = randomTensor([2, 3, 3, D], 10);
    const availability = tf.tensor3d([
      [[1, 0, 1], [0, 1, 0], [0, 0, 0]],
      [[1, 1, 1], [0, 0, 1], [0, 0, 0]],
    ]);
    const imputed = tf.tensor3d([
      [[0, 1, 0], [0, 0, 0], [0, 0, 0]],
      [[0, 0, 0], [1, 0, 0], [0, 0, 0]],
    ]);
    const usable = tf.maximum(availability, imputed);
    const [refFused, refBeta] = fuse(layer, [c, availability, imputed]);
    for (const fill of ['random', NaN, Infinity, -Infinity] as const) {
      const [fused, beta] = fuse(layer, [fillMasked(c, usable, fill), availability, imputed]);
      expectFinite(fused);
      expectFinite(beta);
      expectClose(fused, refFused, 1e-6);
      expectClose(beta, refBeta, 1e-6);
    }
  });

  it('keeps utterances and dialogues apart', () => {
    const layer = queryAdaptiveFusion({ numModalities: 2, seed: 11 });
    const c = randomTensor([2, 3, 2, D], 12);
    const availability = tf.ones([2, 3, 2]);
    const [refFused, refBeta] = fuse(layer, [c, availability]);
    for (const [bj, uj] of [[0, 2], [1, 1]]) {
      const bump = tf.buffer([2, 3, 1, 1], 'float32');
      bump.set(1, bj, uj, 0, 0);
      const changed = tf.add(c, tf.mul(bump.toTensor(), randomTensor([2, 3, 2, D], 13)));
      const [fused, beta] = fuse(layer, [changed, availability]);
      for (let b = 0; b < 2; b++) {
        for (let u = 0; u < 3; u++) {
          const same = b !== bj || u !== uj;
          const diff = Math.max(...utteranceValues(fused, b, u).map((v, k) => Math.abs(v - utteranceValues(refFused, b, u)[k])));
          if (same) {
            expect(diff).toBeLessThanOrEqual(1e-6);
            expectClose(utteranceValues(beta, b, u), utteranceValues(refBeta, b, u), 1e-6);
          } else {
            expect(diff).toBeGreaterThan(1e-3);
          }
        }
      }
    }
  });

  it('has input and weight gradients that match finite differences', () => {
    const layer = queryAdaptiveFusion({ numModalities: 3, seed: 14 });
    const availability = tf.tensor3d([[[1, 1, 0], [1, 1, 1]]]);
    const imputed = tf.tensor3d([[[0, 0, 1], [0, 0, 0]]]);
    const probeFused = randomTensor([1, 2, fusedWidth(3, D)], 15);
    const probeBeta = randomTensor([1, 2, 3], 16);
    const loss = (c: tf.Tensor) => {
      const [fused, beta] = fuse(layer, [c, availability, imputed]);
      return tf.add(tf.sum(tf.mul(fused, probeFused)), tf.mul(tf.sum(tf.mul(beta, probeBeta)), 3)) as tf.Scalar;
    };
    const c = randomTensor([1, 2, 3, D], 17);
    expectGradientsMatch(numericGradient(loss, c, { count: 24 }), { atol: 5e-3, rtol: 5e-2 });

    // The imputed penalty and the first pair gate, by finite differences on the variables.
    for (const name of ['imputed_penalty', 'pair_0_1_gate']) {
      const variable = (layer.trainableWeights.find((w) => w.name.endsWith(name)) as unknown as { val: tf.Variable }).val;
      const { grads } = tf.variableGrads(() => loss(c), [variable]);
      const analytic = Array.from(grads[variable.name].dataSync());
      const base = variable.dataSync().slice();
      const at = (i: number, delta: number) => {
        const values = base.slice();
        values[i] += delta;
        variable.assign(tf.tensor(values, variable.shape));
        return tf.tidy(() => loss(c).dataSync()[0]);
      };
      const numeric = Array.from(base, (_, i) => (at(i, 1e-2) - at(i, -1e-2)) / 2e-2);
      variable.assign(tf.tensor(base, variable.shape));
      expectGradientsMatch({ analytic, numeric }, { atol: 5e-3, rtol: 5e-2 });
    }
  });

  it('leaks no tensors in a forward call or a gradient step', async () => {
    const layer = queryAdaptiveFusion({ numModalities: 3, seed: 18 });
    const inputs = [randomTensor([2, 2, 3, D], 19), tf.ones([2, 2, 3]), tf.zeros([2, 2, 3])];
    layer.apply(inputs);
    expect(await leakedTensors(() => layer.apply(inputs, { training: true }))).toBe(0);
    expect(await leakedTensors(() => layer.mixingCoefficients())).toBe(0);
    const vars = layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    expect(
      await leakedTensors(() => {
        const { value, grads } = tf.variableGrads(() => {
          const [fused, beta] = fuse(layer, inputs);
          return tf.add(tf.sum(tf.square(fused)), tf.sum(beta)) as tf.Scalar;
        }, vars);
        return [value, ...Object.values(grads)];
      }),
    ).toBe(0);
  });

  it('round-trips its config', () => {
    const layer = queryAdaptiveFusion({ numModalities: 2, scoreUnits: 3, imputedPenaltyInit: -2, seed: 5 });
    const inputs = [randomTensor([1, 2, 2, D], 20), tf.tensor3d([[[1, 0], [1, 1]]]), tf.tensor3d([[[0, 1], [0, 0]]])];
    const [fused, beta] = fuse(layer, inputs);
    const config = layer.getConfig();
    expect(config).toMatchObject({ numModalities: 2, units: D, scoreUnits: 3, imputedPenaltyInit: -2, seed: 5, name: layer.name });
    const copy = QueryAdaptiveFusion.fromConfig(QueryAdaptiveFusion, config) as QueryAdaptiveFusion;
    expect(copy.getConfig()).toEqual(config);
    copy.apply(inputs);
    copy.setWeights(layer.getWeights());
    const [f2, b2] = fuse(copy, inputs);
    expectClose(f2, fused, 1e-6);
    expectClose(b2, beta, 1e-6);
    expect(queryAdaptiveFusion({ numModalities: 3 }).getConfig()).toMatchObject({ units: null, scoreUnits: null, imputedPenaltyInit: -1, seed: null });
  });

  it('rejects bad arguments and inputs with an EmojeInputError naming the field', () => {
    expectInputError(() => queryAdaptiveFusion({ numModalities: 1.5 }), 'numModalities');
    expectInputError(() => queryAdaptiveFusion({ numModalities: 2, units: 0 }), 'units');
    expectInputError(() => queryAdaptiveFusion({ numModalities: 2, scoreUnits: -3 }), 'scoreUnits');
    expectInputError(() => queryAdaptiveFusion({ numModalities: 2, imputedPenaltyInit: Number.NaN }), 'imputedPenaltyInit');
    expectInputError(() => queryAdaptiveFusion({ numModalities: 2, seed: Infinity }), 'seed');
    const c = tf.zeros([2, 3, 2, D]);
    const availability = tf.ones([2, 3, 2]);
    const layer = () => queryAdaptiveFusion({ numModalities: 2 });
    expectInputError(() => layer().apply(c), 'inputs');
    expectInputError(() => layer().apply([c]), 'inputs');
    expectInputError(() => layer().apply([c, availability, availability, availability]), 'inputs');
    expectInputError(() => layer().apply([tf.zeros([2, 3, D]), availability]), 'c');
    expectInputError(() => layer().apply([tf.zeros([2, 3, 3, D]), availability]), 'c');
    expectInputError(() => layer().apply([c, tf.ones([2, 3, 3])]), 'availability');
    expectInputError(() => layer().apply([c, tf.ones([2, 4, 2])]), 'availability');
    expectInputError(() => layer().apply([c, availability, tf.ones([2, 3])]), 'imputed');
    expectInputError(() => queryAdaptiveFusion({ numModalities: 2, units: 6 }).apply([c, availability]), 'c');
    const built = layer();
    built.apply([c, availability]);
    expectInputError(() => built.apply([tf.zeros([2, 3, 2, 6]), availability]), 'c');
    expect(() => layer().mixingCoefficients()).toThrow(/built/);
  });
});
