import * as tf from '@tensorflow/tfjs-core';
import { TEST_BACKENDS, expectClose, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { audioFrameFeatures, extractAudioFeatures, sequenceEncoder } from './index';

/** Frame-level audio features of a gliding harmonic tone of `seconds`, pooled by 4. */
function frames(seconds: number, f0: number): Float32Array[] {
  const rate = 16000;
  let phase = 0;
  const x = Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => {
    phase += (2 * Math.PI * (f0 + 40 * (i / rate))) / rate;
    return 0.2 * (Math.sin(phase) + 0.5 * Math.sin(2 * phase) + 0.25 * Math.sin(3 * phase));
  });
  return audioFrameFeatures(extractAudioFeatures(x, rate), 4);
}

/** `[B=1, U=2, S, 43]` from two utterances' frames padded with `fill`, and the frame mask; utterance 1 may be missing (all masked). */
function batch(a: Float32Array[], b: Float32Array[] | null, s: number, fill: () => number): { x: tf.Tensor4D; mask: tf.Tensor3D } {
  const d = a[0].length;
  const x = new Float32Array(2 * s * d).map(fill);
  const mask = new Float32Array(2 * s);
  [a, b].forEach((rows, u) => rows?.forEach((r, t) => {
    x.set(r, (u * s + t) * d);
    mask[u * s + t] = 1;
  }));
  return { x: tf.tensor4d(x, [1, 2, s, d]), mask: tf.tensor3d(mask, [1, 2, s]) };
}

describe.each(TEST_BACKENDS)('frame-level audio through the frame-sequence encoder on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  const short = frames(0.6, 140);
  const long = frames(1.0, 210);
  const S = long.length + 7;

  it('is masking-invariant: padded frames (zeros, noise, NaN) and a missing utterance full of NaN change nothing and stay finite', () => {
    for (const kind of ['convolution', 'attention'] as const) {
      const encoder = sequenceEncoder({ units: 16, kind, numLayers: 2, numHeads: 2, seed: 3, dropout: 0 });
      const run = (b: Float32Array[] | null, fill: () => number) => {
        const { x, mask } = batch(short, b, S, fill);
        const [tokens, pooled] = encoder.apply([x, mask]) as tf.Tensor[];
        const out = { tokens: tokens.arraySync() as number[][][][], pooled: pooled.arraySync() as number[][][] };
        tf.dispose([x, mask, tokens, pooled]);
        return out;
      };
      const zeros = run(long, () => 0);
      const noise = run(long, () => Math.random() * 100 - 50);
      const nan = run(long, () => Number.NaN);
      expect(zeros.pooled[0][0].every(Number.isFinite)).toBe(true);
      expectClose(noise.pooled.flat(2), zeros.pooled.flat(2), 1e-5);
      expectClose(nan.pooled.flat(2), zeros.pooled.flat(2), 1e-5);
      // tokens at real frames equal, zeros at padded frames
      expectClose(nan.tokens[0][0].slice(0, short.length).flat(), zeros.tokens[0][0].slice(0, short.length).flat(), 1e-5);
      expect(nan.tokens[0][0].slice(short.length).flat().every((v) => v === 0)).toBe(true);
      // utterance 1 missing (no real frame), its slot NaN: zeros out, utterance 0 unchanged
      const missing = run(null, () => Number.NaN);
      expect(missing.pooled[0][1].every((v) => v === 0)).toBe(true);
      expectClose(missing.pooled[0][0], zeros.pooled[0][0], 1e-5);
      encoder.dispose();
    }
  });

  it('leaks no tensor', () => {
    const encoder = sequenceEncoder({ units: 8, kind: 'convolution', seed: 1 });
    const { x, mask } = batch(short, long, S, () => Number.NaN);
    tf.dispose(encoder.apply([x, mask]) as tf.Tensor[]);
    const before = tf.memory().numTensors;
    tf.dispose(encoder.apply([x, mask]) as tf.Tensor[]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, mask]);
    encoder.dispose();
  });
});
