import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { EmojeInputError } from '@emoje/core';
import { TEST_BACKENDS, expectClose, expectFinite, leakedTensors, randomTensor, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { DialogueContext, dialogueContext, type DialogueContextArgs } from './index';
import { dialogueBatch, rowDiff, withUtterance } from './__tests__/fixtures';

const F = 6;
const H = 8;
const small = (extra: Partial<DialogueContextArgs> = {}): DialogueContext =>
  dialogueContext({ units: H, numHeads: 2, numLayers: 2, seed: 7, ...extra });

function run(layer: DialogueContext, x: tf.Tensor, mask: tf.Tensor, speakers: tf.Tensor, training = false): tf.Tensor {
  return layer.apply([x, mask, speakers], { training }) as tf.Tensor;
}

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EmojeInputError);
    return (e as EmojeInputError).field;
  }
  return undefined;
}

/** Output values on padded positions (must be exactly 0) and on real ones. */
function split(out: tf.Tensor, mask: tf.Tensor): { padded: number[]; real: number[] } {
  const values = out.dataSync();
  const m = mask.dataSync();
  const h = out.shape[2] as number;
  const padded: number[] = [];
  const real: number[] = [];
  for (let i = 0; i < m.length; i++) {
    const row = Array.from(values.slice(i * h, (i + 1) * h));
    (m[i] > 0 ? real : padded).push(...row);
  }
  return { padded, real };
}

