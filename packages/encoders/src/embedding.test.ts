import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { TEST_BACKENDS, expectClose, leakedTensors, randomTensor, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertIdsInRange, embeddingLookup } from './index';

describe.each(TEST_BACKENDS)('embeddingLookup on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  let ids: tf.Tensor;
  beforeAll(() => {
    ids = tf.tensor3d([[[1, 3, 1], [0, 4, 4]], [[4, 4, 4], [2, 0, 1]]], undefined, 'int32');
  });

  it('gives the rows of the table in the shape [...ids, E]', () => {
    const table = randomTensor([5, 2], 1);
    const out = embeddingLookup(table, ids);
    expect(out.shape).toEqual([2, 2, 3, 2]);
    expectClose(out, tf.reshape(tf.gather(table, tf.reshape(ids, [-1])), [2, 2, 3, 2]), 0);
    expectClose(embeddingLookup(table, tf.cast(ids, 'float32')), out, 0);
  });

  it('has the gradient of a one-hot matMul (duplicate ids add up)', () => {
    const table = randomTensor([5, 2], 2);
    const weights = randomTensor([2, 2, 3, 2], 3);
    const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(t, ids), weights)))(table);
    const oneHot = tf.oneHot(tf.reshape(ids, [-1]), 5);
    const reference = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.reshape(tf.matMul(oneHot, t), [2, 2, 3, 2]), weights)))(table);
    expectClose(ours, reference, 1e-5);
  });

  it('leaks nothing forward and backward', async () => {
    const table = randomTensor([5, 2], 4);
    expect(await leakedTensors(() => tf.grad((t: tf.Tensor) => tf.sum(embeddingLookup(t, ids)))(table))).toBe(0);
  });

  it('assertIdsInRange accepts ids in [0, V) and names the field otherwise', () => {
    expect(() => assertIdsInRange('tokenIds', ids, 5)).not.toThrow();
    expect(() => assertIdsInRange('tokenIds', ids, 4)).toThrowError(EmojeInputError);
    expect(() => assertIdsInRange('tokenIds', ids, 4)).toThrowError(/^tokenIds: .*received 4 at flat index 4/);
    expect(() => assertIdsInRange('tokenIds', tf.tensor1d([0, -1], 'int32'), 4)).toThrowError(/received -1/);
    expect(() => assertIdsInRange('tokenIds', tf.tensor1d([0, 1.5]), 4)).toThrowError(/received 1.5/);
    expect(() => assertIdsInRange('tokenIds', tf.tensor1d([NaN]), 4)).toThrowError(/received NaN/);
  });
});

describe('embeddingLookup gradient on cpu', () => {
  beforeAll(() => useBackend('cpu'));

  it("equals tf.gather's stock gradient", () => {
    const ids = tf.tensor2d([[0, 6, 6, 2], [3, 6, 0, 1]], undefined, 'int32');
    const table = randomTensor([7, 3], 5);
    const weights = randomTensor([2, 4, 3], 6);
    const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(t, ids), weights)))(table);
    const stock = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), weights)))(table);
    expectClose(ours, stock, 1e-6);
  });
});
