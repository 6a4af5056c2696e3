import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { TEST_BACKENDS, expectClose, expectFinite, expectGradientsMatch, leakedTensors, numericGradient, randomTensor, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { jointContrastiveLoss, jointEmbedding } from './index';
import { fillMasked } from './__tests__/fixtures';

const lse = (...xs: number[]) => Math.log(xs.reduce((s, x) => s + Math.exp(x), 0));

/**
 * Two utterances, two modalities, T = 0.5:
 *   a1 = (1, 0), a2 = (0, 1);  b1 = (0.6, 0.8), b2 = (0, 1)
 *   S = a b^T / T = [[1.2, 0], [1.6, 2]]
 *   rows:    CE_1 = lse(1.2, 0) - 1.2,  CE_2 = lse(1.6, 2) - 2
 *   columns: CE_1 = lse(1.2, 1.6) - 1.2, CE_2 = lse(0, 2) - 2
 *   L = (row_1 + col_1 + row_2 + col_2) / 4
 */
const HAND_Z = [
  [
    [[1, 0], [0.6, 0.8]],
    [[0, 1], [0, 1]],
  ],
];
const HAND_LOSS = (lse(1.2, 0) - 1.2 + (lse(1.6, 2) - 2) + (lse(1.2, 1.6) - 1.2) + (lse(0, 2) - 2)) / 4;

describe.each(TEST_BACKENDS)('jointContrastiveLoss on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('matches a hand-computed symmetric InfoNCE', () => {
    const z = tf.tensor4d(HAND_Z);
    const availability = tf.ones([1, 2, 2]);
    expectClose(jointContrastiveLoss(z, availability, 0.5), [HAND_LOSS], 1e-5);
    expectClose(jointContrastiveLoss(z, availability, tf.scalar(0.5)), [HAND_LOSS], 1e-5);
  });

  it('ignores absent pairs, padded rows and single-row pairs whatever they hold', () => {
    // U = 4: utterances 0-1 are the hand case, utterance 2 has only modalities 0 and 2 (so pair (0,2)
    // has a single valid row and gives no term), utterance 3 is padding. Modality 2 is otherwise absent.
    const base = tf.tidy(() => {
      const hand = tf.concat([tf.tensor4d(HAND_Z), tf.zeros([1, 2, 1, 2])], 2);
      return tf.concat([hand, randomTensor([1, 2, 3, 2], 4)], 1);
    });
    const availability = tf.tensor3d([[[1, 1, 0], [1, 1, 0], [1, 0, 1], [0, 0, 0]]]);
    for (const fill of ['random', NaN, -Infinity] as const) {
      const z = fillMasked(base, availability, fill);
      const loss = jointContrastiveLoss(z, availability, 0.5);
      expectFinite(loss);
      // the rows of pair (0,1) are utterances 0 and 1 only: utterance 2 lacks modality 1.
      expectClose(loss, [HAND_LOSS], 1e-5);
    }
  });

  it('averages the per-pair losses over qualifying pairs', () => {
    const z = randomTensor([2, 3, 3, 4], 5);
    const availability = tf.ones([2, 3, 3]);
    const pair = (i: number, j: number) =>
      jointContrastiveLoss(tf.gather(z, [i, j], 2), tf.ones([2, 3, 2]), 0.3).dataSync()[0];
    const expected = (pair(0, 1) + pair(0, 2) + pair(1, 2)) / 3;
    expectClose(jointContrastiveLoss(z, availability, 0.3), [expected], 1e-5);
  });

  it('is 0 with a zero, finite gradient when no pair qualifies or M = 1', () => {
    const z = randomTensor([1, 3, 2, 3], 6);
    const noPair = tf.tensor3d([[[1, 1], [1, 0], [0, 1]]]);
    const grad = tf.grad((x: tf.Tensor) => jointContrastiveLoss(x, noPair, 0.1))(z);
    expect(jointContrastiveLoss(z, noPair, 0.1).dataSync()[0]).toBe(0);
    expectFinite(grad);
    expect(grad.dataSync().every((v) => v === 0)).toBe(true);
    const single = randomTensor([1, 3, 1, 3], 7);
    const g1 = tf.grad((x: tf.Tensor) => jointContrastiveLoss(x, tf.ones([1, 3, 1]), 0.1))(single);
    expect(jointContrastiveLoss(single, tf.ones([1, 3, 1]), 0.1).dataSync()[0]).toBe(0);
    expect(g1.dataSync().every((v) => v === 0)).toBe(true);
  });

  it('has gradients w.r.t. z that match finite differences (with missing slots)', () => {
    const availability = tf.tensor3d([[[1, 1, 1], [1, 1, 0], [1, 0, 1]], [[1, 1, 1], [0, 1, 1], [0, 0, 0]]]);
    const z = randomTensor([2, 3, 3, 3], 8);
    const f = (x: tf.Tensor) => jointContrastiveLoss(x, availability, 0.5);
    expectGradientsMatch(numericGradient(f, z, { count: 30 }));
    const grad = tf.grad(f)(z);
    const missing = tf.sum(tf.abs(fillMasked(grad, tf.sub(1, availability), 0)));
    expect(missing.dataSync()[0]).toBe(0);
  });

  it('has a gradient w.r.t. the temperature that matches finite differences', () => {
    const z = randomTensor([1, 4, 2, 3], 9);
    const availability = tf.ones([1, 4, 2]);
    expectGradientsMatch(numericGradient((t) => jointContrastiveLoss(z, availability, t as tf.Scalar), tf.scalar(0.5), { epsilon: 1e-3 }));
  });

  it("reaches the layer's log-temperature through temperature()", () => {
    const layer = jointEmbedding({ numModalities: 2, embeddingDim: 3, seed: 10 });
    const c = randomTensor([1, 4, 2, 5], 10);
    const availability = tf.ones([1, 4, 2]);
    const [z] = layer.apply([c, availability]) as tf.Tensor[];
    const logT = layer.weights.find((w) => w.originalName.endsWith('log_temperature'))!.read() as tf.Variable;
    const { grads } = tf.variableGrads(() => jointContrastiveLoss(z, availability, layer.temperature()), [logT]);
    const g = grads[logT.name].dataSync()[0];
    expect(Number.isFinite(g)).toBe(true);
    expect(Math.abs(g)).toBeGreaterThan(1e-6);
  });

  it('leaks no tensors, forward or backward', async () => {
    const z = randomTensor([2, 3, 3, 4], 11);
    const availability = tf.tensor3d([[[1, 1, 1], [1, 1, 0], [1, 0, 1]], [[1, 1, 1], [0, 1, 1], [0, 0, 0]]]);
    const t = tf.scalar(0.2);
    expect(await leakedTensors(() => jointContrastiveLoss(z, availability, t))).toBe(0);
    expect(await leakedTensors(() => tf.grads((x: tf.Tensor, y: tf.Tensor) => jointContrastiveLoss(x, availability, y as tf.Scalar))([z, t]))).toBe(0);
  });

  it('rejects bad input with an EmojeInputError naming the field', () => {
    const z = tf.ones([1, 2, 2, 3]);
    const field = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(EmojeInputError);
        return (e as EmojeInputError).field;
      }
      return 'no error';
    };
    expect(field(() => jointContrastiveLoss(tf.ones([2, 2, 3]), tf.ones([2, 2]), 0.1))).toBe('z');
    expect(field(() => jointContrastiveLoss(z, tf.ones([1, 2, 3]), 0.1))).toBe('availability');
    expect(field(() => jointContrastiveLoss(z, tf.ones([1, 2, 2]), 0))).toBe('temperature');
    expect(field(() => jointContrastiveLoss(z, tf.ones([1, 2, 2]), tf.ones([1]) as tf.Scalar))).toBe('temperature');
  });
});