describe.each(TEST_BACKENDS)('DialogueContext on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  describe('shapes', () => {
    it('handles B = 1 and a dialogue of length 1', () => {
      const layer = small();
      const { x, mask, speakers } = dialogueBatch([1], 1, F);
      const out = run(layer, x, mask, speakers);
      expect(out.shape).toEqual([1, 1, H]);
      expectFinite(out);
      expect(layer.computeOutputShape([[1, 1, F], [1, 1], [1, 1]])).toEqual([1, 1, H]);
    });

    it('handles B > 1 with padded dialogues, zero on padding', () => {
      const layer = small();
      const { x, mask, speakers } = dialogueBatch([5, 2, 1, 0], 5, F);
      const out = run(layer, x, mask, speakers);
      expect(out.shape).toEqual([4, 5, H]);
      expectFinite(out);
      const { padded, real } = split(out, mask);
      expect(padded.every((v) => v === 0)).toBe(true);
      expect(real.some((v) => v !== 0)).toBe(true);
    });

    it('accepts float speaker ids and a float mask', () => {
      const layer = small();
      const { x, mask, speakers } = dialogueBatch([3, 2], 3, F);
      const asInt = run(layer, x, mask, speakers);
      const asFloat = run(layer, x, mask, tf.cast(speakers, 'float32'));
      expectClose(asFloat, asInt, 0);
    });

    it('applies symbolically inside a tf.model with unknown B and U', () => {
      const x = tfl.input({ shape: [null, F] });
      const mask = tfl.input({ shape: [null] });
      const speakers = tfl.input({ shape: [null], dtype: 'int32' });
      const h = small().apply([x, mask, speakers]) as tfl.SymbolicTensor;
      expect(h.shape).toEqual([null, null, H]);
      const model = tfl.model({ inputs: [x, mask, speakers], outputs: h });
      const batch = dialogueBatch([4, 3], 4, F);
      const out = model.predict([batch.x, batch.mask, batch.speakers]) as tf.Tensor;
      expect(out.shape).toEqual([2, 4, H]);
      expectFinite(out);
    });
  });

  describe('masking', () => {
    const variants: Array<[string, Partial<DialogueContextArgs>]> = [
      ['bidirectional', {}],
      ['causal', { causal: true }],
      ['speaker only', { globalContext: false }],
      ['global only', { speakerContext: false }],
    ];
    it.each(variants)('%s: garbage and NaN in padded utterances change nothing', (_name, extra) => {
      const layer = small(extra);
      const { x, mask, speakers } = dialogueBatch([5, 3, 1], 5, F, { speakers: [[0, 1, 2, 1, 0], [1, 1, 0], [3]] });
      const keep = tf.expandDims(mask, -1);
      const clean = tf.mul(x, keep);
      const reference = run(layer, clean, mask, speakers);
      const padded = tf.logicalNot(tf.cast(keep, 'bool'));
      const noisy = tf.where(tf.broadcastTo(padded, x.shape), randomTensor(x.shape, 99), x);
      const nan = tf.where(tf.broadcastTo(padded, x.shape), tf.fill(x.shape, NaN), x);
      const garbageIds = tf.where(tf.cast(mask, 'bool'), tf.cast(speakers, 'float32'), tf.tensor2d([[3, 7, 900, -4, NaN], [NaN, 2.5, 5, 99, 1], [0, 15, -1, NaN, 1e9]]));
      for (const [input, ids] of [[noisy, speakers], [nan, garbageIds], [noisy, garbageIds]] as const) {
        const out = run(layer, input, mask, ids);
        expectFinite(out);
        expectClose(out, reference, 1e-6);
        const { padded: pad } = split(out, mask);
        expect(pad.every((v) => v === 0)).toBe(true);
      }
    });
  });

  describe('context propagation', () => {
    const U = 5;
    const changed = (x: tf.Tensor, b: number, u: number) => withUtterance(x, b, u, Array.from({ length: F }, (_, k) => 3 - k));

    it('bidirectional: utterance j changes every other utterance of its dialogue', () => {
      const layer = small();
      const { x, mask, speakers } = dialogueBatch([U], U, F);
      const base = run(layer, x, mask, speakers);
      const after = run(layer, changed(x, 0, 2), mask, speakers);
      for (let i = 0; i < U; i++) expect(rowDiff(base, after, 0, i)).toBeGreaterThan(1e-4);
    });

    it('causal: utterance j changes only utterances i >= j', () => {
      const layer = small({ causal: true });
      const { x, mask, speakers } = dialogueBatch([U], U, F);
      const base = run(layer, x, mask, speakers);
      const j = 2;
      const after = run(layer, changed(x, 0, j), mask, speakers);
      for (let i = 0; i < U; i++) {
        if (i < j) expect(rowDiff(base, after, 0, i)).toBeLessThanOrEqual(1e-6);
        else expect(rowDiff(base, after, 0, i)).toBeGreaterThan(1e-4);
      }
    });

    it('causal: running on a prefix gives the same outputs as on the whole dialogue', () => {
      const layer = small({ causal: true });
      const { x, mask, speakers } = dialogueBatch([U], U, F);
      const whole = run(layer, x, mask, speakers);
      const k = 3;
      const prefix = run(layer, tf.slice(x, [0, 0, 0], [1, k, F]), tf.slice(mask, [0, 0], [1, k]), tf.slice(speakers, [0, 0], [1, k]));
      expectClose(prefix, tf.slice(whole, [0, 0, 0], [1, k, H]), 1e-5);
    });

    it('speaker context only: a change to speaker A leaves speaker B unchanged', () => {
      const layer = small({ globalContext: false });
      const ids = [[0, 1, 0, 1, 0]];
      const { x, mask, speakers } = dialogueBatch([U], U, F, { speakers: ids });
      const base = run(layer, x, mask, speakers);
      const after = run(layer, changed(x, 0, 2), mask, speakers);
      for (let i = 0; i < U; i++) {
        if (ids[0][i] === 1) expect(rowDiff(base, after, 0, i)).toBeLessThanOrEqual(1e-6);
        else expect(rowDiff(base, after, 0, i)).toBeGreaterThan(1e-4);
      }
    });

    it('speaker branch matters: relabelling speakers changes the output of the full layer', () => {
      const layer = small();
      const { x, mask } = dialogueBatch([U], U, F);
      const a = run(layer, x, mask, tf.tensor2d([[0, 1, 0, 1, 0]], [1, U], 'int32'));
      const b = run(layer, x, mask, tf.tensor2d([[0, 0, 1, 1, 0]], [1, U], 'int32'));
      expect(rowDiff(a, b, 0, 0)).toBeGreaterThan(1e-4);
    });

    it('dialogues of a batch never affect each other', () => {
      const layer = small();
      const { x, mask, speakers } = dialogueBatch([U, 4, 2], U, F);
      const base = run(layer, x, mask, speakers);
      const after = run(layer, changed(changed(x, 0, 1), 2, 0), mask, speakers);
      for (let i = 0; i < U; i++) expect(rowDiff(base, after, 1, i)).toBeLessThanOrEqual(1e-6);
      const alone = run(layer, tf.slice(x, [1, 0, 0], [1, U, F]), tf.slice(mask, [1, 0], [1, U]), tf.slice(speakers, [1, 0], [1, U]));
      expectClose(alone, tf.slice(base, [1, 0, 0], [1, U, H]), 1e-5);
    });
  });

  describe('training mode', () => {
    it('dropout is off by default and on with training, seeded per call, padding still zero', () => {
      const layer = small({ dropout: 0.3 });
      const { x, mask, speakers } = dialogueBatch([4, 2], 4, F);
      const inference = run(layer, x, mask, speakers);
      expectClose(layer.apply([x, mask, speakers]) as tf.Tensor, inference, 0);
      const first = run(layer, x, mask, speakers, true);
      const second = run(layer, x, mask, speakers, true);
      expectFinite(first);
      expect(rowDiff(first, inference, 0, 0)).toBeGreaterThan(1e-4);
      expect(rowDiff(first, second, 0, 0)).toBeGreaterThan(1e-6);
      expect(split(first, mask).padded.every((v) => v === 0)).toBe(true);
      const twin = small({ dropout: 0.3 });
      run(twin, x, mask, speakers);
      expectClose(run(twin, x, mask, speakers, true), first, 1e-6);
    });
  });

  describe('memory', () => {
    it('forward and gradient step leak no tensors', async () => {
      const layer = small({ dropout: 0.2 });
      const { x, mask, speakers } = dialogueBatch([4, 2], 4, F);
      run(layer, x, mask, speakers).dispose();
      expect(await leakedTensors(() => run(layer, x, mask, speakers))).toBe(0);
      expect(await leakedTensors(() => run(layer, x, mask, speakers, true))).toBe(0);
      const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const step = () => tf.variableGrads(() => tf.sum(tf.square(run(layer, x, mask, speakers, true))) as tf.Scalar, vars);
      expect(await leakedTensors(() => {
        const { value, grads } = step();
        return [value, ...Object.values(grads)];
      })).toBe(0);
      const optimizer = tf.train.sgd(0.01);
      expect(await leakedTensors(() => optimizer.minimize(() => tf.sum(tf.square(run(layer, x, mask, speakers, true))) as tf.Scalar, true, vars))).toBe(0);
      optimizer.dispose();
    });
  });

  describe('bad input', () => {
    it('names the input at fault', () => {
      const layer = small({ maxSpeakers: 3, maxUtterances: 6 });
      const { x, mask, speakers } = dialogueBatch([3, 2], 3, F);
      expect(fieldOf(() => layer.apply([x, mask] as unknown as tf.Tensor[]))).toBe('inputs');
      expect(fieldOf(() => layer.apply(x))).toBe('inputs');
      expect(fieldOf(() => layer.apply([tf.reshape(x, [6, F]), mask, speakers]))).toBe('x');
      expect(fieldOf(() => layer.apply([x, tf.expandDims(mask, -1), speakers]))).toBe('utteranceMask');
      expect(fieldOf(() => layer.apply([x, mask, tf.reshape(speakers, [6])]))).toBe('speakers');
      expect(fieldOf(() => layer.apply([x, tf.ones([3, 3]), speakers]))).toBe('utteranceMask');
      expect(fieldOf(() => layer.apply([x, mask, tf.zeros([2, 4])]))).toBe('speakers');
      expect(fieldOf(() => layer.apply([tf.zeros([1, 7, F]), tf.ones([1, 7]), tf.zeros([1, 7])]))).toBe('x');
      expect(fieldOf(() => layer.apply([x, mask, tf.tensor2d([[0, 1, 3], [0, 0, 9]])]))).toBe('speakers');
      expect(fieldOf(() => layer.apply([x, mask, tf.tensor2d([[0, 1, 0.5], [0, 0, 9]])]))).toBe('speakers');
      expect(fieldOf(() => layer.apply([x, mask, tf.tensor2d([[0, -1, 0], [0, 0, 9]])]))).toBe('speakers');
      expect(fieldOf(() => layer.apply([x, mask, tf.tensor2d([[0, 1, 2], [0, 2, 9]])]))).toBeUndefined();
      expect(fieldOf(() => layer.apply([tf.zeros([2, 3, F + 1]), mask, speakers]))).toBe('x');
      expect(fieldOf(() => layer.call([x, mask, tf.tensor2d([[0, 1, 7], [0, 0, 0]])], {}))).toBe('speakers');
    });

    it('names the bad option at construction', () => {
      expect(fieldOf(() => dialogueContext({ units: 8, numHeads: 3 }))).toBe('numHeads');
      expect(fieldOf(() => dialogueContext({ units: 8, globalContext: false, speakerContext: false }))).toBe('speakerContext');
      expect(fieldOf(() => new DialogueContext({ units: -1 }))).toBe('units');
    });

    it('validates symbolic shapes too', () => {
      const x = tfl.input({ shape: [4, F] });
      const mask = tfl.input({ shape: [5] });
      const speakers = tfl.input({ shape: [4] });
      expect(fieldOf(() => small().apply([x, mask, speakers]))).toBe('utteranceMask');
    });
  });
});
