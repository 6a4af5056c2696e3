import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { setFusedKernelsEnabled } from '@emoje/core';
import { jointContrastiveLoss, reconstructionLoss } from '@emoje/joint-embedding';
import { crossModalInstanceLoss, focalLoss, guidedContrastiveLoss } from '@emoje/model';
import { expectClose, expectGradientsMatch, leakedTensors, numericGradient, randomTensor, useBackend } from '@emoje/test-utils';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FusedKernel, registerWasmKernels, unregisterWasmKernels } from '../index';

/** The loss and its gradients with respect to `xs`, with fused kernels on or off; every tensor read back. */
function lossAndGrads(fused: boolean, f: (...xs: tf.Tensor[]) => tf.Scalar, xs: tf.Tensor[]) {
  setFusedKernelsEnabled(fused);
  try {
    return tf.tidy(() => {
      const { value, grads } = tf.valueAndGrads(f)(xs);
      return { value: value.dataSync()[0], grads: grads.map((g) => ({ shape: g.shape, values: Array.from(g.dataSync()) })) };
    });
  } finally {
    setFusedKernelsEnabled(true);
  }
}

/**
 * Asserts the fused kernel `name` ran for `f`, and that value and gradients match the op-by-op path within 1e-5
 * (relative to the largest magnitude of each where that exceeds 1: float32 sums differ in their last bits).
 */
async function expectFusedMatches(name: string, f: (...xs: tf.Tensor[]) => tf.Scalar, xs: tf.Tensor[]) {
  const profile = await tf.profile(() => tf.tidy(() => tf.grads(f)(xs)));
  expect(profile.kernelNames).toContain(name);
  expect(profile.kernelNames).toContain(`${name}Grad`);
  const fused = lossAndGrads(true, f, xs);
  const reference = lossAndGrads(false, f, xs);
  expect(Number.isFinite(fused.value)).toBe(true);
  expectClose([fused.value], [reference.value], 1e-5 * Math.max(1, Math.abs(reference.value)));
  fused.grads.forEach((g, i) => {
    expect(g.shape).toEqual(reference.grads[i].shape);
    expectClose(g.values, reference.grads[i].values, 1e-5 * Math.max(1, ...reference.grads[i].values.map(Math.abs)));
  });
  return { fused, reference };
}

/** Int32 labels in [-1, classes) from a seed, -1 about one time in four. */
function randomLabels(count: number, classes: number, seed: number): Int32Array {
  let state = seed;
  return Int32Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    const r = state / 2147483648;
    return r < 0.25 ? -1 : Math.floor(((r - 0.25) / 0.75) * classes);
  });
}

// The fixtures below are made when the suites are collected, so the backend starts first.
await useBackend('wasm');
const registration = await registerWasmKernels();

it('registers the loss kernels for wasm', () => {
  expect(registration.registered).toBe(true);
  for (const name of ['FocalLoss', 'FocalLossGrad', 'GuidedNce', 'GuidedNceGrad', 'JointNce', 'JointNceGrad', 'MaskedMse', 'MaskedMseGrad'] as const) {
    expect(registration.kernels).toContain(FusedKernel[name]);
  }
});

afterEach(() => setFusedKernelsEnabled(true));

afterAll(() => unregisterWasmKernels());

