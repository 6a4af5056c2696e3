/**
 * The fused kernels against the op-by-op compositions they replace, on the same (wasm) backend: values and the
 * gradients of every input and weight within 1e-5 (relative to the magnitude compared, see expectCloseToScale), on
 * ragged sizes (not multiples of 4 or 8, so every scalar edge path of the C kernels runs), on the sizes of the MOSI
 * model, with 1 and 3 streams, every activation, with and without bias; the fused gradients against central finite
 * differences; and no tensor left behind forward, backward or in inference.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { ACTIVATIONS, FusedKernel, applyLayerNorm, applyLinear, applyStreamLayerNorm, applyStreamLinear, hasFusedKernel, type ActivationName } from '@emoje/core';
import { expectGradientsMatch, leakedTensors, numericGradient, numericWeightGradient, randomTensor } from '@emoje/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCloseToScale, kernelsRun, opByOp, variableOf, weight, type WeightLike } from './__tests__/compare';
import { registerWasmKernels } from './index';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  const registration = await registerWasmKernels();
  expect(registration.registered).toBe(true);
});

afterAll(() => {
  tf.disposeVariables();
});

/**
 * [rows, in, out]: ragged (7 x 73 -> 9; 11 x 30 -> 13, whose widths leave 4-7 columns past the 8-wide register tiles
 * of the GEMMs, so their 4-wide paths run too), and three products of the MOSI model (features 300 -> 64, 64 -> 128,
 * 128 -> 64).
 */
const LINEAR_SHAPES = [
  [7, 73, 9],
  [11, 30, 13],
  [97, 300, 64],
  [40, 64, 128],
  [203, 128, 64],
] as const;

interface LinearCase {
  x: tf.Variable;
  linears: { kernel: WeightLike; bias: WeightLike | null }[];
  variables: tf.Variable[];
  probe: tf.Tensor;
}

/** x [streams, rows, in] ~ N(0, 1), kernels ~ N(0, 1/in) (Glorot-like: outputs of order 1), biases ~ N(0, 0.1). */
function linearCase(streams: number, rows: number, inDim: number, outDim: number, bias: boolean, seed: number): LinearCase {
  const x = tf.variable(randomTensor([streams, rows, inDim], seed));
  const linears = Array.from({ length: streams }, (_, m) => ({
    kernel: weight([inDim, outDim], seed + 10 + m, 1 / Math.sqrt(inDim)),
    bias: bias ? weight([outDim], seed + 20 + m, 0.1) : null,
  }));
  const variables = [x, ...linears.flatMap((l) => [variableOf(l.kernel), ...(l.bias ? [variableOf(l.bias)] : [])])];
  return { x, linears, variables, probe: randomTensor([streams, rows, outDim], seed + 30) };
}

function disposeCase(c: { variables: tf.Variable[]; probe: tf.Tensor }): void {
  tf.dispose([...c.variables, c.probe]);
}

