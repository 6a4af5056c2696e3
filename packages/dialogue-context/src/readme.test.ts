import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { dialogueContext } from './index';

describe('README usage snippet', () => {
  beforeAll(() => useBackend('cpu'));

  it('runs and prints the documented shapes', () => {
    const x = tfl.input({ shape: [null, 32] });
    const mask = tfl.input({ shape: [null] });
    const speakers = tfl.input({ shape: [null], dtype: 'int32' });
    const context = dialogueContext({ units: 64, numHeads: 4 }).apply([x, mask, speakers]) as tfl.SymbolicTensor;
    const logits = tfl.layers.dense({ units: 7 }).apply(context) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: [x, mask, speakers], outputs: logits });
    const out = model.predict([
      tf.randomNormal([2, 4, 32]),
      tf.tensor2d([[1, 1, 1, 1], [1, 1, 0, 0]]),
      tf.tensor2d([[0, 1, 0, 1], [1, 0, 0, 0]], [2, 4], 'int32'),
    ]) as tf.Tensor;
    expect(context.shape).toEqual([null, null, 64]);
    expect(out.shape).toEqual([2, 4, 7]);
  });
});