describe('fused focal loss', () => {
  const labels = tf.tensor2d(randomLabels(3 * 7, 5, 3), [3, 7], 'int32');
  const logits = tf.mul(randomTensor([3, 7, 5], 11), 2);

  it.each([
    ['gamma 1', 1, null],
    ['gamma 0 (cross-entropy)', 0, null],
    ['gamma 2 with class weights', 2, [0.5, 2, 1, 0.25, 3]],
    ['gamma 0.5 with class weights', 0.5, [1, 1.5, 0.2, 1, 2]],
  ] as const)('matches the op-by-op loss and gradient on ragged shapes (%s)', async (_, gamma, weights) => {
    await expectFusedMatches(FusedKernel.FocalLoss, (x) => focalLoss(x, labels, gamma, weights as number[] | null), [logits]);
  });

  it('gives 0 and a zero gradient when no label is valid, whatever the logits hold', async () => {
    const none = tf.fill([2, 3], -1, 'int32');
    const withNaN = tf.tensor3d([NaN, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17], [2, 3, 3]);
    const { fused } = await expectFusedMatches(FusedKernel.FocalLoss, (x) => focalLoss(x, none, 1, [1, 2, 3]), [withNaN]);
    expect(fused.value).toBe(0);
    expect(fused.grads[0].values.every((g) => g === 0)).toBe(true);
  });

  it('ignores the rows labelled -1 even when they hold NaN, and scores a single valid row', async () => {
    const one = tf.tensor1d([-1, 2, -1], 'int32');
    const x = tf.tensor2d([NaN, NaN, NaN, 0.3, -1.2, 2.5, 1, 2, 3], [3, 3]);
    const { fused } = await expectFusedMatches(FusedKernel.FocalLoss, (v) => focalLoss(v, one, 2), [x]);
    const p = Math.exp(2.5) / (Math.exp(0.3) + Math.exp(-1.2) + Math.exp(2.5));
    expect(fused.value).toBeCloseTo((1 - p) ** 2 * -Math.log(p), 5);
    expect(fused.grads[0].values.slice(0, 3)).toEqual([0, 0, 0]);
  });

  it('agrees with central finite differences', () => {
    const flat = tf.reshape(logits, [21, 5]);
    const flatLabels = tf.reshape(labels, [21]);
    expectGradientsMatch(numericGradient((x) => focalLoss(x, flatLabels, 2, [0.5, 2, 1, 0.25, 3]), flat, { count: 30 }));
  });

  it('leaks no tensor, with or without a gradient', async () => {
    expect(await leakedTensors(() => focalLoss(logits, labels, 1, [1, 2, 3, 4, 5]))).toBe(0);
    expect(await leakedTensors(() => tf.grad((x: tf.Tensor) => focalLoss(x, labels, 2))(logits))).toBe(0);
  });
});

describe('fused guided NCE', () => {
  // [B=2, U=3, M=3, D=7]: slots absent here and there, labels mixed with -1.
  const availability = [1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0];
  const labels = [1, -1, 0, 1, 0, -1];
  const descriptors = randomTensor([2, 3, 3, 7], 5);
  const host = { availability, labels };
  const availabilityTensor = tf.tensor3d(availability, [2, 3, 3]);
  const labelsTensor = tf.tensor2d(labels, [2, 3], 'int32');

  it('matches the op-by-op loss and gradient with labels, and agrees with the loss without host masks', async () => {
    const { fused } = await expectFusedMatches(FusedKernel.GuidedNce, (d) => guidedContrastiveLoss(d, availabilityTensor, labelsTensor, 0.1, host), [descriptors]);
    setFusedKernelsEnabled(false);
    const full = tf.tidy(() => guidedContrastiveLoss(descriptors, availabilityTensor, labelsTensor, 0.1).dataSync()[0]);
    expect(fused.value).toBeCloseTo(full, 5);
  });

  it('matches as the cross-modal instance loss (same-utterance positives only)', async () => {
    await expectFusedMatches(FusedKernel.GuidedNce, (d) => crossModalInstanceLoss(d, availabilityTensor, 0.07, host), [descriptors]);
  });

  it('matches with one positive per anchor and with rows of zero norm', async () => {
    // One utterance with two modalities: each anchor has exactly one candidate, its positive; the second batch entry is all zeros.
    const twoSlots = { availability: [1, 1, 0, 0, 1, 0], labels: [-1, -1] };
    const x = tf.concat([randomTensor([1, 1, 3, 5], 9), tf.zeros([1, 1, 3, 5])], 0);
    await expectFusedMatches(FusedKernel.GuidedNce, (d) => guidedContrastiveLoss(d, tf.tensor3d(twoSlots.availability, [2, 1, 3]), tf.tensor2d(twoSlots.labels, [2, 1], 'int32'), 0.2, twoSlots), [x]);
  });

  it('gives 0 and a zero gradient when no anchor has a positive (one modality present)', async () => {
    const single = { availability: [1, 0, 0, 1, 0, 0, 1, 0, 0], labels: [0, 0, 1] };
    const { fused } = await expectFusedMatches(FusedKernel.GuidedNce, (d) => guidedContrastiveLoss(d, tf.tensor3d(single.availability, [1, 3, 3]), tf.tensor2d(single.labels, [1, 3], 'int32'), 0.1, single), [randomTensor([1, 3, 3, 6], 2)]);
    expect(Math.abs(fused.value)).toBe(0);
    expect(fused.grads[0].values.every((g) => g === 0)).toBe(true);
  });

  it('agrees with central finite differences', () => {
    expectGradientsMatch(numericGradient((d) => guidedContrastiveLoss(d, availabilityTensor, labelsTensor, 0.5, host), descriptors, { count: 30 }));
  });

  it('leaks no tensor, with or without a gradient', async () => {
    expect(await leakedTensors(() => guidedContrastiveLoss(descriptors, availabilityTensor, labelsTensor, 0.1, host))).toBe(0);
    expect(await leakedTensors(() => tf.grad((d: tf.Tensor) => guidedContrastiveLoss(d, availabilityTensor, labelsTensor, 0.1, host))(descriptors))).toBe(0);
  });
});