describe('applyLinear and applyStreamLinear: fused EmojeLinear against the op-by-op composition on wasm', () => {
  const cases = LINEAR_SHAPES.flatMap(([rows, inDim, outDim]) =>
    ACTIVATIONS.flatMap((activation) =>
      [true, false].flatMap((bias) => [1, 3].map((streams) => ({ rows, inDim, outDim, activation, bias, streams }))),
    ),
  );

  it.each(cases)(
    '$streams stream(s), rows $rows, in $inDim, out $outDim, $activation, bias $bias: values and gradients within 1e-5',
    async ({ rows, inDim, outDim, activation, bias, streams }) => {
      const c = linearCase(streams, rows, inDim, outDim, bias, rows + inDim + outDim + streams);
      // With one stream, applyLinear on a rank-3 input [1, rows, in]; with three, applyStreamLinear.
      const forward = () => (streams === 1 ? applyLinear(c.x, c.linears[0], activation) : applyStreamLinear(c.x, c.linears, activation));
      const loss = () => tf.sum(tf.mul(forward(), c.probe)) as tf.Scalar;
      const fused = await kernelsRun(() => ({ y: forward(), ...tf.variableGrads(loss, c.variables) }));
      const reference = await opByOp(() => kernelsRun(() => ({ y: forward(), ...tf.variableGrads(loss, c.variables) })));
      // The comparison is between two different paths: the fused kernels ran in the first, not in the second.
      expect(fused.names).toContain(FusedKernel.Linear);
      expect(fused.names).toContain(FusedKernel.LinearGrad);
      expect(reference.names).not.toContain(FusedKernel.Linear);
      expectCloseToScale(fused.result.y, reference.result.y, 1e-5, 'y');
      expectCloseToScale(fused.result.value, reference.result.value, 1e-5, 'loss');
      for (const v of c.variables) expectCloseToScale(fused.result.grads[v.name], reference.result.grads[v.name], 1e-5, `d ${v.name}`);
      tf.dispose([fused.result, reference.result] as unknown as tf.TensorContainer);
      disposeCase(c);
    },
  );

  it('applyStreamLinear with one stream and applyLinear on a rank-2 input match the op-by-op path too', () => {
    const c = linearCase(1, 11, 73, 9, true, 5);
    const x2 = tf.reshape(c.x, [11, 73]);
    for (const activation of ACTIVATIONS) {
      const grads = () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(applyStreamLinear(x, c.linears, activation), c.probe)))([c.x])[0];
      expectCloseToScale(grads(), opByOp(grads), 1e-5, `dx ${activation}`);
      const y = () => applyLinear(x2, c.linears[0], activation);
      expectCloseToScale(y(), opByOp(y), 1e-5, `y ${activation}`);
    }
    tf.dispose(x2);
    disposeCase(c);
  });

  it('rows of zeros (padded utterances) and an empty batch give the op-by-op values and gradients', () => {
    const c = linearCase(3, 9, 13, 6, true, 8);
    const padded = tf.variable(tf.concat([tf.slice(c.x, [0, 0, 0], [3, 5, 13]), tf.zeros([3, 4, 13])], 1));
    for (const activation of ACTIVATIONS) {
      const run = () => tf.variableGrads(() => tf.sum(tf.mul(applyStreamLinear(padded, c.linears, activation), c.probe)) as tf.Scalar, [padded, ...c.variables.slice(1)]);
      const fused = run();
      const reference = opByOp(run);
      for (const name of Object.keys(reference.grads)) expectCloseToScale(fused.grads[name], reference.grads[name], 1e-5, `d ${name} ${activation}`);
      tf.dispose([fused.value, reference.value, ...Object.values(fused.grads), ...Object.values(reference.grads)]);
    }
    const empty = tf.zeros([3, 0, 13]);
    const y = applyStreamLinear(empty, c.linears, 'gelu');
    expect(y.shape).toEqual([3, 0, 6]);
    const dw = tf.variableGrads(() => tf.sum(applyStreamLinear(empty, c.linears, 'gelu')) as tf.Scalar, [variableOf(c.linears[0].kernel)]);
    expect(Array.from(dw.grads[variableOf(c.linears[0].kernel).name].dataSync()).every((g) => g === 0)).toBe(true);
    tf.dispose([padded, empty, y, dw.value, ...Object.values(dw.grads)]);
    disposeCase(c);
  });

  // Central differences on float32. The loss sums 3 x 5 x 6 terms of order 1, so its rounding error is at most ~1e-5
  // (typically ~1e-6); divided by 2h = 2e-2 that is <= 5e-4 in the slope, and the truncation error h^2/6 |f'''| is
  // ~2e-5 for the smooth activations. ReLU is piecewise linear: no truncation error, but a probe that moves a
  // pre-activation across 0 measures a chord, not the slope, so it gets h = 1e-3 (kinks 10x less likely to be crossed;
  // rounding <= 5e-3, typically ~5e-4). atol 2e-3 + rtol 2e-2 (expectGradientsMatch's defaults) covers that, and a
  // wrong formula (a missing activation slope, a transposed product) misses it by orders of magnitude.
  it.each(ACTIVATIONS)('the fused gradient of a %s linear map matches central finite differences', (activation: ActivationName) => {
    const c = linearCase(3, 5, 7, 6, true, 40);
    expect(hasFusedKernel(FusedKernel.Linear)).toBe(true);
    const f = (x: tf.Tensor) => tf.sum(tf.mul(applyStreamLinear(x, c.linears, activation), c.probe)) as tf.Scalar;
    const epsilon = activation === 'relu' ? 1e-3 : 1e-2;
    expectGradientsMatch(numericGradient(f, c.x, { epsilon, count: 30 }));
    const loss = () => f(c.x);
    for (const l of c.linears) {
      expectGradientsMatch(numericWeightGradient(loss, l.kernel, { epsilon, count: 12 }));
      expectGradientsMatch(numericWeightGradient(loss, l.bias as WeightLike, { epsilon, count: 6 }));
    }
    disposeCase(c);
  });

  it('leaks no tensor in inference, forward under a tape, or backward', async () => {
    const c = linearCase(3, 7, 73, 9, true, 60);
    for (const activation of ACTIVATIONS) {
      expect(await leakedTensors(() => applyStreamLinear(c.x, c.linears, activation))).toBe(0);
      expect(await leakedTensors(() => applyLinear(c.x, c.linears[0], activation))).toBe(0);
      expect(await leakedTensors(() => tf.tidy(() => tf.sum(applyStreamLinear(c.x, c.linears, activation))))).toBe(0);
      expect(await leakedTensors(() => tf.variableGrads(() => tf.sum(tf.mul(applyStreamLinear(c.x, c.linears, activation), c.probe)) as tf.Scalar, c.variables))).toBe(0);
      expect(await leakedTensors(() => tf.grads((x: tf.Tensor) => tf.sum(applyLinear(x, c.linears[1], activation)))([c.x]))).toBe(0);
    }
    disposeCase(c);
  });
});

