import * as tf from '@tensorflow/tfjs-core';
import { InitializerSource, type WeightFactory } from '@emoje/core';
import { LayerVariable } from '@tensorflow/tfjs-layers';
import { TEST_BACKENDS, expectClose, randomTensor, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, it } from 'vitest';
import { temporalConvolution } from './index';

const factory: WeightFactory = (name, shape, init) => new LayerVariable(init.apply(shape), 'float32', name);

describe.each(TEST_BACKENDS)('temporalConvolution on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each([1, 3, 5])('equals tf.conv1d with same padding for kernel %i, values and input gradient', (k) => {
    const c = 3;
    const f = 2;
    const init = new InitializerSource(k);
    const kernel = factory('kernel', [k * c, f], init.glorot());
    const bias = factory('bias', [f], init.normal(1));
    const x = randomTensor([2, 6, c], k);
    const reference = (v: tf.Tensor) =>
      tf.add(tf.conv1d(v as tf.Tensor3D, tf.reshape(kernel.read(), [k, c, f]) as tf.Tensor3D, 1, 'same'), bias.read());
    expectClose(temporalConvolution(x, { kernel, bias }), reference(x), 1e-5);
    if (backend === 'cpu') {
      // tf.conv1d's backprop kernels exist on cpu only: the input, kernel and bias gradients against them.
      const loss = (conv: (v: tf.Tensor) => tf.Tensor) => () => tf.sum(tf.square(conv(x))) as tf.Scalar;
      const ours = tf.variableGrads(loss((v) => temporalConvolution(v, { kernel, bias })));
      const stock = tf.variableGrads(loss(reference));
      for (const v of [kernel, bias]) expectClose(ours.grads[v.name], stock.grads[v.name], 1e-4);
      const oursX = tf.grad((v: tf.Tensor) => tf.sum(tf.square(temporalConvolution(v, { kernel, bias }))))(x);
      const stockX = tf.grad((v: tf.Tensor) => tf.sum(tf.square(reference(v))))(x);
      expectClose(oursX, stockX, 1e-4);
    }
  });

  it.each([1, 2])('equals tf.conv1d when the sequence (%i frames) is shorter than the kernel', (frames) => {
    const k = 5;
    const c = 2;
    const init = new InitializerSource(frames);
    const kernel = factory('kernel', [k * c, 3], init.glorot());
    const bias = factory('bias', [3], init.normal(1));
    const x = randomTensor([3, frames, c], 10 + frames);
    const reference = tf.add(tf.conv1d(x as tf.Tensor3D, tf.reshape(kernel.read(), [k, c, 3]) as tf.Tensor3D, 1, 'same'), bias.read());
    expectClose(temporalConvolution(x, { kernel, bias }), reference, 1e-5);
  });
});
