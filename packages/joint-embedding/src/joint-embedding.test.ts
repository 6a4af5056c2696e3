import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { EmojeInputError } from '@emoje/core';
import { TEST_BACKENDS, expectClose, expectFinite, leakedTensors, randomTensor, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { JointEmbedding, jointContrastiveLoss, jointEmbedding, reconstructionLoss } from './index';
import { availabilityPattern, fillMasked, makeInputs, toArray3 } from './__tests__/fixtures';
import { applyHead } from './heads';
import { binaryAvailability, sourceMask, sourceWeights } from './sources';

function run(layer: JointEmbedding, c: tf.Tensor, availability: tf.Tensor): tf.Tensor[] {
  return layer.apply([c, availability]) as tf.Tensor[];
}

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EmojeInputError);
    return (error as EmojeInputError).field;
  }
  throw new Error('expected an EmojeInputError');
}

/** Expected imputed flags: missing and at least one modality present on the utterance. */
function expectedImputed(availability: tf.Tensor): number[] {
  const out: number[] = [];
  for (const dialogue of toArray3(availability)) {
    for (const row of dialogue) {
      const any = row.some((v) => v > 0);
      for (const v of row) out.push(v > 0 ? 0 : any ? 1 : 0);
    }
  }
  return out;
}

describe.each(TEST_BACKENDS)('JointEmbedding on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each([
    [1, 1, 1],
    [1, 3, 2],
    [2, 4, 3],
    [3, 5, 2],
  ])('gives the contract shapes for B=%i, U=%i, M=%i', (b, u, m) => {
    const d = 5;
    const { c, availability } = makeInputs(b, u, m, d);
    const layer = jointEmbedding({ numModalities: m, embeddingDim: 3, hiddenDim: 6, seed: 1 });
    const [z, rec, comp, imputed] = run(layer, c, availability);
    expect(z.shape).toEqual([b, u, m, 3]);
    expect(rec.shape).toEqual([b, u, m, d]);
    expect(comp.shape).toEqual([b, u, m, d]);
    expect(imputed.shape).toEqual([b, u, m]);
    expect(layer.units).toBe(d);
    expect(layer.computeOutputShape([[null, u, m, d], [null, u, m]])).toEqual([
      [null, u, m, 3],
      [null, u, m, d],
      [null, u, m, d],
      [null, u, m],
    ]);
    if (m === 1) {
      expect(rec.dataSync().every((v) => v === 0)).toBe(true);
      expect(imputed.dataSync().every((v) => v === 0)).toBe(true);
    }
  });

  it('applies symbolically inside a tf.model with unknown B and U', () => {
    const cIn = tfl.input({ shape: [null, 3, 4] });
    const aIn = tfl.input({ shape: [null, 3] });
    const outputs = jointEmbedding({ numModalities: 3, embeddingDim: 2, seed: 2 }).apply([cIn, aIn]) as tfl.SymbolicTensor[];
    expect(outputs.map((o) => o.shape)).toEqual([
      [null, null, 3, 2],
      [null, null, 3, 4],
      [null, null, 3, 4],
      [null, null, 3],
    ]);
    const model = tfl.model({ inputs: [cIn, aIn], outputs });
    const { c, availability } = makeInputs(2, 4, 3, 4);
    const predicted = model.predict([c, availability]) as tf.Tensor[];
    expect(predicted.map((p) => p.shape)).toEqual([
      [2, 4, 3, 2],
      [2, 4, 3, 4],
      [2, 4, 3, 4],
      [2, 4, 3],
    ]);
  });

  it.each(['others', 'all'] as const)('ignores whatever missing and padded slots hold (reconstructFrom=%s)', (reconstructFrom) => {
    const { c, availability } = makeInputs(2, 4, 3, 4, 3);
    const layer = jointEmbedding({ numModalities: 3, embeddingDim: 3, reconstructFrom, seed: 3 });
    const clean = run(layer, fillMasked(c, availability, 0), availability);
    for (const fill of ['random', NaN, Infinity] as const) {
      const dirty = run(layer, fillMasked(c, availability, fill), availability);
      dirty.forEach((out, i) => {
        expectFinite(out);
        expectClose(out, clean[i], 1e-6);
      });
    }
    const [z, , comp, imputed] = clean;
    const avail = availability.dataSync();
    const zValues = toArray3(tf.reshape(z, [-1, 3, 3]));
    zValues.forEach((row, slot) => {
      row.forEach((vec, k) => {
        const norm = Math.hypot(...vec);
        if (avail[slot * 3 + k] > 0) expect(norm).toBeCloseTo(1, 5);
        else expect(vec.every((v) => v === 0)).toBe(true);
      });
    });
    expect(Array.from(imputed.dataSync())).toEqual(expectedImputed(availability));
    // compensated: c where present, the reconstruction exactly where imputed, 0 elsewhere.
    const rec = clean[1];
    const expected = tf.tidy(() => tf.add(fillMasked(c, availability, 0), tf.mul(rec, tf.expandDims(imputed, -1))));
    expectClose(comp, expected, 1e-6);
  });

  it('reconstructs a modality from the others only (leave-one-out) and zero without a source', () => {
    const c = randomTensor([1, 2, 3, 4], 5);
    const availability = tf.tensor3d([[[1, 1, 1], [1, 0, 0]]]);
    const layer = jointEmbedding({ numModalities: 3, embeddingDim: 3, seed: 4 });
    const [, rec] = run(layer, c, availability);
    const changed = tf.tidy(() => {
      const bump = tf.concat([tf.zeros([1, 2, 2, 4]), tf.ones([1, 2, 1, 4])], 2);
      return tf.add(c, bump);
    });
    const [, recChanged] = run(layer, changed, availability);
    const slice = (x: tf.Tensor, m: number) => tf.slice(x, [0, 0, m, 0], [1, 1, 1, 4]);
    expectClose(slice(recChanged, 2), slice(rec, 2), 1e-6);
    expect(tf.sum(tf.abs(tf.sub(slice(recChanged, 0), slice(rec, 0)))).dataSync()[0]).toBeGreaterThan(1e-4);
    // second utterance: only modality 0 present, so nothing rebuilds it and the missing ones come from it.
    const second = tf.slice(rec, [0, 1, 0, 0], [1, 1, 1, 4]);
    expect(second.dataSync().every((v) => v === 0)).toBe(true);
    const all = jointEmbedding({ numModalities: 3, embeddingDim: 3, reconstructFrom: 'all', seed: 4 });
    const [, recAll] = run(all, c, availability);
    expect(tf.sum(tf.abs(tf.slice(recAll, [0, 1, 0, 0], [1, 1, 1, 4]))).dataSync()[0]).toBeGreaterThan(0);
  });

  it.each(['others', 'all'] as const)('decodes each modality from the mean of its sources\' embeddings (reconstructFrom=%s), checked against sourceWeights', (reconstructFrom) => {
    const { c, availability } = makeInputs(2, 3, 3, 4, 7);
    const layer = jointEmbedding({ numModalities: 3, embeddingDim: 3, reconstructFrom, seed: 6 });
    const [z, rec] = run(layer, c, availability);
    const byName = (name: string) => {
      const w = layer.weights.find((v) => v.originalName.endsWith(name));
      if (!w) throw new Error(`no weight ${name}`);
      return w;
    };
    const reference = tf.tidy(() => {
      const present = binaryAvailability(availability);
      const weights = sourceWeights(present, reconstructFrom);
      const sums = tf.matMul(tf.reshape(weights, [6, 3, 3]), tf.reshape(z, [6, 3, 3]));
      const means = tf.div(sums, tf.maximum(tf.reshape(tf.sum(weights, -1), [6, 3, 1]), 1));
      const has = tf.reshape(sourceMask(present, reconstructFrom), [6, 3, 1]);
      const decoded = [0, 1, 2].map((m) => {
        const head = { inner: { kernel: byName(`decoder_${m}_inner_kernel`), bias: byName(`decoder_${m}_inner_bias`) }, outer: { kernel: byName(`decoder_${m}_outer_kernel`), bias: byName(`decoder_${m}_outer_bias`) } };
        return applyHead(tf.reshape(tf.slice(means, [0, m, 0], [6, 1, 3]), [6, 3]), head);
      });
      return tf.reshape(tf.mul(tf.stack(decoded, 1), has), [2, 3, 3, 4]);
    });
    expectClose(rec, reference, 1e-5);
    expect(tf.max(tf.abs(reference)).dataSync()[0]).toBeGreaterThan(1e-3);
  });

  it('compensate returns the compensated descriptors and imputed flags', () => {
    const { c, availability } = makeInputs(2, 3, 3, 4, 6);
    const layer = jointEmbedding({ numModalities: 3, embeddingDim: 3, seed: 6 });
    const [, , comp, imputed] = run(layer, c, availability);
    const result = layer.compensate(c, availability);
    expectClose(result.descriptors, comp, 0);
    expectClose(result.imputed, imputed, 0);
  });

  it('keeps the temperature within its clamp and starts it at temperatureInit', () => {
    const layer = jointEmbedding({ numModalities: 2, temperatureInit: 0.07, minTemperature: 0.01, maxTemperature: 1, seed: 7 });
    expect(() => layer.temperature()).toThrow(/built/);
    const { c, availability } = makeInputs(1, 2, 2, 4);
    run(layer, c, availability);
    expect(layer.temperature().dataSync()[0]).toBeCloseTo(0.07, 5);
    const logT = layer.weights.find((w) => w.originalName.endsWith('log_temperature'));
    expect(logT?.shape).toEqual([]);
    logT!.write(tf.scalar(Math.log(100)));
    expect(layer.temperature().dataSync()[0]).toBeCloseTo(1, 6);
    logT!.write(tf.scalar(Math.log(1e-5)));
    expect(layer.temperature().dataSync()[0]).toBeCloseTo(0.01, 6);
  });

  it('training steps reduce jointContrastiveLoss + reconstructionLoss and keep T in its clamp', () => {
    const b = 2;
    const u = 4;
    const m = 3;
    const c = randomTensor([b, u, m, 6], 11);
    const availability = tf.ones([b, u, m]);
    const layer = jointEmbedding({ numModalities: m, embeddingDim: 4, hiddenDim: 8, seed: 11 });
    run(layer, c, availability);
    const optimizer = tf.train.adam(0.02);
    const lossFn = () =>
      tf.tidy(() => {
        const [z, rec] = run(layer, c, availability);
        return tf.add(jointContrastiveLoss(z, availability, layer.temperature()), reconstructionLoss(rec, c, availability)) as tf.Scalar;
      });
    const before = lossFn().dataSync()[0];
    for (let step = 0; step < 25; step++) optimizer.minimize(lossFn);
    const after = lossFn().dataSync()[0];
    expect(Number.isFinite(after)).toBe(true);
    expect(after).toBeLessThan(before * 0.8);
    const t = layer.temperature().dataSync()[0];
    expect(t).toBeGreaterThanOrEqual(0.01);
    expect(t).toBeLessThanOrEqual(1);
    optimizer.dispose();
  });

  it('round-trips getConfig -> fromConfig', () => {
    const layer = jointEmbedding({ numModalities: 3, embeddingDim: 8, hiddenDim: 5, temperatureInit: 0.1, reconstructFrom: 'all', seed: 9, name: 'je' });
    const config = layer.getConfig();
    expect(config).toMatchObject({
      numModalities: 3,
      units: null,
      embeddingDim: 8,
      hiddenDim: 5,
      temperatureInit: 0.1,
      minTemperature: 0.01,
      maxTemperature: 1,
      reconstructFrom: 'all',
      seed: 9,
      name: 'je',
    });
    const copy = JointEmbedding.fromConfig(JointEmbedding, config) as JointEmbedding;
    expect(copy.getConfig()).toEqual(config);
    expect(JointEmbedding.className).toBe('EmojeJointEmbedding');
  });

  it('saves and reloads a tf.model with identical outputs', async () => {
    const cIn = tfl.input({ shape: [3, 2, 4] });
    const aIn = tfl.input({ shape: [3, 2] });
    const outputs = jointEmbedding({ numModalities: 2, embeddingDim: 3, seed: 12 }).apply([cIn, aIn]) as tfl.SymbolicTensor[];
    const model = tfl.model({ inputs: [cIn, aIn], outputs });
    let artifacts: tf.io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    const { c, availability } = makeInputs(2, 3, 2, 4, 13);
    const expected = model.predict([c, availability]) as tf.Tensor[];
    const actual = loaded.predict([c, availability]) as tf.Tensor[];
    expected.forEach((e, i) => expectClose(actual[i], e, 0));
    expect(loaded.layers[2].getClassName()).toBe('EmojeJointEmbedding');
    expect(loaded.getWeights().length).toBe(model.getWeights().length);
  });

  it('leaks no tensors in the forward pass, compensate and a training step', async () => {
    const { c, availability } = makeInputs(2, 3, 3, 4, 14);
    const layer = jointEmbedding({ numModalities: 3, embeddingDim: 3, seed: 14 });
    expect(await leakedTensors(() => run(layer, c, availability))).toBe(0);
    expect(await leakedTensors(() => layer.compensate(c, availability))).toBe(0);
    expect(await leakedTensors(() => layer.temperature())).toBe(0);
    const optimizer = tf.train.adam(0.01);
    const step = () =>
      optimizer.minimize(() =>
        tf.tidy(() => {
          const [z, rec] = run(layer, c, availability);
          return tf.add(jointContrastiveLoss(z, availability, layer.temperature()), reconstructionLoss(rec, c, availability)) as tf.Scalar;
        }),
      );
    expect(await leakedTensors(step)).toBe(0);
    optimizer.dispose();
  });

  it('rejects bad arguments and inputs with an EmojeInputError naming the field', () => {
    expect(fieldOf(() => jointEmbedding({ numModalities: 0 }))).toBe('numModalities');
    expect(fieldOf(() => jointEmbedding({ numModalities: 2, embeddingDim: 1.5 }))).toBe('embeddingDim');
    expect(fieldOf(() => jointEmbedding({ numModalities: 2, units: 0 }))).toBe('units');
    expect(fieldOf(() => jointEmbedding({ numModalities: 2, hiddenDim: -1 }))).toBe('hiddenDim');
    expect(fieldOf(() => jointEmbedding({ numModalities: 2, minTemperature: 0 }))).toBe('minTemperature');
    expect(fieldOf(() => jointEmbedding({ numModalities: 2, maxTemperature: 0.001 }))).toBe('maxTemperature');
    expect(fieldOf(() => jointEmbedding({ numModalities: 2, temperatureInit: 2 }))).toBe('temperatureInit');
    expect(fieldOf(() => jointEmbedding({ numModalities: 2, reconstructFrom: 'mine' as 'all' }))).toBe('reconstructFrom');
    expect(fieldOf(() => jointEmbedding({ numModalities: 2, seed: 0.5 }))).toBe('seed');
    expect(fieldOf(() => new JointEmbedding(undefined as never))).toBe('args');

    const layer = jointEmbedding({ numModalities: 2, units: 4, seed: 1 });
    const availability = tf.ones([1, 2, 2]);
    expect(fieldOf(() => layer.apply([tf.ones([1, 2, 3, 4]), tf.ones([1, 2, 3])]))).toBe('c');
    expect(fieldOf(() => layer.apply([tf.ones([1, 2, 2, 5]), availability]))).toBe('c');
    expect(fieldOf(() => layer.apply([tf.ones([1, 2, 2, 4]), tf.ones([1, 3, 2])]))).toBe('availability');
    expect(fieldOf(() => layer.apply(tf.ones([1, 2, 2, 4])))).toBe('inputs');
    run(layer, tf.ones([1, 2, 2, 4]), availability);
    expect(fieldOf(() => layer.apply([tf.ones([1, 2, 2, 4]), tf.ones([2, 2, 2])]))).toBe('availability');
    expect(fieldOf(() => layer.apply([tf.ones([1, 2, 2]), availability]))).toBe('c');
    expect(fieldOf(() => layer.computeOutputShape([[null, 2, 2, 4], [null, 2]]))).toBe('availability');
  });
});

describe('availability pattern fixture', () => {
  it('pads every dialogue but the first', () => {
    const a = toArray3(availabilityPattern(2, 4, 3));
    expect(a[1][3]).toEqual([0, 0, 0]);
    expect(a[0][1]).toEqual([1, 0, 0]);
  });
});