/** [rows, d]: ragged widths and the model's (64 units, 300-d text features). */
const NORM_SHAPES = [
  [7, 9],
  [13, 73],
  [97, 64],
  [40, 300],
] as const;

interface NormCase {
  x: tf.Variable;
  norms: { gamma: WeightLike; beta: WeightLike }[];
  variables: tf.Variable[];
  probe: tf.Tensor;
}

/** x ~ 3 N(0, 1) + 1 (not already normalised), gamma ~ 1 + N(0, 0.2), beta ~ N(0, 0.2); `zeroRows` last rows all zero. */
function normCase(streams: number, rows: number, d: number, seed: number, zeroRows = 0): NormCase {
  const x = tf.variable(
    tf.tidy(() => {
      const full = tf.add(tf.mul(randomTensor([streams, rows, d], seed), 3), 1);
      if (zeroRows === 0) return full;
      return tf.concat([tf.slice(full, [0, 0, 0], [streams, rows - zeroRows, d]), tf.zeros([streams, zeroRows, d])], 1);
    }),
  );
  const norms = Array.from({ length: streams }, (_, m) => {
    const gamma = weight([d], seed + 10 + m, 0.2);
    tf.tidy(() => variableOf(gamma).assign(tf.add(variableOf(gamma), 1)));
    return { gamma, beta: weight([d], seed + 20 + m, 0.2) };
  });
  const variables = [x, ...norms.flatMap((n) => [variableOf(n.gamma), variableOf(n.beta)])];
  return { x, norms, variables, probe: randomTensor([streams, rows, d], seed + 30) };
}

