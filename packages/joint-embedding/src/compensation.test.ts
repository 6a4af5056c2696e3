import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { TEST_BACKENDS, expectClose, expectFinite, leakedTensors, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { JointEmbedding, jointEmbedding } from './index';
import { fillMasked, makeInputs, toArray3 } from './__tests__/fixtures';

describe.each(TEST_BACKENDS)("JointEmbedding compensation: 'substitute' on %s", (backend) => {
  beforeAll(() => useBackend(backend));

  it('defaults to the per-modality decoders and rejects an unknown mode, naming the argument', () => {
    expect(jointEmbedding({ numModalities: 3 }).compensation).toBe('decoder');
    let field = '';
    try {
      jointEmbedding({ numModalities: 3, compensation: 'mean' as never });
    } catch (error) {
      expect(error).toBeInstanceOf(EmojeInputError);
      field = (error as EmojeInputError).field;
    }
    expect(field).toBe('compensation');
  });

  it('rebuilds every missing modality as one shared linear map of the mean embedding of the others', () => {
    const [b, u, m, d, e] = [2, 4, 3, 6, 5];
    const { c, availability } = makeInputs(b, u, m, d);
    const layer = jointEmbedding({ numModalities: m, embeddingDim: e, seed: 3, compensation: 'substitute' });
    const [z, rec, comp, imputed] = layer.apply([c, availability]) as tf.Tensor[];
    const names = layer.weights.map((w) => w.name);
    expect(names.some((n) => n.includes('back_projection_kernel'))).toBe(true);
    expect(names.some((n) => n.includes('decoder_'))).toBe(false);
    const kernel = layer.weights.find((w) => w.name.includes('back_projection_kernel'))!.read().arraySync() as number[][];
    const bias = layer.weights.find((w) => w.name.includes('back_projection_bias'))!.read().arraySync() as number[];
    const zs = z.arraySync() as number[][][][];
    const recs = rec.arraySync() as number[][][][];
    const comps = comp.arraySync() as number[][][][];
    const cs = c.arraySync() as number[][][][];
    const avail = toArray3(availability);
    const imp = toArray3(imputed);
    let checked = 0;
    for (let i = 0; i < b; i++) {
      for (let t = 0; t < u; t++) {
        for (let k = 0; k < m; k++) {
          const sources = avail[i][t].flatMap((a, j) => (a > 0 && j !== k ? [j] : []));
          if (sources.length === 0) {
            expect(recs[i][t][k].every((v) => v === 0)).toBe(true);
            continue;
          }
          const mean = Array.from({ length: e }, (_, q) => sources.reduce((s, j) => s + zs[i][t][j][q], 0) / sources.length);
          const expected = Array.from({ length: d }, (_, o) => bias[o] + mean.reduce((s, v, q) => s + v * kernel[q][o], 0));
          expectClose(recs[i][t][k], expected, 1e-4);
          expectClose(comps[i][t][k], avail[i][t][k] > 0 ? cs[i][t][k] : expected, 1e-4);
          expect(imp[i][t][k]).toBe(avail[i][t][k] > 0 ? 0 : 1);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
    tf.dispose([c, availability, z, rec, comp, imputed]);
  });

  it('gives the same finite outputs whatever a missing slot holds (NaN included), and leaks nothing', async () => {
    const { c, availability } = makeInputs(2, 5, 3, 4);
    const layer = jointEmbedding({ numModalities: 3, embeddingDim: 3, seed: 1, compensation: 'substitute' });
    const clean = layer.apply([c, availability]) as tf.Tensor[];
    for (const fill of [Number.NaN, 'random'] as const) {
      const dirty = fillMasked(c, availability, fill);
      const out = layer.apply([dirty, availability]) as tf.Tensor[];
      out.forEach((t, i) => {
        expectFinite(t);
        expectClose(t, clean[i], 1e-6);
      });
      tf.dispose([dirty, ...out]);
    }
    expect(await leakedTensors(() => layer.apply([c, availability]))).toBe(0);
    tf.dispose([c, availability, ...clean]);
  });

  it('round-trips its config, and a layer from that config with the same weights gives the same outputs', () => {
    const { c, availability } = makeInputs(1, 3, 2, 4);
    const layer = jointEmbedding({ numModalities: 2, embeddingDim: 3, seed: 5, compensation: 'substitute' });
    const out = layer.apply([c, availability]) as tf.Tensor[];
    const config = layer.getConfig();
    expect(config.compensation).toBe('substitute');
    const copy = tf.serialization.SerializationMap.getMap().classNameMap[JointEmbedding.className][1](JointEmbedding, config) as JointEmbedding;
    copy.build([c.shape, availability.shape]);
    copy.setWeights(layer.getWeights());
    const again = copy.apply([c, availability]) as tf.Tensor[];
    again.forEach((t, i) => expectClose(t, out[i], 1e-6));
    tf.dispose([c, availability, ...out, ...again]);
  });
});
