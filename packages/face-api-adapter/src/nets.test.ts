import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { useBackend } from '@emoje/test-utils';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  FACE_API_EXPRESSIONS,
  FACE_API_NODE_BUILD,
  decodeFaceApiWeights,
  disposeFaceApiNets,
  faceApiFeatures,
  faceApiModelDir,
  faceApiUtteranceVector,
  faceApiUtteranceVectorLayout,
  loadFaceApiNetsFromDisk,
  readFaceApiWeights,
  requireFaceApi,
  runFaceApiNets,
  type FaceApiModule,
  type FaceApiNets,
} from './node';

/**
 * A synthetic face crop [h, w, 3] (RGB 0-255): skin-coloured ellipse on a background, two eyes, brows and a
 * mouth whose curvature is `smile` (> 0 corners up, < 0 corners down). No photographs of people are used.
 */
function syntheticFace(h: number, w: number, smile: number, background: [number, number, number] = [60, 90, 120]): tf.Tensor3D {
  const data = new Float32Array(h * w * 3);
  const cx = w / 2;
  const cy = h / 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = (x - cx) / (0.38 * w);
      const v = (y - cy) / (0.46 * h);
      let rgb: [number, number, number] = background;
      if (u * u + v * v <= 1) {
        rgb = [224, 172, 140];
        for (const ex of [-0.42, 0.42]) {
          const du = (u - ex) / 0.18;
          const dv = (v + 0.2) / 0.08;
          if (du * du + dv * dv <= 1) rgb = [40, 30, 30];
          if (Math.abs(u - ex) < 0.22 && Math.abs(v + 0.4 - 0.04 * smile * ((u - ex) / 0.22) ** 2) < 0.03) rgb = [70, 45, 35];
        }
        // mouth: v = 0.45 - smile * 0.15 * (u / 0.4)^2 for |u| < 0.4
        if (Math.abs(u) < 0.4 && Math.abs(v - (0.45 - smile * 0.15 * (u / 0.4) ** 2)) < 0.045) rgb = [150, 50, 60];
      }
      data.set(rgb, (y * w + x) * 3);
    }
  }
  return tf.tensor3d(data, [h, w, 3]);
}