describe('fused joint InfoNCE', () => {
  // [B=3, U=3, M=3, E=5]: rows with one, two or three modalities, a padded utterance.
  const availability = tf.tensor3d([1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1], [3, 3, 3]);
  const z = tf.tidy(() => {
    const raw = randomTensor([3, 3, 3, 5], 4);
    return tf.div(raw, tf.norm(raw, 'euclidean', -1, true));
  });

  it('matches the op-by-op loss and its gradients for z and a learned temperature', async () => {
    const { fused } = await expectFusedMatches(FusedKernel.JointNce, (zz, t) => jointContrastiveLoss(zz, availability, t as tf.Scalar), [z, tf.scalar(0.07)]);
    expect(Math.abs(fused.grads[1].values[0])).toBeGreaterThan(1e-3);
  });

  it('matches with a fixed temperature and with four modalities', async () => {
    await expectFusedMatches(FusedKernel.JointNce, (zz) => jointContrastiveLoss(zz, availability, 0.2), [z]);
    const four = tf.tensor3d(Array.from({ length: 2 * 5 * 4 }, (_, i) => ((i * 7) % 5 === 0 ? 0 : 1)), [2, 5, 4]);
    await expectFusedMatches(FusedKernel.JointNce, (zz) => jointContrastiveLoss(zz, four, 0.5), [randomTensor([2, 5, 4, 9], 8)]);
  });

  it('ignores whatever absent slots hold (NaN included) and scores pairs with one valid row as nothing', async () => {
    // Pair (0, 1) has 2 valid rows, pair (0, 2) one, pair (1, 2) one: only the first counts.
    const present = tf.tensor3d([1, 1, 0, 1, 1, 1, 0, 0, 0], [1, 3, 3]);
    const values = Array.from(randomTensor([1, 3, 3, 5], 6).dataSync());
    for (let j = 0; j < 5; j++) values[2 * 5 + j] = NaN;
    const { fused } = await expectFusedMatches(FusedKernel.JointNce, (zz) => jointContrastiveLoss(zz, present, 0.1), [tf.tensor4d(values, [1, 3, 3, 5])]);
    expect(fused.grads[0].values.slice(10, 15)).toEqual([0, 0, 0, 0, 0]);
    expect(fused.grads[0].values.slice(30, 45).every((g) => g === 0)).toBe(true);
  });

  it('gives 0 and a zero gradient when no pair has two valid rows', async () => {
    const sparse = tf.tensor3d([1, 0, 1, 0, 1, 1, 0, 0, 0], [1, 3, 3]);
    const { fused } = await expectFusedMatches(FusedKernel.JointNce, (zz, t) => jointContrastiveLoss(zz, sparse, t as tf.Scalar), [randomTensor([1, 3, 3, 4], 3), tf.scalar(0.1)]);
    expect(fused.value).toBe(0);
    expect(fused.grads.every((g) => g.values.every((v) => v === 0))).toBe(true);
  });

  it('agrees with central finite differences, for z and for the temperature', () => {
    expectGradientsMatch(numericGradient((zz) => jointContrastiveLoss(zz, availability, 0.3), z, { count: 30 }));
    expectGradientsMatch(numericGradient((t) => jointContrastiveLoss(z, availability, tf.reshape(t, []) as tf.Scalar), tf.tensor1d([0.3]), { epsilon: 1e-3, count: 1 }));
  });

  it('leaks no tensor, with or without a gradient', async () => {
    const t = tf.scalar(0.1);
    expect(await leakedTensors(() => jointContrastiveLoss(z, availability, t))).toBe(0);
    expect(await leakedTensors(() => tf.grads((zz: tf.Tensor, tt: tf.Tensor) => jointContrastiveLoss(zz, availability, tt as tf.Scalar))([z, t]))).toBe(0);
  });
});

