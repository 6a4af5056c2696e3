import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  TEST_BACKENDS,
  expectClose,
  expectFinite,
  expectGradientsMatch,
  leakedTensors,
  numericGradient,
  useBackend,
} from '@emoje/test-utils';
import { EmojeInputError } from '@emoje/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdaptiveCrossAttention, adaptiveCrossAttention } from './index';
import { acnBatch, corruptAcnInputs, realEntries, realUtterances, utteranceValues, type ModalitySpec } from './__tests__/fixtures';

const D = 8;
const small = { numLayers: 2, numHeads: 2, seed: 3 };

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

describe.each(TEST_BACKENDS)('AdaptiveCrossAttention on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  const cases: Array<{ specs: ModalitySpec[]; batch: number; utterances: number; lengths?: number[] }> = [
    { specs: [null], batch: 1, utterances: 1 },
    { specs: [3], batch: 2, utterances: 3, lengths: [3, 1] },
    { specs: [null, null], batch: 1, utterances: 2 },
    { specs: [null, 4], batch: 2, utterances: 3, lengths: [2, 3] },
    { specs: [4, null, 3], batch: 3, utterances: 4, lengths: [4, 2, 1] },
  ];

  it.each(cases)('gives c [B,U,M,D] eagerly and symbolically for $specs, B=$batch, U=$utterances', ({ specs, batch, utterances, lengths }) => {
    const data = acnBatch(specs, { batch, utterances, width: D, lengths });
    const layer = adaptiveCrossAttention({ numModalities: specs.length, ...small });
    const c = layer.apply(data.inputs) as tf.Tensor;
    expect(c.shape).toEqual([batch, utterances, specs.length, D]);
    expectFinite(c);

    const symbolic = data.inputs.map((t) => tfl.input({ shape: t.shape.slice(1) }));
    const out = layer.apply(symbolic) as tfl.SymbolicTensor;
    expect(out.shape).toEqual([null, utterances, specs.length, D]);
    const model = tfl.model({ inputs: symbolic, outputs: out });
    const predicted = model.predict(data.inputs) as tf.Tensor;
    expectClose(predicted, c, 1e-5);
    expect(layer.computeOutputShape(data.inputs.map((t) => t.shape))).toEqual([batch, utterances, specs.length, D]);
  });

  it('ignores whatever missing modalities, padded utterances and padded frames hold (random, NaN, Infinity)', () => {
    const data = acnBatch([3, null, 4], { batch: 2, utterances: 4, width: D, lengths: [4, 2], seed: 5, missing: 0.45 });
    const layer = adaptiveCrossAttention({ numModalities: 3, ...small });
    const reference = layer.apply(data.inputs) as tf.Tensor;
    const real = realUtterances(data.availability);
    for (const fill of ['random', NaN, Infinity] as const) {
      const c = layer.apply(corruptAcnInputs(data, fill)) as tf.Tensor;
      expectFinite(c);
      expectClose(realEntries(c, real), realEntries(reference, real), 1e-6);
      expectClose(c, reference, 1e-6);
    }
    // c is exactly zero for a missing modality (and on padded utterances).
    const values = reference.dataSync();
    let checked = 0;
    data.availability.forEach((d, b) =>
      d.forEach((row, u) =>
        row.forEach((a, m) => {
          if (a) return;
          for (let k = 0; k < D; k++) expect(Object.is(values[((b * 4 + u) * 3 + m) * D + k], 0)).toBe(true);
          checked += 1;
        }),
      ),
    );
    expect(checked).toBeGreaterThan(3);
  });

  it('a modality with no present partner keeps only its own path, and adding a partner changes it', () => {
    const data = acnBatch([null, null], { batch: 1, utterances: 1, width: D, missing: 0 });
    const layer = adaptiveCrossAttention({ numModalities: 2, ...small });
    const both = layer.apply(data.inputs) as tf.Tensor;
    const onlyFirst = layer.apply([data.inputs[0], data.inputs[1], tf.tensor3d([[[1, 0]]])]) as tf.Tensor;
    const firstBoth = tf.slice(both, [0, 0, 0, 0], [1, 1, 1, D]);
    const firstAlone = tf.slice(onlyFirst, [0, 0, 0, 0], [1, 1, 1, D]);
    expect(tf.max(tf.abs(tf.sub(firstBoth, firstAlone))).dataSync()[0]).toBeGreaterThan(1e-3);
    // Alone, the descriptor does not depend on the (missing) partner's values at all.
    const partnerChanged = layer.apply([data.inputs[0], tf.mul(data.inputs[1], 5), tf.tensor3d([[[1, 0]]])]) as tf.Tensor;
    expectClose(partnerChanged, onlyFirst, 0);
  });

  it('keeps utterances and dialogues apart: changing utterance j changes nothing elsewhere', () => {
    const data = acnBatch([3, null], { batch: 2, utterances: 3, width: D, missing: 0, seed: 9 });
    const layer = adaptiveCrossAttention({ numModalities: 2, ...small });
    const reference = layer.apply(data.inputs) as tf.Tensor;
    for (const [bj, uj] of [[0, 1], [1, 0]]) {
      const bump = tf.buffer([2, 3], 'float32');
      bump.set(1, bj, uj);
      const changed = data.inputs.map((t, i) => {
        if (i > 1) return t;
        let m: tf.Tensor = bump.toTensor();
        while (m.rank < t.rank) m = tf.expandDims(m, -1);
        // A random change (a constant shift would vanish in the LayerNorms).
        return tf.add(t, tf.mul(m, tf.randomNormal(t.shape, 0, 2, 'float32', 17 + i)));
      });
      const c = layer.apply(changed) as tf.Tensor;
      for (let b = 0; b < 2; b++) {
        for (let u = 0; u < 3; u++) {
          if (b === bj && u === uj) {
            expect(Math.max(...utteranceValues(c, b, u).map((v, k) => Math.abs(v - utteranceValues(reference, b, u)[k])))).toBeGreaterThan(1e-3);
          } else {
            expectClose(utteranceValues(c, b, u), utteranceValues(reference, b, u), 1e-6);
          }
        }
      }
    }
  });

  it('uses dropout only in training, reproducibly from its seed, and keeps missing modalities at zero', () => {
    const data = acnBatch([null, 3], { batch: 2, utterances: 2, width: D, seed: 4, missing: 0.4 });
    const make = () => adaptiveCrossAttention({ numModalities: 2, ...small, dropout: 0.3 });
    const a = make();
    const b = make();
    const inference = a.apply(data.inputs) as tf.Tensor;
    expectClose(a.apply(data.inputs, { training: false }) as tf.Tensor, inference, 0);
    const trainA = a.apply(data.inputs, { training: true }) as tf.Tensor;
    const trainB = b.apply(data.inputs, { training: true }) as tf.Tensor;
    expectClose(trainA, trainB, 1e-6);
    expect(tf.max(tf.abs(tf.sub(trainA, inference))).dataSync()[0]).toBeGreaterThan(1e-4);
    const trainAgain = a.apply(data.inputs, { training: true }) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(trainAgain, trainA))).dataSync()[0]).toBeGreaterThan(1e-4);
    const values = trainA.dataSync();
    data.availability.forEach((d, bi) => d.forEach((row, u) => row.forEach((v, m) => {
      if (!v) for (let k = 0; k < D; k++) expect(values[((bi * 2 + u) * 2 + m) * D + k]).toBe(0);
    })));
  });

  it('has input gradients that match finite differences', () => {
    const data = acnBatch([null, 2], { batch: 1, utterances: 2, width: 4, seed: 2, missing: 0 });
    const layer = adaptiveCrossAttention({ numModalities: 2, numLayers: 1, numHeads: 2, seed: 8 });
    const probe = tf.randomNormal([1, 2, 2, 4], 0, 1, 'float32', 5);
    const f = (x: tf.Tensor) =>
      tf.sum(tf.mul(layer.apply([data.inputs[0], x, data.inputs[2], data.inputs[3]]) as tf.Tensor, probe)) as tf.Scalar;
    // Gradient flows from the audio frames into both descriptors (the text one through cross-attention).
    expectGradientsMatch(numericGradient(f, data.inputs[1], { count: 16 }), { atol: 5e-3, rtol: 5e-2 });
  });

  it('has weight gradients that match finite differences', () => {
    const data = acnBatch([null, 2], { batch: 1, utterances: 2, width: 4, seed: 6, missing: 0 });
    const layer = adaptiveCrossAttention({ numModalities: 2, numLayers: 1, numHeads: 2, seed: 8 });
    layer.apply(data.inputs);
    const probe = tf.randomNormal([1, 2, 2, 4], 0, 1, 'float32', 7);
    const loss = () => tf.sum(tf.mul(layer.apply(data.inputs) as tf.Tensor, probe)) as tf.Scalar;
    const weight = layer.trainableWeights.find((w) => w.name.includes('layer0_m0_attention_value_kernel'));
    expect(weight).toBeDefined();
    const variable = (weight as unknown as { val: tf.Variable }).val;
    const { grads } = tf.variableGrads(loss, [variable]);
    const analytic = Array.from(grads[variable.name].dataSync());
    const base = variable.dataSync().slice();
    const eps = 1e-2;
    const numeric = Array.from(base, (_, i) => {
      const probeAt = (delta: number) => {
        const values = base.slice();
        values[i] += delta;
        variable.assign(tf.tensor(values, variable.shape));
        return tf.tidy(() => loss().dataSync()[0]);
      };
      return (probeAt(eps) - probeAt(-eps)) / (2 * eps);
    });
    variable.assign(tf.tensor(base, variable.shape));
    expectGradientsMatch({ analytic, numeric }, { atol: 5e-3, rtol: 5e-2 });
  });

  describe('with one token per modality (the stacked path)', () => {
    /** The same utterances as one-frame sequences `[B,U,1,D]` with all-ones frame masks: the general path. */
    const asFrames = (inputs: tf.Tensor[], m: number) => [
      ...inputs.slice(0, m).map((h) => tf.expandDims(h, 2)),
      inputs[m],
      ...inputs.slice(0, m).map((h) => tf.ones([...h.shape.slice(0, 2), 1])),
    ];
    const weightsOf = (layer: AdaptiveCrossAttention) => layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);

    it('gives the outputs and weight gradients of the general path on the same data as one-frame sequences', () => {
      const data = acnBatch([null, null, null], { batch: 2, utterances: 3, width: D, lengths: [3, 2], seed: 11, missing: 0.4 });
      const layer = adaptiveCrossAttention({ numModalities: 3, ...small });
      const frames = asFrames(data.inputs, 3);
      const stacked = layer.apply(data.inputs) as tf.Tensor;
      expectClose(stacked, layer.apply(frames) as tf.Tensor, 1e-5);
      expectFinite(stacked);

      const probe = tf.randomNormal(stacked.shape, 0, 1, 'float32', 4);
      const vars = weightsOf(layer);
      const gradsOf = (inputs: tf.Tensor[]) =>
        tf.variableGrads(() => tf.sum(tf.mul(layer.apply(inputs) as tf.Tensor, probe)) as tf.Scalar, vars).grads;
      const fast = gradsOf(data.inputs);
      const general = gradsOf(frames);
      let compared = 0;
      for (const v of vars) {
        if (/_attention_(query|key)_/.test(v.name)) {
          // The query and key of an attention over one key cannot change its output: no gradient on either path.
          expect(fast[v.name]).toBeUndefined();
          if (general[v.name]) expect(tf.max(tf.abs(general[v.name])).dataSync()[0]).toBeLessThan(1e-6);
          continue;
        }
        expectClose(fast[v.name], general[v.name], 1e-4);
        compared++;
      }
      // Per layer and modality: 2 norms (gain, offset) + value + output + 2 feed-forward maps (kernel, bias); final norms.
      expect(compared).toBe(2 * 3 * (4 + 4 + 4) + 3 * 2);
    });

    it('has input gradients that match finite differences', () => {
      const data = acnBatch([null, null, null], { batch: 1, utterances: 2, width: 4, seed: 9, missing: 0.3 });
      const layer = adaptiveCrossAttention({ numModalities: 3, numLayers: 2, numHeads: 2, seed: 8 });
      const probe = tf.randomNormal([1, 2, 3, 4], 0, 1, 'float32', 5);
      const f = (x: tf.Tensor) => tf.sum(tf.mul(layer.apply([x, data.inputs[1], data.inputs[2], data.inputs[3]]) as tf.Tensor, probe)) as tf.Scalar;
      expectGradientsMatch(numericGradient(f, data.inputs[0], { count: 8 }), { atol: 5e-3, rtol: 5e-2 });
    });

    it('leaks no tensors in a training call or a gradient step', async () => {
      const data = acnBatch([null, null, null], { batch: 2, utterances: 2, width: D, seed: 3 });
      const layer = adaptiveCrossAttention({ numModalities: 3, ...small });
      layer.apply(data.inputs);
      expect(await leakedTensors(() => layer.apply(data.inputs, { training: true }))).toBe(0);
      const vars = weightsOf(layer);
      expect(
        await leakedTensors(() => {
          const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(layer.apply(data.inputs, { training: true }) as tf.Tensor)) as tf.Scalar, vars);
          return [value, ...Object.values(grads)];
        }),
      ).toBe(0);
    });
  });

  it('leaks no tensors in a forward call or a gradient step', async () => {
    const data = acnBatch([3, null], { batch: 2, utterances: 2, width: D, seed: 3 });
    const layer = adaptiveCrossAttention({ numModalities: 2, ...small });
    layer.apply(data.inputs);
    expect(await leakedTensors(() => layer.apply(data.inputs, { training: true }))).toBe(0);
    const vars = layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    expect(
      await leakedTensors(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(layer.apply(data.inputs, { training: true }) as tf.Tensor)) as tf.Scalar, vars);
        return [value, ...Object.values(grads)];
      }),
    ).toBe(0);
  });

  it('round-trips its config and rebuilds the same weights in the same order', () => {
    const data = acnBatch([3, null, null], { batch: 1, utterances: 2, width: D, seed: 12 });
    const layer = adaptiveCrossAttention({ numModalities: 3, numLayers: 1, numHeads: 4, feedForwardDim: 12, dropout: 0.2, activation: 'relu', seed: 1 });
    const c = layer.apply(data.inputs) as tf.Tensor;
    const config = layer.getConfig();
    expect(config).toMatchObject({
      numModalities: 3,
      units: D,
      numLayers: 1,
      numHeads: 4,
      feedForwardDim: 12,
      dropout: 0.2,
      activation: 'relu',
      seed: 1,
      name: layer.name,
      trainable: true,
    });
    const copy = AdaptiveCrossAttention.fromConfig(AdaptiveCrossAttention, config) as AdaptiveCrossAttention;
    expect(copy.getConfig()).toEqual(config);
    copy.apply(data.inputs);
    expect(copy.getWeights().map((w) => w.shape)).toEqual(layer.getWeights().map((w) => w.shape));
    copy.setWeights(layer.getWeights());
    expectClose(copy.apply(data.inputs) as tf.Tensor, c, 1e-6);
    expect(adaptiveCrossAttention({ numModalities: 2 }).getConfig()).toMatchObject({
      units: null,
      numLayers: 4,
      numHeads: 4,
      feedForwardDim: null,
      dropout: 0.1,
      activation: 'gelu',
      seed: null,
    });
  });

  it('rejects bad arguments with an EmojeInputError naming the argument', () => {
    expectInputError(() => adaptiveCrossAttention({ numModalities: 0 }), 'numModalities');
    expectInputError(() => adaptiveCrossAttention({ numModalities: 2, units: 2.5 }), 'units');
    expectInputError(() => adaptiveCrossAttention({ numModalities: 2, numLayers: 0 }), 'numLayers');
    expectInputError(() => adaptiveCrossAttention({ numModalities: 2, numHeads: 0 }), 'numHeads');
    expectInputError(() => adaptiveCrossAttention({ numModalities: 2, units: 6, numHeads: 4 }), 'numHeads');
    expectInputError(() => adaptiveCrossAttention({ numModalities: 2, feedForwardDim: -1 }), 'feedForwardDim');
    expectInputError(() => adaptiveCrossAttention({ numModalities: 2, dropout: 1.5 }), 'dropout');
    expectInputError(() => adaptiveCrossAttention({ numModalities: 2, activation: 'swish' as never }), 'activation');
    expectInputError(() => adaptiveCrossAttention({ numModalities: 2, seed: Number.NaN }), 'seed');
  });

  it('rejects bad inputs with an EmojeInputError naming the input', () => {
    const text = tf.zeros([2, 3, D]);
    const audio = tf.zeros([2, 3, 4, D]);
    const availability = tf.ones([2, 3, 2]);
    const frames = tf.ones([2, 3, 4]);
    const layer = () => adaptiveCrossAttention({ numModalities: 2, ...small });
    expectInputError(() => layer().apply(text), 'inputs');
    expectInputError(() => layer().apply([text, audio, availability]), 'inputs');
    expectInputError(() => layer().apply([text, audio, tf.ones([2, 3, 3]), frames]), 'availability');
    expectInputError(() => layer().apply([text, tf.zeros([2, 3, 4, 6]), availability, frames]), 'h_2');
    expectInputError(() => layer().apply([text, audio, availability, tf.ones([2, 3, 5])]), 'frameMask_2');
    expectInputError(() => layer().apply([tf.zeros([2, 3]), audio, availability, frames]), 'h_1');
    expectInputError(() => layer().apply([text, tf.zeros([2, 4, 4, D]), availability, frames]), 'h_2');
    expectInputError(() => adaptiveCrossAttention({ numModalities: 2, numHeads: 3 }).apply([text, audio, availability, frames]), 'numHeads');
    expectInputError(() => adaptiveCrossAttention({ numModalities: 2, units: 4, numHeads: 2 }).apply([text, audio, availability, frames]), 'h_1');
    // A built layer checks every later call too.
    const built = layer();
    built.apply([text, audio, availability, frames]);
    expectInputError(() => built.apply([text, audio, tf.ones([2, 3, 1]), frames]), 'availability');
    expectInputError(() => built.apply([tfl.input({ shape: [3, D] }), tfl.input({ shape: [3, 4, D] }), tfl.input({ shape: [3, 4] }), tfl.input({ shape: [3, 4] })]), 'availability');
  });
});
