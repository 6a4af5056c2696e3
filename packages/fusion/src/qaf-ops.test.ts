import * as tf from '@tensorflow/tfjs-core';
import { TEST_BACKENDS, expectClose, randomTensor, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { modalityPairs } from './index';
import { addPenalty, pairMixtures, weightedSum } from './query-adaptive-fusion';

/** The pair mixtures op by op, one chain per pair (what QAF computed before its pairs ran at once). */
function pairMixturesOps(c: tf.Tensor, usable: tf.Tensor, pairs: ReadonlyArray<[number, number]>, gates: readonly tf.Tensor[]): tf.Tensor {
  const [b, u, , d] = c.shape as number[];
  const slot = (i: number) => tf.reshape(tf.slice(c, [0, 0, i, 0], [b, u, 1, d]), [b, u, d]);
  const usableOf = (i: number) => tf.slice(usable, [0, 0, i], [b, u, 1]);
  return tf.concat(
    pairs.map(([i, j], p) => {
      const alpha = tf.sigmoid(gates[p]);
      return tf.mul(tf.add(tf.mul(alpha, slot(j)), tf.mul(tf.sub(1, alpha), slot(i))), tf.mul(usableOf(i), usableOf(j)));
    }),
    2,
  );
}

describe.each(TEST_BACKENDS)('QAF pair mixtures on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  // Ragged widths, one to six pairs, and missing modalities (usable 0) in every case.
  it.each([
    [2, 7],
    [3, 5],
    [4, 9],
  ])('equal the per-pair chains in values and in the gradients of c and every gate (M = %i, D = %i)', (m, d) => {
    const [b, u] = [2, 3];
    const pairs = modalityPairs(m);
    const c = randomTensor([b, u, m, d], m);
    const usable = tf.tidy(() => tf.cast(tf.greater(randomTensor([b, u, m], 10 + m), -0.5), 'float32'));
    const gates = pairs.map((_, p) => randomTensor([d], 20 + p));
    const probe = randomTensor([b, u, pairs.length * d], 7);
    expectClose(pairMixtures(c, usable, pairs, gates), pairMixturesOps(c, usable, pairs, gates), 0);
    const loss = (f: typeof pairMixtures) => (x: tf.Tensor, ...gs: tf.Tensor[]) => tf.sum(tf.mul(f(x, usable, pairs, gs), probe));
    const ours = tf.grads(loss(pairMixtures))([c, ...gates]);
    const ops = tf.grads(loss(pairMixturesOps))([c, ...gates]);
    ours.forEach((g, i) => expectClose(g, ops[i], 1e-6));
    // The gradient leaves no tensor behind (the custom op's saved tensors are freed by the backward pass).
    const before = tf.memory().numTensors;
    tf.dispose(tf.grads(loss(pairMixtures))([c, ...gates]));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([c, usable, ...gates, probe, ...ours, ...ops]);
  });

  it('addPenalty and weightedSum equal their op-by-op chains in values and gradients', () => {
    const [b, u, m, d] = [2, 3, 3, 5];
    const raw = randomTensor([b, u, m], 1);
    const flags = tf.tidy(() => tf.cast(tf.greater(randomTensor([b, u, m], 2), 0), 'float32'));
    const penalty = randomTensor([1], 3);
    const c = randomTensor([b, u, m, d], 4);
    const beta = tf.tidy(() => tf.softmax(randomTensor([b, u, m], 5)));
    const cases: Array<[(x: tf.Tensor, y: tf.Tensor) => tf.Tensor, (x: tf.Tensor, y: tf.Tensor) => tf.Tensor, tf.Tensor[]]> = [
      [(x, p) => addPenalty(x, flags, p), (x, p) => tf.add(x, tf.mul(flags, p)), [raw, penalty]],
      [weightedSum, (x, w) => tf.sum(tf.mul(x, tf.expandDims(w, 3)), 2), [c, beta]],
    ];
    for (const [ours, ops, inputs] of cases) {
      expectClose(ours(inputs[0], inputs[1]), ops(inputs[0], inputs[1]), 0);
      const probe = randomTensor(ops(inputs[0], inputs[1]).shape, 6);
      const loss = (f: typeof ours) => (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(f(x, y), probe));
      const a = tf.grads(loss(ours))(inputs);
      const e = tf.grads(loss(ops))(inputs);
      a.forEach((g, i) => expectClose(g, e[i], 1e-6));
      const before = tf.memory().numTensors;
      tf.dispose(tf.grads(loss(ours))(inputs));
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([probe, ...a, ...e]);
    }
    tf.dispose([raw, flags, penalty, c, beta]);
  });
});
