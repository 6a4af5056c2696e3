import * as tf from '@tensorflow/tfjs-core';
import { TEST_BACKENDS, expectClose, randomTensor, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { modalityPairs } from './index';
import { pairMixtures } from './query-adaptive-fusion';

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
});
