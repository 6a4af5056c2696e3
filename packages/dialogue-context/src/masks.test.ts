import * as tf from '@tensorflow/tfjs-core';
import { TEST_BACKENDS, expectClose, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, it } from 'vitest';
import { causalMask, cleanSpeakerIds, contextMasks, realUtterances, speakerOneHot } from './masks';

describe.each(TEST_BACKENDS)('dialogue masks on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('realUtterances treats > 0 as real and NaN as padding', () => {
    expectClose(realUtterances(tf.tensor2d([[1, 0, NaN, 0.5]])), [1, 0, 0, 1], 0);
    // Any dtype reads the same way (bool, int32 with a negative entry).
    expectClose(realUtterances(tf.tensor2d([[true, false, false, true]], undefined, 'bool')), [1, 0, 0, 1], 0);
    expectClose(realUtterances(tf.tensor2d([[2, 0, -1, 1]], undefined, 'int32')), [1, 0, 0, 1], 0);
    expectClose(realUtterances(tf.tensor2d([[-0.5, 3, 0, 1e-30]])), [0, 1, 0, 1], 0);
  });

  it('cleanSpeakerIds zeroes padded ids whatever they hold', () => {
    const real = tf.tensor2d([[1, 1, 0, 0]]);
    expectClose(cleanSpeakerIds(tf.tensor2d([[2, 1, NaN, 99]]), real), [2, 1, 0, 0], 0);
    expectClose(cleanSpeakerIds(tf.tensor2d([[3, 0, 7, -1]], [1, 4], 'int32'), real), [3, 0, 0, 0], 0);
  });

  it('speakerOneHot codes real ids and leaves padding and out-of-range ids empty', () => {
    const oneHot = speakerOneHot(tf.tensor2d([[0, 2, 5, 1]]), tf.tensor2d([[1, 1, 1, 0]]), 3);
    expectClose(oneHot, [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0], 0);
  });

  it('causalMask is lower triangular', () => {
    expectClose(causalMask(3), [1, 0, 0, 1, 1, 0, 1, 1, 1], 0);
  });

  it('contextMasks restrict keys to real utterances, the past (causal) and the same speaker', () => {
    const real = tf.tensor2d([[1, 1, 1, 0]]);
    const ids = tf.tensor2d([[0, 1, 0, 0]]);
    const both = contextMasks(real, ids, false);
    expectClose(both.global, [1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0], 0);
    expectClose(both.speaker, [1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0], 0);
    const causal = contextMasks(real, ids, true);
    expectClose(causal.global, [1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0], 0);
    expectClose(causal.speaker, [1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0], 0);
  });
});
