import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { EmojeInputError } from '@emoje/core';
import {
  TEST_BACKENDS,
  expectClose,
  expectGradientsMatch,
  leakedTensors,
  randomTensor,
  useBackend,
} from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { TokenTextEncoder, tokenTextEncoder, type TemporalKind, type TokenTextEncoderArgs } from './index';
import { PADDED_TOKEN_IDS as IDS, expectPaddingInvariance, probeLoss, saveAndReload, weightGradient } from '../test/helpers';

const V = 9;
const E = 3;
const UNITS = 4;

const small = (kind: TemporalKind, seed: number, extra: Partial<TokenTextEncoderArgs> = {}) =>
  tokenTextEncoder({ vocabularySize: V, embeddingDim: E, units: UNITS, kind, numHeads: 2, feedForwardUnits: 6, seed, ...extra });

// two dialogues, two utterances, four tokens; 0 = padding, the last utterance is all padding
/** The current embedding table of a built layer. */
const tableOf = (layer: TokenTextEncoder) => layer.weights.find((w) => w.name.endsWith('embeddings'))!.read();


describe.each(TEST_BACKENDS)('TokenTextEncoder on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  describe.each(['attention', 'convolution'] as const)('kind %s', (kind) => {
    it('gives [tokens [B,U,S,D], pooled [B,U,D]] for int32 and float ids, eagerly and symbolically', () => {
      const layer = small(kind, 1);
      for (const shape of [[1, 1, 1], [2, 3, 4]]) {
        const ids = tf.randomUniform(shape, 1, V, 'int32');
        const [tokens, pooled] = layer.apply(ids) as tf.Tensor[];
        expect(tokens.shape).toEqual([...shape, UNITS]);
        expect(pooled.shape).toEqual([shape[0], shape[1], UNITS]);
        expectClose((layer.apply(tf.cast(ids, 'float32')) as tf.Tensor[])[0], tokens, 0);
      }
      const [st, sp] = small(kind, 2).apply(tfl.input({ shape: [null, 7], dtype: 'int32' })) as tfl.SymbolicTensor[];
      expect(st.shape).toEqual([null, null, 7, UNITS]);
      expect(sp.shape).toEqual([null, null, UNITS]);
    });

    it('padding gives zero tokens and does not change the outputs of real tokens', () => {
      expectPaddingInvariance(small(kind, 3));
    });

    it('matches finite differences for the embedding table', () => {
      const layer = small(kind, 4, { activation: 'tanh' });
      const ids = tf.tensor3d([[[2, 5, 0], [1, 1, 3]]], undefined, 'int32');
      layer.apply(ids);
      const table = layer.weights.find((w) => w.name.endsWith('embeddings'))!;
      expectGradientsMatch(weightGradient(() => probeLoss(layer.apply(ids) as tf.Tensor[]), table, { count: 27 }));
    });

    it('round-trips its config and reloads inside a saved tf.model with the same predictions', async () => {
      const layer = small(kind, 5, { padId: 1, trainableEmbeddings: false, name: `text_${kind}` });
      const config = layer.getConfig();
      expect(config).toMatchObject({ vocabularySize: V, embeddingDim: E, padId: 1, trainableEmbeddings: false, units: UNITS, kind });
      expect(TokenTextEncoder.fromConfig(TokenTextEncoder, config).getConfig()).toEqual(config);
      const input = tfl.input({ shape: [2, 4], dtype: 'int32' });
      const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor[] });
      const ids = tf.tensor3d(IDS, undefined, 'int32');
      const reloaded = await saveAndReload(model);
      const before = model.predict(ids) as tf.Tensor[];
      const after = reloaded.predict(ids) as tf.Tensor[];
      expectClose(after[0], before[0], 1e-6);
      expectClose(after[1], before[1], 1e-6);
      expect(reloaded.layers[1].trainableWeights.some((w) => w.name.endsWith('embeddings'))).toBe(false);
    });

    it('leaks no tensors in a forward call or a gradient step, and trains its embeddings', async () => {
      const layer = small(kind, 6);
      const ids = tf.tensor3d(IDS, undefined, 'int32');
      expect(await leakedTensors(() => layer.apply(ids, { training: true }))).toBe(0);
      const optimizer = tf.train.adam(0.05);
      const target = tf.tanh(randomTensor([2, 2, UNITS], 7));
      const loss = () => tf.mean(tf.square(tf.sub((layer.apply(ids, { training: true }) as tf.Tensor[])[1], target))) as tf.Scalar;
      expect(await leakedTensors(() => optimizer.minimize(loss, true))).toBe(0);
      const tableBefore = tableOf(layer).dataSync().slice();
      const first = loss().dataSync()[0];
      for (let i = 0; i < 10; i++) optimizer.minimize(loss);
      expect(loss().dataSync()[0]).toBeLessThan(first);
      const tableAfter = tableOf(layer).dataSync();
      expect(tableAfter[5 * E]).not.toBe(tableBefore[5 * E]);
      // the padding row gets no gradient
      expectClose(tableAfter.slice(0, E), tableBefore.slice(0, E), 0);
    });
  });

  it('setEmbeddings loads pretrained vectors before and after build, and keeps them frozen if asked', () => {
    const vectors = new Float32Array(V * E).map((_, i) => i / 10);
    const early = small('attention', 8, { trainableEmbeddings: false });
    early.setEmbeddings(vectors);
    const ids = tf.tensor3d([[[1, 2, 0]]], undefined, 'int32');
    const reference = early.apply(ids) as tf.Tensor[];
    expectClose(tableOf(early), vectors, 0);
    expect(early.trainableWeights.some((w) => w.name.endsWith('embeddings'))).toBe(false);
    const late = small('attention', 8, { trainableEmbeddings: false });
    late.apply(ids);
    late.setEmbeddings(tf.tensor2d(vectors, [V, E]));
    expectClose((late.apply(ids) as tf.Tensor[])[1], reference[1], 0);
    const optimizer = tf.train.sgd(0.1);
    optimizer.minimize(() => probeLoss(late.apply(ids, { training: true }) as tf.Tensor[]));
    expectClose(tableOf(late), vectors, 0);
  });

  it('rejects bad inputs with an EmojeInputError naming the field', () => {
    const layer = small('attention', 9, { maxLength: 5 });
    layer.apply(tf.zeros([1, 1, 2], 'int32'));
    const cases: Array<[() => unknown, string]> = [
      [() => layer.apply(tf.tensor3d([[[1, V]]], undefined, 'int32')), 'tokenIds'],
      [() => layer.apply(tf.tensor3d([[[1, -2]]])), 'tokenIds'],
      [() => layer.apply(tf.tensor3d([[[1, 0.5]]])), 'tokenIds'],
      [() => layer.apply(tf.zeros([1, 2], 'int32')), 'tokenIds'],
      [() => layer.apply(tf.zeros([1, 1, 6], 'int32')), 'tokenIds'],
      [() => small('attention', 9).apply(tfl.input({ shape: [3] })), 'tokenIds'],
      [() => small('attention', 9).apply([tfl.input({ shape: [2, 3] }), tfl.input({ shape: [2, 3] })]), 'inputs'],
      [() => layer.setEmbeddings(new Float32Array(V * E - 1)), 'embeddings'],
      [() => layer.setEmbeddings(tf.zeros([V, E + 1]) as tf.Tensor2D), 'embeddings'],
      [() => layer.setEmbeddings([1, 2] as never), 'embeddings'],
    ];
    for (const [fn, field] of cases) {
      expect(fn).toThrowError(EmojeInputError);
      expect(fn).toThrowError(new RegExp(`^${field}:`));
    }
  });
});