describe('applyLinear and applyLayerNorm on inputs of any rank: no reshape kernel either way', () => {
  // [2, 3, 5, 13] (30 rows, 13 wide: ragged) and [4, 7, 73] as [B, U, S, D] / [B, U, D] blocks pass them.
  it.each([[[2, 3, 5, 13], 9], [[4, 7, 73], 6], [[3, 11], 5]] as const)(
    'x %j: values, dx and weight gradients within 1e-5 of the op-by-op path, output shapes kept',
    async (shape, outDim) => {
      const inDim = shape[shape.length - 1];
      const x = tf.variable(randomTensor([...shape], inDim + outDim));
      const linear = { kernel: weight([inDim, outDim], 3, 1 / Math.sqrt(inDim)), bias: weight([outDim], 4, 0.1) };
      const norm = { gamma: weight([inDim], 5), beta: weight([inDim], 6, 0.1) };
      const variables = [x, variableOf(linear.kernel), variableOf(linear.bias), variableOf(norm.gamma), variableOf(norm.beta)];
      const probe = randomTensor([...shape.slice(0, -1), outDim], 7);
      // The reshapes of the loss's own gradient (tf.mul's and tf.sum's), with nothing else in front of it.
      const yAlone = tf.variable(tf.zerosLike(probe));
      const harness = await kernelsRun(() => tf.variableGrads(() => tf.sum(tf.mul(yAlone, probe)) as tf.Scalar, [yAlone]));
      const reshapes = (names: string[]) => names.filter((n) => n === 'Reshape').length;
      tf.dispose([harness.result as unknown as tf.TensorContainer, yAlone]);
      for (const activation of ['linear', 'gelu'] as const) {
        const forward = () => applyLinear(applyLayerNorm(x, norm, 1e-5, activation === 'gelu' ? 'relu' : 'linear'), linear, activation);
        const loss = () => tf.sum(tf.mul(forward(), probe)) as tf.Scalar;
        const fused = await kernelsRun(() => ({ y: forward(), ...tf.variableGrads(loss, variables) }));
        const reference = await opByOp(() => kernelsRun(() => ({ y: forward(), ...tf.variableGrads(loss, variables) })));
        expect(fused.names).toContain(FusedKernel.LinearGrad);
        expect(fused.names).toContain(FusedKernel.LayerNormGrad);
        expect(reshapes(fused.names)).toBe(reshapes(harness.names));
        const inference = await kernelsRun(() => tf.tidy(() => applyLinear(applyLayerNorm(x, norm), linear)));
        expect(inference.names.sort()).toEqual([FusedKernel.LayerNorm, FusedKernel.Linear].sort());
        inference.result.dispose();
        expect(fused.result.y.shape).toEqual([...shape.slice(0, -1), outDim]);
        expectCloseToScale(fused.result.y, reference.result.y, 1e-5, 'y');
        for (const v of variables) {
          expect(fused.result.grads[v.name].shape).toEqual(v.shape);
          expectCloseToScale(fused.result.grads[v.name], reference.result.grads[v.name], 1e-5, `d ${v.name} ${activation}`);
        }
        tf.dispose([fused.result, reference.result] as unknown as tf.TensorContainer);
      }
      expect(await leakedTensors(() => tf.variableGrads(() => tf.sum(tf.mul(applyLinear(applyLayerNorm(x, norm), linear), probe)) as tf.Scalar, variables))).toBe(0);
      expect(await leakedTensors(() => tf.tidy(() => applyLinear(applyLayerNorm(x, norm), linear)))).toBe(0);
      tf.dispose([...variables, probe]);
    },
  );
});

