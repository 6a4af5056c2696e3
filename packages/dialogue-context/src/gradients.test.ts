import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { TEST_BACKENDS, expectFinite, expectGradientsMatch, numericGradient, numericWeightGradient, randomTensor, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { dialogueContext, type DialogueContext } from './index';
import { dialogueBatch } from './__tests__/fixtures';

const F = 4;
const H = 8;
const U = 4;

/** Finite differences of `loss` in one layer weight, found by name, next to the analytic gradient. */
function weightGradient(
  layer: DialogueContext,
  weightName: string,
  loss: () => tf.Scalar,
  options: { epsilon?: number; count?: number } = {},
): { analytic: number[]; numeric: number[] } {
  const weight = layer.trainableWeights.find((w) => w.originalName.endsWith(weightName));
  if (!weight) throw new Error(`no weight ${weightName}`);
  return numericWeightGradient(loss, weight, options);
}

describe.each(TEST_BACKENDS)('DialogueContext gradients on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  const setup = (causal = false) => {
    const layer = dialogueContext({ units: H, numHeads: 2, numLayers: 1, dropout: 0, seed: 3, causal });
    const { x, mask, speakers } = dialogueBatch([U, 3], U, F, { speakers: [[0, 1, 1, 0], [2, 0, 2, 0]] });
    const weights = randomTensor([2, U, H], 11);
    const objective = (input: tf.Tensor) =>
      tf.sum(tf.mul(layer.apply([input, mask, speakers]) as tf.Tensor, weights)) as tf.Scalar;
    return { layer, x, objective };
  };

  it.each([false, true])('input gradient matches finite differences (causal %s)', (causal) => {
    const { x, objective } = setup(causal);
    expectGradientsMatch(numericGradient(objective, x, { count: 16 }));
  });

  it.each(['speaker_embedding', 'global_layer0_attention_query_kernel', 'speaker_layer0_ffn_inner_kernel', 'input_projection_kernel'])(
    'weight %s gradient matches finite differences',
    (name) => {
      const { layer, x, objective } = setup();
      objective(x).dispose();
      expectGradientsMatch(weightGradient(layer, name, () => objective(x)));
    },
  );

  it('padded utterances get zero input gradient', () => {
    const { x, objective } = setup();
    const g = tf.grad(objective)(x);
    expectFinite(g);
    const values = g.dataSync();
    for (let k = 0; k < F; k++) expect(values[(U + 3) * F + k]).toBe(0);
  });

  it('a training step lowers the loss (optimizer on the layer weights, with dropout)', () => {
    const layer = dialogueContext({ units: H, numHeads: 2, numLayers: 1, dropout: 0.1, seed: 5 });
    const { x, mask, speakers } = dialogueBatch([U, 2], U, F);
    const target = tf.mul(randomTensor([2, U, H], 4), tf.expandDims(mask, -1));
    const loss = (training: boolean) =>
      tf.mean(tf.square(tf.sub(layer.apply([x, mask, speakers], { training }) as tf.Tensor, target))) as tf.Scalar;
    const before = loss(false).dataSync()[0];
    const optimizer = tf.train.adam(0.01);
    const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    for (let i = 0; i < 15; i++) optimizer.minimize(() => loss(true), false, vars);
    const after = loss(false).dataSync()[0];
    expect(Number.isFinite(after)).toBe(true);
    expect(after).toBeLessThan(before);
    optimizer.dispose();
  });

  it('trains inside a tf.model with fit', async () => {
    const xIn = tfl.input({ shape: [U, F] });
    const maskIn = tfl.input({ shape: [U] });
    const speakersIn = tfl.input({ shape: [U], dtype: 'int32' });
    const h = dialogueContext({ units: H, numHeads: 2, numLayers: 1, seed: 9 }).apply([xIn, maskIn, speakersIn]);
    const model = tfl.model({ inputs: [xIn, maskIn, speakersIn], outputs: h as tfl.SymbolicTensor });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const { x, mask, speakers } = dialogueBatch([U, 3, 2], U, F);
    const target = tf.mul(randomTensor([3, U, H], 8), tf.expandDims(mask, -1));
    const history = await model.fit([x, mask, speakers], target, { epochs: 8, batchSize: 3, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
  });
});