describe('fused reconstruction loss (masked MSE)', () => {
  // [B=2, U=3, M=3, D=7]: lone present modalities are not scored with 'others'.
  const availability = tf.tensor3d([1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0, 0, 1, 0, 1], [2, 3, 3]);
  const reconstruction = randomTensor([2, 3, 3, 7], 12);
  const c = randomTensor([2, 3, 3, 7], 13);

  it.each([
    ['others, target held fixed', 'others', true],
    ['others, gradient to the target', 'others', false],
    ['all, gradient to the target', 'all', false],
  ] as const)('matches the op-by-op loss and gradients (%s)', async (_, reconstructFrom, stopTargetGradient) => {
    // With the target held fixed it has no gradient at all (tf.grads refuses it), so only the reconstruction's is compared.
    const f = (r: tf.Tensor, t?: tf.Tensor) => reconstructionLoss(r, t ?? c, availability, { reconstructFrom, stopTargetGradient });
    await expectFusedMatches(FusedKernel.MaskedMse, f, stopTargetGradient ? [reconstruction] : [reconstruction, c]);
    // The kernels read [B, U, M, D] as rows themselves: no reshape of the inputs or of their gradients (with 'all';
    // 'others' reshapes while building its source mask, off the loss's inputs).
    if (reconstructFrom === 'all') {
      const run = await tf.profile(() => tf.tidy(() => tf.grads((r: tf.Tensor) => f(r))([reconstruction])));
      expect(run.kernelNames).not.toContain('Reshape');
    }
  });

  it('ignores unscored slots (NaN included) and gives 0 with a zero gradient when nothing is scored', async () => {
    const lone = tf.tensor3d([1, 0, 0, 0, 0, 1], [1, 2, 3]);
    const values = Array.from(randomTensor([1, 2, 3, 4], 1).dataSync());
    values[0] = NaN;
    const { fused } = await expectFusedMatches(FusedKernel.MaskedMse, (r) => reconstructionLoss(r, tf.ones([1, 2, 3, 4]), lone), [tf.tensor4d(values, [1, 2, 3, 4])]);
    expect(fused.value).toBe(0);
    expect(fused.grads[0].values.every((g) => g === 0)).toBe(true);
  });

  it('agrees with central finite differences', () => {
    expectGradientsMatch(numericGradient((r) => reconstructionLoss(r, c, availability), reconstruction, { count: 30 }));
  });

  it('leaks no tensor, with or without a gradient', async () => {
    expect(await leakedTensors(() => reconstructionLoss(reconstruction, c, availability))).toBe(0);
    expect(await leakedTensors(() => tf.grads((r: tf.Tensor, t: tf.Tensor) => reconstructionLoss(r, t, availability, { stopTargetGradient: false }))([reconstruction, c]))).toBe(0);
  });
});