describe('applyStreamLinear and applyStreamLayerNorm on streams laid out as [M·B, U, ·]', () => {
  // 3 streams of 2 x 5 rows, 13 wide -> 9 (ragged); stream m is entries 2m .. 2m + 1 of the first axis.
  it.each(ACTIVATIONS)('%s: values and gradients within 1e-5 of the op-by-op path and of the [M, N, ·] layout, no reshape', async (activation) => {
    const [m, b, u, inDim, outDim] = [3, 2, 5, 13, 9];
    const x = tf.variable(randomTensor([m * b, u, inDim], 91));
    const linears = Array.from({ length: m }, (_, i) => ({ kernel: weight([inDim, outDim], 92 + i, 1 / Math.sqrt(inDim)), bias: weight([outDim], 95 + i, 0.1) }));
    const norms = Array.from({ length: m }, (_, i) => ({ gamma: weight([inDim], 98 + i), beta: weight([inDim], 101 + i, 0.1) }));
    const variables = [x, ...linears.flatMap((l) => [variableOf(l.kernel), variableOf(l.bias)]), ...norms.flatMap((n) => [variableOf(n.gamma), variableOf(n.beta)])];
    const probe = randomTensor([m * b, u, outDim], 104);
    const forward = () => applyStreamLinear(applyStreamLayerNorm(x, norms), linears, activation);
    const loss = () => tf.sum(tf.mul(forward(), probe)) as tf.Scalar;
    const fused = await kernelsRun(() => ({ y: forward(), ...tf.variableGrads(loss, variables) }));
    const reference = await opByOp(() => kernelsRun(() => ({ y: forward(), ...tf.variableGrads(loss, variables) })));
    expect(fused.names).toContain(FusedKernel.LinearGrad);
    expect(reference.names).not.toContain(FusedKernel.Linear);
    expect(fused.result.y.shape).toEqual([m * b, u, outDim]);
    expect(reference.result.y.shape).toEqual([m * b, u, outDim]);
    expectCloseToScale(fused.result.y, reference.result.y, 1e-5, 'y');
    for (const v of variables) expectCloseToScale(fused.result.grads[v.name], reference.result.grads[v.name], 1e-5, `d ${v.name}`);
    // The same rows as [M, N, in] give the same values (the layouts differ only in shape).
    const flat = tf.tidy(() => applyStreamLinear(applyStreamLayerNorm(tf.reshape(x, [m, b * u, inDim]), norms), linears, activation));
    const reshaped = tf.reshape(fused.result.y, [m, b * u, outDim]);
    expectCloseToScale(reshaped, flat, 0, 'layouts');
    const inference = await kernelsRun(() => tf.tidy(() => forward()));
    expect(inference.names.sort()).toEqual([FusedKernel.LayerNorm, FusedKernel.Linear].sort());
    expect(() => tf.tidy(() => applyStreamLinear(tf.zeros([4, u, inDim]), linears))).toThrow(/split into 3 streams/);
    expect(() => tf.tidy(() => applyStreamLayerNorm(tf.zeros([4, u, inDim]), norms))).toThrow(/split into 3 streams/);
    expect(await leakedTensors(() => tf.variableGrads(loss, variables))).toBe(0);
    tf.dispose([fused.result, reference.result, inference.result, flat, reshaped, ...variables, probe] as unknown as tf.TensorContainer);
  });
});

