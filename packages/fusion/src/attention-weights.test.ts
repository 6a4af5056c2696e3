import * as tf from '@tensorflow/tfjs-core';
import { InitializerSource, applyAttention, applyLinear, createAttention, type WeightFactory } from '@emoje/core';
import { TEST_BACKENDS, expectClose, expectFinite, leakedTensors, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { adaptiveCrossAttention, attentionProbabilities } from './index';
import { acnBatch, corruptAcnInputs } from './__tests__/fixtures';

const D = 8;

/**
 * A MOSI-like batch for the token-sequence text path: text as word tokens `[B, U, S, D]` with padded tails of varied
 * length, audio and visual one vector each, modalities missing at random, padded utterances.
 */
function tokenTextBatch(seed = 4) {
  return acnBatch([7, null, null], { batch: 2, utterances: 4, width: D, lengths: [4, 3], seed, missing: 0.4 });
}

describe.each(TEST_BACKENDS)('ACN attention over word tokens on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('attentionProbabilities times the projected values is applyAttention before its output projection', () => {
    const weights: tf.Variable[] = [];
    const add: WeightFactory = (name, shape, init) => {
      const v = tf.variable(init.apply(shape), true, `${name}_${Math.random()}`);
      weights.push(v);
      return { read: () => v, name } as never;
    };
    const w = createAttention(add, new InitializerSource(2), 'mha', D, 2);
    const q = tf.randomNormal([3, 2, D], 0, 1, 'float32', 1);
    const kv = tf.randomNormal([3, 5, D], 0, 1, 'float32', 2);
    const mask = tf.tensor2d([[1, 1, 1, 0, 0], [1, 0, 0, 0, 0], [1, 1, 1, 1, 1]]);
    const probs = attentionProbabilities(q, kv, mask, w);
    expect(probs.shape).toEqual([3, 2, 2, 5]);
    const v = tf.transpose(tf.reshape(applyLinear(kv, w.value), [3, 5, 2, D / 2]), [0, 2, 1, 3]);
    const context = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [3, 2, D]);
    expectClose(applyLinear(context, w.output), applyAttention(q, kv, mask, w), 1e-4);
    tf.dispose([q, kv, mask, probs, v, context, ...weights]);
  });

  it("each audio or visual query's weights over a dialogue's word tokens sum to one over the real tokens only", () => {
    const data = tokenTextBatch();
    const layer = adaptiveCrossAttention({ numModalities: 3, numLayers: 2, numHeads: 2, seed: 3 });
    const attention = layer.attentionWeights(data.inputs);
    expect(attention).toHaveLength(2 * 3 * 2);
    const words = data.slotMasks[0].arraySync() as number[][][];
    let rows = 0;
    for (const { query, key, weights } of attention.filter((a) => a.key === 0)) {
      expect(weights.shape).toEqual([2, 4, 2, 1, 7]);
      const w = weights.arraySync() as number[][][][][];
      w.forEach((dialogue, b) =>
        dialogue.forEach((heads, u) => {
          const queryPresent = data.availability[b][u][query] > 0;
          const textPresent = data.availability[b][u][key] > 0;
          for (const [row] of heads) {
            const sum = row.reduce((s, x) => s + x, 0);
            if (queryPresent && textPresent) {
              expect(sum).toBeCloseTo(1, 5);
              rows += 1;
            } else {
              expect(sum).toBe(0);
            }
            row.forEach((x, s) => {
              if (!words[b][u][s]) expect(x).toBe(0);
              else expect(x).toBeGreaterThanOrEqual(0);
            });
          }
        }),
      );
    }
    expect(rows).toBeGreaterThan(4);
    // The words attend to the one audio token: weight 1 where both are present, on real words only.
    const textToAudio = attention.find((a) => a.layer === 0 && a.query === 0 && a.key === 1)!.weights.arraySync() as number[][][][][];
    textToAudio.forEach((dialogue, b) =>
      dialogue.forEach((heads, u) =>
        heads.forEach((tokens) =>
          tokens.forEach(([x], s) => expect(x).toBe(words[b][u][s] && data.availability[b][u][1] > 0 ? 1 : 0)),
        ),
      ),
    );
    tf.dispose([...data.inputs, ...data.slotMasks, ...attention.map((a) => a.weights)]);
  });

  it('with NaN or garbage in missing modalities, padded words and padded utterances, descriptors and attention weights do not change', () => {
    const data = tokenTextBatch(9);
    const layer = adaptiveCrossAttention({ numModalities: 3, numLayers: 2, numHeads: 2, seed: 5 });
    const clean = layer.apply(data.inputs) as tf.Tensor;
    const cleanAttention = layer.attentionWeights(data.inputs);
    for (const fill of [Number.NaN, 'random'] as const) {
      const corrupted = corruptAcnInputs(data, fill);
      const c = layer.apply(corrupted) as tf.Tensor;
      expectFinite(c);
      expectClose(c, clean, 1e-5);
      const attention = layer.attentionWeights(corrupted);
      attention.forEach((a, i) => {
        expectFinite(a.weights);
        expectClose(a.weights, cleanAttention[i].weights, 1e-5);
      });
      tf.dispose([c, ...attention.map((a) => a.weights), ...corrupted.slice(0, 3)]);
    }
    tf.dispose([clean, ...cleanAttention.map((a) => a.weights), ...data.inputs, ...data.slotMasks]);
  });

  it('attentionWeights leaves no tensor behind but the weights it returns', async () => {
    const data = tokenTextBatch();
    const layer = adaptiveCrossAttention({ numModalities: 3, numLayers: 1, numHeads: 2, seed: 1 });
    expect(await leakedTensors(() => layer.attentionWeights(data.inputs).map((a) => a.weights))).toBe(0);
    tf.dispose([...data.inputs, ...data.slotMasks]);
  });
});