describe('TokenTextEncoder without the device-side id check', () => {
  it('skips the read-back only when asked: validateIds false takes in-range ids as they are', async () => {
    await useBackend('cpu');
    const checked = tokenTextEncoder({ units: 4, vocabularySize: 5, embeddingDim: 3, numHeads: 2, seed: 1 });
    const unchecked = tokenTextEncoder({ units: 4, vocabularySize: 5, embeddingDim: 3, numHeads: 2, seed: 1, validateIds: false });
    const ids = tf.tensor3d([[[1, 2, 0]]], undefined, 'int32');
    expectClose((unchecked.apply(ids) as tf.Tensor[])[1], (checked.apply(ids) as tf.Tensor[])[1], 0);
    expect(() => checked.apply(tf.tensor3d([[[1, 7, 0]]], undefined, 'int32'))).toThrowError(/^tokenIds:/);
  });
});

describe('TokenTextEncoder arguments', () => {
  it('rejects bad args with an EmojeInputError naming the argument', () => {
    const base = { units: 4, vocabularySize: 10, embeddingDim: 3 };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...base, vocabularySize: 0 }, 'vocabularySize'],
      [{ ...base, embeddingDim: 1.5 }, 'embeddingDim'],
      [{ ...base, padId: 10 }, 'padId'],
      [{ ...base, padId: -1 }, 'padId'],
      [{ ...base, trainableEmbeddings: 'yes' }, 'trainableEmbeddings'],
      [{ ...base, units: 6 }, 'numHeads'],
      [{ ...base, kind: 'gru' }, 'kind'],
      [{ ...base, validateIds: 1 }, 'validateIds'],
    ];
    for (const [args, field] of cases) {
      expect(() => tokenTextEncoder(args as never)).toThrowError(new RegExp(`^${field}:`));
    }
  });

  it('fills in the defaults', () => {
    expect(tokenTextEncoder({ units: 8, vocabularySize: 10, embeddingDim: 3 }).getConfig()).toMatchObject({
      padId: 0,
      trainableEmbeddings: true,
      validateIds: true,
      kind: 'attention',
      numLayers: 1,
      numHeads: 4,
      maxLength: 512,
      dropout: 0.1,
    });
  });
});