function expectProbabilityRow(row: Record<string, number>) {
  const values = FACE_API_EXPRESSIONS.map((name) => row[name]);
  for (const p of values) {
    expect(Number.isFinite(p)).toBe(true);
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThanOrEqual(1);
  }
  expect(Math.abs(values.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
}

describe("face-api's networks on wasm, weights from the installed npm package", () => {
  let faceapi: FaceApiModule;
  let nets: FaceApiNets;
  let crops: tf.Tensor3D[];
  let before: number;

  beforeAll(async () => {
    await useBackend('wasm');
    before = tf.memory().numTensors;
    faceapi = requireFaceApi();
    nets = loadFaceApiNetsFromDisk({ faceapi, expression: true, landmarks: true });
    crops = [syntheticFace(120, 100, 1), syntheticFace(96, 96, -1, [200, 200, 200]), syntheticFace(80, 112, 0, [20, 20, 20])];
  });

  afterAll(() => {
    tf.dispose(crops);
    disposeFaceApiNets(nets);
    // every tensor the networks' weights and the crops held is released: nothing leaked by loading or running
    expect(tf.memory().numTensors).toBe(before);
  });

  it('loads face-api from its Node build without tfjs-node, sharing this tfjs-core', () => {
    const require = createRequire(import.meta.url);
    expect(faceapi.tf?.Tensor).toBe(tf.Tensor);
    expect(Object.keys(require.cache).some((path) => path.includes('tfjs-node'))).toBe(false);
    expect(Object.keys(require.cache).some((path) => path.endsWith(join('face-api', 'dist', 'face-api.node-wasm.js')))).toBe(true);
    expect(FACE_API_NODE_BUILD).toMatch(/node-wasm/);
    expect(existsSync(join(faceApiModelDir(), 'face_expression_model.bin'))).toBe(true);
  });

  it('gives one probability distribution over the 7 expressions per crop, and 68 landmarks in crop pixels', async () => {
    const n = tf.memory().numTensors;
    const results = await runFaceApiNets(nets, crops);
    expect(tf.memory().numTensors).toBe(n);
    expect(results).toHaveLength(3);
    for (const [t, r] of results.entries()) {
      expect(r).not.toBeNull();
      expectProbabilityRow(r!.expressions as Record<string, number>);
      const points = r!.landmarks as { x: number; y: number }[];
      expect(points).toHaveLength(68);
      const [h, w] = crops[t].shape;
      // a landmark network looking at a face-sized crop puts its points around the crop, not at infinity
      for (const p of points) {
        expect(p.x).toBeGreaterThan(-0.5 * w);
        expect(p.x).toBeLessThan(1.5 * w);
        expect(p.y).toBeGreaterThan(-0.5 * h);
        expect(p.y).toBeLessThan(1.5 * h);
      }
    }
    // different faces give different outputs (the network is actually looking at the pixels)
    const first = FACE_API_EXPRESSIONS.map((k) => (results[0]!.expressions as Record<string, number>)[k]);
    const second = FACE_API_EXPRESSIONS.map((k) => (results[1]!.expressions as Record<string, number>)[k]);
    expect(Math.max(...first.map((p, i) => Math.abs(p - second[i])))).toBeGreaterThan(1e-3);
  });

  it("equals face-api's own API (predictExpressions, detectLandmarks) crop by crop, and batching changes nothing", async () => {
    const results = await runFaceApiNets(nets, crops, { batchSize: 2 });
    for (const [t, crop] of crops.entries()) {
      const own = (await (nets.expression as unknown as { predictExpressions(x: tf.Tensor3D): Promise<Record<string, number>> }).predictExpressions(crop));
      for (const name of FACE_API_EXPRESSIONS) expect(results[t]!.expressions![name as never]).toBeCloseTo(own[name], 5);
      const ownLandmarks = await (nets.landmarks as unknown as { detectLandmarks(x: tf.Tensor3D): Promise<{ positions: { x: number; y: number }[] }> }).detectLandmarks(crop);
      const mine = results[t]!.landmarks as { x: number; y: number }[];
      ownLandmarks.positions.forEach((p, i) => {
        expect(mine[i].x).toBeCloseTo(p.x, 3);
        expect(mine[i].y).toBeCloseTo(p.y, 3);
      });
    }
  });

  it("reads the weights exactly as face-api's own loadFromDisk does", async () => {
    const theirs = new faceapi.FaceExpressionNet() as unknown as { loadFromDisk(dir: string): Promise<void>; forward(x: tf.Tensor3D[]): Promise<tf.Tensor2D>; dispose(): void };
    await theirs.loadFromDisk(faceApiModelDir());
    const a = await theirs.forward(crops);
    const b = await nets.expression!.forward(crops);
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([a, b]);
    theirs.dispose();
  });

  it('turns the network outputs into the utterance vector, matching a direct computation', async () => {
    const frames = [crops[0], null, crops[1], crops[2], null];
    const scores = [0.9, 0, 0.8, 0.6, 0];
    const results = await runFaceApiNets(nets, frames, { scores });
    expect(results.map((r) => r === null)).toEqual([false, true, false, false, true]);
    const v = faceApiUtteranceVector(results)!;
    const seg = Object.fromEntries(faceApiUtteranceVectorLayout('expressions').segments.map((s) => [s.name, s]));
    // direct: the probabilities of the network's own softmax output, row by row
    const probs = await nets.expression!.forward([crops[0], crops[1], crops[2]]);
    const rows = (await probs.array()) as unknown as number[][];
    probs.dispose();
    for (let e = 0; e < 7; e++) {
      const xs = rows.map((r) => r[e]);
      const mean = xs.reduce((a, b) => a + b, 0) / 3;
      const std = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / 3);
      expect(v[seg.mean.offset + e]).toBeCloseTo(mean, 5);
      expect(v[seg.std.offset + e]).toBeCloseTo(std, 5);
      expect(v[seg.expressionMax.offset + e]).toBeCloseTo(Math.max(...xs), 5);
    }
    expect(v[seg.presentFraction.offset]).toBeCloseTo(3 / 5, 6);
    expect(v[seg.meanScore.offset]).toBeCloseTo((0.9 + 0.8 + 0.6) / 3, 6);
    // with landmarks: the frame sequence masks the frames without a face
    const both = faceApiFeatures(results, { parts: 'both' });
    expect(both.featureDim).toBe(143);
    expect(Array.from(both.frameMask)).toEqual([1, 0, 1, 1, 0]);
    expect(both.features[1].every((x) => x === 0)).toBe(true);
    expect(faceApiUtteranceVector(results, { parts: 'both' })).toHaveLength(295);
  });

  it('gives the same probabilities on the reference cpu backend', async () => {
    const onWasm = await runFaceApiNets({ expression: nets.expression }, crops);
    await useBackend('cpu');
    try {
      const cpuNets = loadFaceApiNetsFromDisk({ faceapi });
      const cpuCrops = crops.map((c) => tf.tensor3d(c.dataSync() as Float32Array, c.shape));
      const onCpu = await runFaceApiNets(cpuNets, cpuCrops);
      tf.dispose(cpuCrops);
      for (const [t, r] of onCpu.entries()) {
        expectProbabilityRow(r!.expressions as Record<string, number>);
        for (const name of FACE_API_EXPRESSIONS) expect(r!.expressions![name as never]).toBeCloseTo(onWasm[t]!.expressions![name as never], 4);
      }
      disposeFaceApiNets(cpuNets);
    } finally {
      await useBackend('wasm');
    }
  });

  it('no face in any frame: no network call, every result null, the modality missing', async () => {
    const spy = vi.spyOn(nets.expression!, 'forward');
    const results = await runFaceApiNets(nets, [null, null, undefined]);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    expect(results).toEqual([null, null, null]);
    expect(faceApiUtteranceVector(results)).toBeNull();
    expect(Array.from(faceApiFeatures(results).frameMask)).toEqual([0, 0, 0]);
  });

  it('rejects bad crops and networks with errors naming the field', async () => {
    const flat = tf.zeros([10, 10]);
    const rgba = tf.zeros([10, 10, 4]);
    const cases: Array<[() => Promise<unknown>, RegExp]> = [
      [() => runFaceApiNets(nets, [crops[0], flat as tf.Tensor3D]), /^crops\[1\]: expected shape \[height, width, 3\].*received shape \[10, 10\]/],
      [() => runFaceApiNets(nets, [rgba as tf.Tensor3D]), /^crops\[0\]: expected shape \[height, width, 3\]/],
      [() => runFaceApiNets(nets, [[1, 2, 3] as never]), /^crops\[0\]: expected a tf\.Tensor3D/],
      [() => runFaceApiNets(nets, crops[0] as never), /^crops: expected an array/],
      [() => runFaceApiNets({}, crops), /^nets: /],
      [() => runFaceApiNets({ expression: new faceapi.FaceExpressionNet() }, crops), /^nets\.expression: expected a loaded face-api network, received a network without weights/],
      [() => runFaceApiNets({ expression: nets.landmarks }, crops), /^nets\.expression output: expected shape \[3, 7\]/],
      [() => runFaceApiNets(nets, crops, { scores: [1] }), /^options\.scores: expected one detection score per crop \(3\)/],
      [() => runFaceApiNets(nets, crops, { scores: [1, 2, 1] }), /^options\.scores\[1\]: /],
      [() => runFaceApiNets(nets, crops, { batchSize: 0 }), /^options\.batchSize: /],
    ];
    const n = tf.memory().numTensors;
    for (const [fn, pattern] of cases) {
      const error = await fn().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, String(pattern)).toBeInstanceOf(EmojeInputError);
      expect((error as Error).message).toMatch(pattern);
    }
    expect(tf.memory().numTensors).toBe(n);
    tf.dispose([flat, rgba]);
  });
});

