import * as tf from '@tensorflow/tfjs-core';
import { TEST_BACKENDS, expectClose, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, it } from 'vitest';
import { binaryAvailability, sourceMask, sourceWeights } from './index';

describe.each(TEST_BACKENDS)('reconstruction sources on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  const pattern = () => tf.tensor2d([[1, 1, 0], [1, 0, 0], [0, 0, 0]]);

  it('binarises availability (NaN and negatives are absent)', () => {
    expectClose(binaryAvailability(tf.tensor1d([1, 0.5, 0, -1, NaN])), [1, 1, 0, 0, 0], 0);
  });

  it("'others' excludes the target modality", () => {
    expectClose(sourceWeights(pattern(), 'others'), [
      0, 1, 0, 1, 0, 0, 1, 1, 0,
      0, 0, 0, 1, 0, 0, 1, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 0,
    ], 0);
    expectClose(sourceMask(pattern(), 'others'), [1, 1, 1, 0, 1, 1, 0, 0, 0], 0);
  });

  it("'all' includes the target modality", () => {
    expectClose(sourceMask(pattern(), 'all'), [1, 1, 1, 1, 1, 1, 0, 0, 0], 0);
  });
});
