import * as tf from '@tensorflow/tfjs-core';
import { jointContrastiveLoss } from '@emoje/joint-embedding';
import { TEST_BACKENDS, expectClose, expectGradientsMatch, leakedTensors, numericGradient, randomTensor, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { classificationMetrics, focalLoss, guidedContrastiveLoss, meanStd } from '../index';
import { realUtterances } from '../losses';

describe.each(TEST_BACKENDS)('losses on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('focal loss matches a hand computation and ignores label -1', () => {
    // logits [[2, 0], [0, 1]], labels [0, 1], third row ignored.
    const logits = tf.tensor3d([[[2, 0], [0, 1], [NaN, 5]]]);
    const labels = tf.tensor2d([[0, 1, -1]], [1, 3], 'int32');
    const p0 = Math.exp(2) / (Math.exp(2) + 1);
    const p1 = Math.exp(1) / (Math.exp(1) + 1);
    const expected = ((1 - p0) * -Math.log(p0) + (1 - p1) * -Math.log(p1)) / 2;
    expectClose(focalLoss(logits, labels, 1), [expected], 1e-5);
    const ce = (-Math.log(p0) - Math.log(p1)) / 2;
    expectClose(focalLoss(logits, labels, 0), [ce], 1e-5);
    const weighted = (3 * (1 - p0) * -Math.log(p0) + 1 * (1 - p1) * -Math.log(p1)) / 4;
    expectClose(focalLoss(logits, labels, 1, [3, 1]), [weighted], 1e-5);
  });

  it('focal loss gradient matches finite differences', () => {
    const labels = tf.tensor2d([[0, 2, 1, -1]], [1, 4], 'int32');
    expectGradientsMatch(numericGradient((x) => focalLoss(x, labels, 1, [1, 2, 0.5]), randomTensor([1, 4, 3], 7)));
  });

  it('guided NCE matches a hand computation', () => {
    // One dialogue, two utterances, two modalities, D = 2, temperature 1.
    // Unit descriptors: u0: m0=(1,0) m1=(0,1); u1: m0=(0,1) m1=(1,0). Labels differ.
    const c = tf.tensor4d([[[[1, 0], [0, 1]], [[0, 1], [1, 0]]]]);
    const availability = tf.ones([1, 2, 2]);
    const labels = tf.tensor2d([[0, 1]], [1, 2], 'int32');
    // Anchor u0m0: candidates (other modality) u0m1 sim 0, u1m1 sim 1; positive u0m1.
    // -log(e^0 / (e^0 + e^1)); by symmetry every anchor has the same value.
    const expected = -Math.log(1 / (1 + Math.E));
    expectClose(guidedContrastiveLoss(c, availability, labels, 1), [expected], 1e-5);
  });

  it('guided NCE ignores missing slots whatever they hold, and is 0 with one modality', () => {
    const c = randomTensor([2, 3, 3, 4], 2);
    const availability = tf.tensor3d([[[1, 1, 0], [1, 0, 1], [0, 0, 0]], [[1, 1, 1], [0, 1, 1], [1, 0, 0]]]);
    const labels = tf.tensor2d([[0, 1, -1], [1, 1, 0]], [2, 3], 'int32');
    const base = guidedContrastiveLoss(c, availability, labels);
    const garbage = tf.where(tf.greater(tf.expandDims(availability, -1), 0), c, tf.fill(c.shape, NaN));
    expectClose(guidedContrastiveLoss(garbage, availability, labels), base, 1e-6);
    const single = guidedContrastiveLoss(c, tf.tensor3d([[[1, 0, 0], [1, 0, 0], [0, 0, 0]], [[1, 0, 0], [1, 0, 0], [1, 0, 0]]]), labels);
    expectClose(single, [0], 1e-7);
  });

  it('guided NCE with host masks gives the value and gradients of the tensor formulation', () => {
    const availability = tf.tensor3d([[[1, 1, 0], [1, 0, 1], [0, 0, 0], [1, 1, 1]], [[1, 1, 1], [0, 1, 1], [1, 0, 0], [0, 0, 0]]]);
    const labels = tf.tensor2d([[0, 1, -1, 1], [1, -1, 0, -1]], [2, 4], 'int32');
    const host = { availability: availability.dataSync(), labels: labels.dataSync() };
    for (const seed of [3, 4, 5]) {
      const c = randomTensor([2, 4, 3, 5], seed);
      const garbage = tf.where(tf.greater(tf.expandDims(availability, -1), 0), c, tf.fill(c.shape, NaN));
      const reference = guidedContrastiveLoss(c, availability, labels, 0.2);
      expectClose(guidedContrastiveLoss(c, availability, labels, 0.2, host), reference, 1e-5);
      expectClose(guidedContrastiveLoss(garbage, availability, labels, 0.2, host), reference, 1e-5);
      const grad = (h?: typeof host) => tf.grad((x: tf.Tensor) => guidedContrastiveLoss(x, availability, labels, 0.2, h))(c);
      expectClose(grad(host), grad(), 1e-5);
    }
    expectClose(guidedContrastiveLoss(randomTensor([1, 1, 3, 2], 1), tf.zeros([1, 1, 3]), tf.tensor2d([[0]], [1, 1], 'int32'), 0.1, { availability: [0, 0, 0], labels: [0] }), [0], 1e-7);
  });

  it('the joint loss over the real utterances only equals it over the padded batch, value and gradients', async () => {
    const availability = tf.tensor3d([[[1, 1, 0], [1, 0, 1], [0, 0, 0]], [[1, 1, 1], [0, 1, 1], [1, 1, 1]]]);
    const utteranceMask = [1, 1, 0, 1, 1, 1];
    const z = randomTensor([2, 3, 3, 4], 6);
    const cut = (x: tf.Tensor) => {
      const [zs, present] = realUtterances(x, availability, utteranceMask);
      expect(zs.shape).toEqual([1, 5, 3, 4]);
      expect(present.shape).toEqual([1, 5, 3]);
      return jointContrastiveLoss(zs, present, 0.3);
    };
    expectClose(cut(z), jointContrastiveLoss(z, availability, 0.3), 1e-6);
    const grad = (f: (x: tf.Tensor) => tf.Scalar) => tf.grad(f)(z);
    expectClose(grad(cut), grad((x) => jointContrastiveLoss(x, availability, 0.3)), 1e-6);
    const [same] = realUtterances(z, availability, [1, 1, 1, 1, 1, 1]);
    expect(same).toBe(z);
    expect(await leakedTensors(() => grad(cut))).toBe(0);
  });

  it('guided NCE gradient matches finite differences', () => {
    const availability = tf.tensor3d([[[1, 1, 1], [1, 0, 1]]]);
    const labels = tf.tensor2d([[0, 0]], [1, 2], 'int32');
    expectGradientsMatch(numericGradient((x) => guidedContrastiveLoss(x, availability, labels, 0.5), randomTensor([1, 2, 3, 3], 9)), {
      atol: 5e-3,
      rtol: 5e-2,
    });
  });
});

describe('metrics', () => {
  it('weighted and macro F1 match a hand computation', () => {
    // truth:     0 0 0 1 1 2 ; predicted: 0 0 1 1 2 2 ; -1 ignored
    const m = classificationMetrics([0, 0, 0, 1, 1, 2, -1], [0, 0, 1, 1, 2, 2, 0], ['a', 'b', 'c']);
    const f1 = (p: number, r: number) => (2 * p * r) / (p + r);
    const fa = f1(1, 2 / 3);
    const fb = f1(1 / 2, 1 / 2);
    const fc = f1(1 / 2, 1);
    expect(m.accuracy).toBeCloseTo(4 / 6, 10);
    expect(m.perClassF1.a).toBeCloseTo(fa, 10);
    expect(m.weightedF1).toBeCloseTo((3 * fa + 2 * fb + 1 * fc) / 6, 10);
    expect(m.macroF1).toBeCloseTo((fa + fb + fc) / 3, 10);
    expect(m.confusion).toEqual([[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
    expect(m.support).toBe(6);
  });

  it('meanStd', () => {
    expect(meanStd([1, 3])).toEqual({ mean: 2, std: 1 });
  });
});