describe('applyLayerNorm and applyStreamLayerNorm: fused EmojeLayerNorm against the op-by-op composition on wasm', () => {
  const cases = NORM_SHAPES.flatMap(([rows, d]) => [1, 3].flatMap((streams) => [0, 3].map((zeroRows) => ({ rows, d, streams, zeroRows }))));

  it.each(cases)('$streams stream(s), rows $rows, d $d, $zeroRows zero rows: values and gradients within 1e-5', async ({ rows, d, streams, zeroRows }) => {
    const c = normCase(streams, rows, d, rows + d + streams, zeroRows);
    const forward = () => (streams === 1 ? applyLayerNorm(c.x, c.norms[0]) : applyStreamLayerNorm(c.x, c.norms));
    const loss = () => tf.sum(tf.mul(forward(), c.probe)) as tf.Scalar;
    const fused = await kernelsRun(() => ({ y: forward(), ...tf.variableGrads(loss, c.variables) }));
    const reference = await opByOp(() => kernelsRun(() => ({ y: forward(), ...tf.variableGrads(loss, c.variables) })));
    expect(fused.names).toContain(FusedKernel.LayerNorm);
    expect(fused.names).toContain(FusedKernel.LayerNormGrad);
    expect(reference.names).not.toContain(FusedKernel.LayerNorm);
    expectCloseToScale(fused.result.y, reference.result.y, 1e-5, 'y');
    for (const v of c.variables) expectCloseToScale(fused.result.grads[v.name], reference.result.grads[v.name], 1e-5, `d ${v.name}`);
    tf.dispose([fused.result, reference.result] as unknown as tf.TensorContainer);
    disposeCase(c);
  });

  const activationCases = ACTIVATIONS.filter((a) => a !== 'linear').flatMap((activation) => [1, 3].map((streams) => ({ activation, streams })));
  it.each(activationCases)('followed by $activation, $streams stream(s): values and gradients within 1e-5 of normalising then activating op by op', async ({ activation, streams }) => {
    const c = normCase(streams, 13, 73, 40 + streams, 2);
    const forward = () => (streams === 1 ? applyLayerNorm(c.x, c.norms[0], 1e-5, activation) : applyStreamLayerNorm(c.x, c.norms, 1e-5, activation));
    const loss = () => tf.sum(tf.mul(forward(), c.probe)) as tf.Scalar;
    const fused = await kernelsRun(() => ({ y: forward(), ...tf.variableGrads(loss, c.variables) }));
    const reference = await opByOp(() => kernelsRun(() => ({ y: forward(), ...tf.variableGrads(loss, c.variables) })));
    expect(fused.names).toContain(FusedKernel.LayerNormGrad);
    // One kernel each way: the activation is inside the fused kernel, not a separate op.
    expect(fused.names.filter((n) => n === 'Sigmoid' || n === 'Relu')).toEqual([]);
    expectCloseToScale(fused.result.y, reference.result.y, 1e-5, 'y');
    for (const v of c.variables) expectCloseToScale(fused.result.grads[v.name], reference.result.grads[v.name], 1e-5, `d ${v.name}`);
    tf.dispose([fused.result, reference.result] as unknown as tf.TensorContainer);
    disposeCase(c);
  });

  it('the fused gradients of a layer normalisation followed by GELU match central finite differences', () => {
    const c = normCase(3, 5, 9, 71);
    const f = (x: tf.Tensor) => tf.sum(tf.mul(applyStreamLayerNorm(x, c.norms, 1e-5, 'gelu'), c.probe)) as tf.Scalar;
    expectGradientsMatch(numericGradient(f, c.x, { epsilon: 1e-2, count: 30 }));
    for (const n of c.norms) expectGradientsMatch(numericWeightGradient(() => f(c.x), n.beta, { epsilon: 1e-2, count: 9 }));
    disposeCase(c);
  });

  it('a non-default epsilon and a rank-2 input reach the kernel unchanged', () => {
    const c = normCase(1, 6, 11, 3);
    const x2 = tf.reshape(c.x, [6, 11]);
    for (const epsilon of [1e-3, 1e-6]) {
      const y = () => applyLayerNorm(x2, c.norms[0], epsilon);
      expectCloseToScale(y(), opByOp(y), 1e-5, `y eps ${epsilon}`);
      const dx = () => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(applyLayerNorm(x, c.norms[0], epsilon), tf.reshape(c.probe, [6, 11]))))(x2);
      expectCloseToScale(dx(), opByOp(dx), 1e-5, `dx eps ${epsilon}`);
    }
    tf.dispose(x2);
    disposeCase(c);
  });

  // Central differences, as for the linear map: x ~ 3 N(0, 1) + 1 keeps every row's variance far from 0 (rstd of
  // order 1/3, a well-conditioned normalisation); the loss sums 3 x 5 x 9 terms of order 1 (rounding ~1e-5, ~5e-4 in
  // the slope with h = 1e-2) and its third derivative is of order rstd^3, so atol 2e-3 + rtol 2e-2 has margin.
  it('the fused gradients of a layer normalisation match central finite differences', () => {
    const c = normCase(3, 5, 9, 70);
    const f = (x: tf.Tensor) => tf.sum(tf.mul(applyStreamLayerNorm(x, c.norms), c.probe)) as tf.Scalar;
    expectGradientsMatch(numericGradient(f, c.x, { epsilon: 1e-2, count: 30 }));
    for (const n of c.norms) {
      expectGradientsMatch(numericWeightGradient(() => f(c.x), n.gamma, { epsilon: 1e-2, count: 9 }));
      expectGradientsMatch(numericWeightGradient(() => f(c.x), n.beta, { epsilon: 1e-2, count: 9 }));
    }
    disposeCase(c);
  });

  it('leaks no tensor in inference, forward under a tape, or backward', async () => {
    const c = normCase(3, 7, 73, 80);
    expect(await leakedTensors(() => applyStreamLayerNorm(c.x, c.norms))).toBe(0);
    expect(await leakedTensors(() => applyLayerNorm(c.x, c.norms[0]))).toBe(0);
    expect(await leakedTensors(() => tf.variableGrads(() => tf.sum(tf.mul(applyStreamLayerNorm(c.x, c.norms), c.probe)) as tf.Scalar, c.variables))).toBe(0);
    expect(await leakedTensors(() => tf.grads((x: tf.Tensor) => tf.sum(applyLayerNorm(x, c.norms[2])))([c.x]))).toBe(0);
    disposeCase(c);
  });
});
