import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InitializerSource, type WeightFactory } from '@emoje/core';
import { LayerVariable } from '@tensorflow/tfjs-layers';
import { TEST_BACKENDS, expectClose, randomTensor, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  TokenTextEncoder,
  kernelChannels,
  multiWidthConvolution,
  sequenceEncoder,
  temporalConvolution,
  tokenTextEncoder,
  type TokenTextEncoderArgs,
} from './index';
import { PADDED_TOKEN_IDS as IDS, expectPaddingInvariance, saveAndReload } from '../test/helpers';

const factory: WeightFactory = (name, shape, init) => new LayerVariable(init.apply(shape), 'float32', name);

const V = 9;
const E = 3;
const UNITS = 5;
const encoder = (seed: number, extra: Partial<TokenTextEncoderArgs> = {}) =>
  tokenTextEncoder({ vocabularySize: V, embeddingDim: E, units: UNITS, kind: 'convolution', kernelSize: [1, 3, 5], feedForwardUnits: 6, seed, ...extra });

describe('kernelChannels', () => {
  it('shares the channels equally, the first widths taking the remainder', () => {
    expect(kernelChannels(64, 2)).toEqual([32, 32]);
    expect(kernelChannels(64, 3)).toEqual([22, 21, 21]);
    expect(kernelChannels(5, 3)).toEqual([2, 2, 1]);
  });
});

describe.each(TEST_BACKENDS)('multi-width token convolution on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('multiWidthConvolution concatenates each width, activated, in order', () => {
    const c = 3;
    const init = new InitializerSource(2);
    const k3 = { kernel: factory('k3', [3 * c, 2], init.glorot()), bias: factory('b3', [2], init.normal(1)) };
    const k5 = { kernel: factory('k5', [5 * c, 1], init.glorot()), bias: factory('b5', [1], init.normal(1)) };
    const x = randomTensor([2, 6, c], 3);
    const out = multiWidthConvolution(x, [k3, k5], 'relu');
    expect(out.shape).toEqual([2, 6, 3]);
    expectClose(tf.slice(out, [0, 0, 0], [2, 6, 2]), tf.relu(temporalConvolution(x, k3)), 1e-6);
    expectClose(tf.slice(out, [0, 0, 2], [2, 6, 1]), tf.relu(temporalConvolution(x, k5)), 1e-6);
  });

  it('has one kernel per width with its share of the channels and gives [B,U,S,D] / [B,U,D]', () => {
    const layer = encoder(1);
    const ids = tf.tensor3d(IDS, undefined, 'int32');
    const [tokens, pooled] = layer.apply(ids) as tf.Tensor[];
    expect(tokens.shape).toEqual([2, 2, 4, UNITS]);
    expect(pooled.shape).toEqual([2, 2, UNITS]);
    const kernels = layer.weights.filter((w) => /convolution_\d+_kernel|convolution_\d+\/kernel|convolution_\d+.*kernel/.test(w.name));
    expect(kernels.map((w) => w.shape)).toEqual([
      [1 * UNITS, 2],
      [3 * UNITS, 2],
      [5 * UNITS, 1],
    ]);
  });

  it.each(['max', 'mean'] as const)('padding (%s pooling) gives zero tokens, and garbage in padded slots or the padding row changes nothing', (pooling) => {
    const layer = encoder(3, { pooling });
    expectPaddingInvariance(layer);
    const ids = tf.tensor3d(IDS, undefined, 'int32');
    const [tokens] = layer.apply(ids) as tf.Tensor[];
    // A real token's output does depend on its neighbours 2 slots away (the width-5 kernel sees them).
    const changed = tf.tensor3d([[[5, 3, 0, 0], [1, 8, 2, 6]], IDS[1]], undefined, 'int32');
    const [changedTokens] = layer.apply(changed) as tf.Tensor[];
    const first = (t: tf.Tensor) => tf.slice(t, [0, 1, 1, 0], [1, 1, 1, UNITS]);
    expect(tf.max(tf.abs(tf.sub(first(changedTokens), first(tokens)))).dataSync()[0]).toBeGreaterThan(1e-6);
  });

  it('a one-width list is the same layer as the plain width', () => {
    const ids = tf.tensor3d(IDS, undefined, 'int32');
    const plain = encoder(4, { kernelSize: 3 });
    const listed = encoder(4, { kernelSize: [3] });
    const [a, b] = [plain, listed].map((l) => (l.apply(ids) as tf.Tensor[])[1]);
    expectClose(b, a, 0);
    expect(listed.weights.map((w) => w.name.replace(/^[^/]*\//, ''))).toEqual(plain.weights.map((w) => w.name.replace(/^[^/]*\//, '')));
  });

  it('round-trips its config and reloads inside a saved tf.model with the same predictions', async () => {
    const layer = encoder(5, { name: 'text_multi' });
    const config = layer.getConfig();
    expect(config).toMatchObject({ kernelSize: [1, 3, 5], kind: 'convolution' });
    expect(TokenTextEncoder.fromConfig(TokenTextEncoder, config).getConfig()).toEqual(config);
    const input = tfl.input({ shape: [2, 4], dtype: 'int32' });
    const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor[] });
    const ids = tf.tensor3d(IDS, undefined, 'int32');
    const reloaded = await saveAndReload(model);
    expectClose((reloaded.predict(ids) as tf.Tensor[])[1], (model.predict(ids) as tf.Tensor[])[1], 1e-6);
  });
});

describe('multi-width kernelSize arguments', () => {
  it('rejects an even width, an empty list or more widths than units, naming kernelSize', () => {
    for (const kernelSize of [[3, 4], [], [1, 1, 1, 1, 1], [3, 1.5], 2]) {
      expect(() => sequenceEncoder({ units: 4, kind: 'convolution', kernelSize: kernelSize as never })).toThrowError(/^kernelSize:/);
    }
    expect(() => sequenceEncoder({ units: 4, kind: 'convolution', kernelSize: [1, 3, 5, 7] })).not.toThrow();
  });
});
