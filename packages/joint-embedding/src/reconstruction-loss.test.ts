import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { TEST_BACKENDS, expectClose, expectFinite, expectGradientsMatch, leakedTensors, numericGradient, randomTensor, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { reconstructionLoss } from './index';
import { fillMasked } from './__tests__/fixtures';

describe.each(TEST_BACKENDS)('reconstructionLoss on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  // One dialogue, 3 utterances, 2 modalities, D = 2:
  //   u0: both present      -> both slots scored
  //   u1: only modality 0   -> with 'others' no source, not scored; with 'all' scored
  //   u2: padding           -> never scored
  let availability: tf.Tensor;
  let rec: tf.Tensor;
  let c: tf.Tensor;
  beforeAll(() => {
    availability = tf.tensor3d([[[1, 1], [1, 0], [0, 0]]]);
    rec = tf.tensor4d([[[[1, 2], [3, 4]], [[5, 6], [7, 8]], [[9, 9], [9, 9]]]]);
    c = tf.tensor4d([[[[0, 2], [3, 1]], [[4, 4], [NaN, NaN]], [[NaN, 0], [0, 0]]]]);
  });

  it('matches a hand-computed masked mean squared error', () => {
    // 'others': slots (u0,m0) err (1,0), (u0,m1) err (0,3): (1 + 9) / (2 slots * 2) = 2.5
    expectClose(reconstructionLoss(rec, c, availability), [2.5], 1e-6);
    // 'all': also (u1,m0) err (1,2): (1 + 9 + 1 + 4) / (3 * 2) = 15 / 6
    expectClose(reconstructionLoss(rec, c, availability, { reconstructFrom: 'all' }), [15 / 6], 1e-6);
  });

  it('ignores whatever unscored slots hold and is 0 without any scored slot', () => {
    for (const fill of ['random', NaN, Infinity] as const) {
      const scored = tf.tensor3d([[[1, 1], [0, 0], [0, 0]]]);
      const loss = reconstructionLoss(fillMasked(rec, scored, fill), fillMasked(c, scored, fill, 5), availability);
      expectFinite(loss);
      expectClose(loss, [2.5], 1e-6);
    }
    const none = tf.tensor3d([[[1, 0], [0, 1], [0, 0]]]);
    const g = tf.grad((x: tf.Tensor) => reconstructionLoss(x, c, none))(rec);
    expect(reconstructionLoss(rec, c, none).dataSync()[0]).toBe(0);
    expect(g.dataSync().every((v) => v === 0)).toBe(true);
  });

  it('has gradients that match finite differences, and stops the target gradient by default', () => {
    // 18 entries each, so numericGradient probes every coordinate.
    const a = tf.tensor3d([[[1, 1, 1], [1, 0, 1], [1, 0, 0]]]);
    const r = randomTensor([1, 3, 3, 2], 2);
    const target = randomTensor([1, 3, 3, 2], 3);
    expectGradientsMatch(numericGradient((x) => reconstructionLoss(x, target, a), r));
    expectGradientsMatch(numericGradient((x) => reconstructionLoss(r, x, a, { stopTargetGradient: false }), target));
    const stopped = tf.grad((x: tf.Tensor) => reconstructionLoss(r, x, a))(target);
    expect(stopped.dataSync().every((v) => v === 0)).toBe(true);
  });

  it('leaks no tensors, forward or backward', async () => {
    expect(await leakedTensors(() => reconstructionLoss(rec, c, availability))).toBe(0);
    const target = fillMasked(c, availability, 0);
    const grads = () => tf.grads((x: tf.Tensor, y: tf.Tensor) => reconstructionLoss(x, y, availability, { stopTargetGradient: false }))([rec, target]);
    expect(await leakedTensors(grads)).toBe(0);
  });

  it('rejects bad input with an EmojeInputError naming the field', () => {
    const field = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(EmojeInputError);
        return (e as EmojeInputError).field;
      }
      return 'no error';
    };
    expect(field(() => reconstructionLoss(tf.ones([3, 2, 2]), c, availability))).toBe('reconstruction');
    expect(field(() => reconstructionLoss(rec, tf.ones([1, 3, 2, 3]), availability))).toBe('c');
    expect(field(() => reconstructionLoss(rec, c, tf.ones([1, 3, 3])))).toBe('availability');
    expect(field(() => reconstructionLoss(rec, c, availability, { reconstructFrom: 'none' as 'all' }))).toBe('reconstructFrom');
  });
});
