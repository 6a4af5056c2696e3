import * as tf from '@tensorflow/tfjs-core';
import { InitializerSource, SeededRandom, type WeightFactory } from '@emoje/core';
import { TEST_BACKENDS, expectClose, leakedTensors, randomTensor, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyEncoder, applyEncoderStack, contextMasks, createEncoder } from './index';

const H = 8;

function setup() {
  const variables: tf.Variable[] = [];
  const add = ((name: string, shape: number[], init: { apply(shape: number[]): tf.Tensor }) => {
    const v = tf.variable(init.apply(shape), true, `${name}_${variables.length}_${Math.random().toString(36).slice(2)}`);
    variables.push(v);
    return { read: () => v, name, originalName: name, shape } as never;
  }) as unknown as WeightFactory;
  const init = new InitializerSource(5);
  const global = createEncoder(add, init, 'global', H, 2, 2, 2 * H);
  const speaker = createEncoder(add, init, 'speaker', H, 2, 2, 2 * H);
  const h = randomTensor([2, 4, H], 3);
  const real = tf.tensor2d([[1, 1, 1, 1], [1, 1, 0, 0]]);
  const masks = contextMasks(real, tf.tensor2d([[0, 1, 1, 0], [1, 0, 0, 0]]), false);
  const run = { activation: 'gelu' as const, dropout: 0, training: false, random: new SeededRandom(1) };
  return { variables, global, speaker, h, real, masks, run };
}

describe.each(TEST_BACKENDS)('applyEncoderStack on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('equals one applyEncoder call per encoder, in values and in every weight gradient', () => {
    const { variables, global, speaker, h, real, masks, run } = setup();
    const stacked = applyEncoderStack(h, real, [masks.global, masks.speaker], [global, speaker], run);
    expect(stacked.shape).toEqual([2, 2, 4, H]);
    const separate = tf.stack([applyEncoder(h, real, masks.global, global, run), applyEncoder(h, real, masks.speaker, speaker, run)]);
    expectClose(stacked, separate, 1e-5);
    // The two branches differ (different masks and weights), so the comparison covers both.
    expect(tf.max(tf.abs(tf.sub(tf.slice(separate, [0], [1]), tf.slice(separate, [1], [1])))).dataSync()[0]).toBeGreaterThan(1e-3);

    const probe = randomTensor([2, 2, 4, H], 9);
    const gradsOf = (f: () => tf.Tensor) => tf.variableGrads(() => tf.sum(tf.mul(f(), probe)) as tf.Scalar, variables).grads;
    const fast = gradsOf(() => applyEncoderStack(h, real, [masks.global, masks.speaker], [global, speaker], run));
    const slow = gradsOf(() => tf.stack([applyEncoder(h, real, masks.global, global, run), applyEncoder(h, real, masks.speaker, speaker, run)]));
    expect(Object.keys(fast).length).toBe(variables.length);
    for (const v of variables) expectClose(fast[v.name], slow[v.name], 1e-4);
  });

  it('leaks no tensors and rejects encoders of different depths', async () => {
    const { global, speaker, h, real, masks, run } = setup();
    expect(await leakedTensors(() => applyEncoderStack(h, real, [masks.global, masks.speaker], [global, speaker], { ...run, dropout: 0.2, training: true }))).toBe(0);
    const shallow = { ...speaker, layers: speaker.layers.slice(0, 1) };
    expect(() => applyEncoderStack(h, real, [masks.global, masks.speaker], [global, shallow], run)).toThrow(/one depth/);
    expect(() => applyEncoderStack(h, real, [masks.global], [global, speaker], run)).toThrow(/one mask per encoder/);
  });
});