describe('weights and module checks', () => {
  beforeAll(() => useBackend('cpu'));

  it('decodes the quantised weights of each model to the shapes its manifest declares', () => {
    const n = tf.memory().numTensors;
    const map = readFaceApiWeights('face_expression_model');
    expect(Object.keys(map)).toHaveLength(49);
    expect(map['fc/weights'].shape).toEqual([256, 7]);
    expect(map['fc/bias'].shape).toEqual([7]);
    expect(map['fc/weights'].dtype).toBe('float32');
    tf.dispose(map);
    expect(tf.memory().numTensors).toBe(n);
  });

  it('reports truncated weight files and foreign modules clearly', () => {
    const manifest = [{ paths: ['a.bin'], weights: [{ name: 'w', shape: [2, 3], dtype: 'float32' }] }];
    expect(() => decodeFaceApiWeights(manifest, () => new Uint8Array(20))).toThrow(/^manifest\[0\]\.paths: expected 24 bytes of weights, received 20 bytes in a\.bin/);
    expect(() => decodeFaceApiWeights({}, () => new Uint8Array(0))).toThrow(/^manifest: expected a tfjs weights manifest/);
    expect(Array.from(decodeFaceApiWeights(manifest, () => new Float32Array([1, 2, 3, 4, 5, 6]).buffer).w.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => loadFaceApiNetsFromDisk({ faceapi: {} })).toThrow(/^faceapi\.FaceExpressionNet: expected the @vladmandic\/face-api module/);
    const foreign = { ...requireFaceApi(), tf: { Tensor: class {} } };
    expect(() => loadFaceApiNetsFromDisk({ faceapi: foreign })).toThrow(/^faceapi\.tf: expected face-api loaded with the same @tensorflow\/tfjs-core/);
    expect(() => loadFaceApiNetsFromDisk({ expression: false })).toThrow(/^options: expected at least one network/);
    expect(() => loadFaceApiNetsFromDisk({ modelDir: '/nonexistent' })).toThrow(/face-api weights manifest \/nonexistent\/face_expression_model-weights_manifest\.json could not be read/);
  });
});
