/**
 * The frame-level audio path of bench:speech: frame sequences [B, 1, S, d] with their frame mask through the
 * frame-sequence encoder of @emoje/encoders (projection + positional encoding + masked temporal convolution,
 * masked mean pooling), then dropout and a linear softmax classifier. Trained with Adam on cross-entropy, early
 * stopping on the dev speaker's unweighted average recall (the best dev epoch's weights are kept).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { SeededRandom } from '@emoje/core';
import { sequenceEncoder, type SequenceEncoder } from '@emoje/encoders';

export interface FrameModelOptions {
  units: number;
  numLayers: number;
  kernelSize: number;
  dropout: number;
  learningRate: number;
  epochs: number;
  patience: number;
  batchSize: number;
  /** Gaussian noise (std) added to the standardised frames while training. */
  inputNoise: number;
  seed: number;
}

export const FRAME_MODEL_DEFAULTS: Omit<FrameModelOptions, 'seed'> = {
  units: 32,
  numLayers: 1,
  kernelSize: 5,
  dropout: 0.2,
  learningRate: 2e-3,
  epochs: 25,
  patience: 8,
  batchSize: 16,
  inputNoise: 0.1,
};

export interface FrameExample {
  frames: Float32Array[];
  label: number;
}

/** Unweighted average recall of `predicted` against `truth` over `numClasses` (classes without support skipped). */
export function unweightedAverageRecall(truth: readonly number[], predicted: readonly number[], numClasses: number): number {
  let sum = 0;
  let n = 0;
  for (let c = 0; c < numClasses; c++) {
    let support = 0;
    let hit = 0;
    truth.forEach((t, i) => {
      if (t === c) {
        support++;
        if (predicted[i] === c) hit++;
      }
    });
    if (support > 0) {
      sum += hit / support;
      n++;
    }
  }
  return n ? sum / n : 0;
}

function toBatch(examples: readonly FrameExample[], maxFrames: number): { x: tf.Tensor4D; mask: tf.Tensor3D } {
  const d = examples[0].frames[0].length;
  const s = Math.min(maxFrames, Math.max(...examples.map((e) => e.frames.length)));
  const x = new Float32Array(examples.length * s * d);
  const mask = new Float32Array(examples.length * s);
  examples.forEach((e, b) => {
    const n = Math.min(s, e.frames.length);
    for (let t = 0; t < n; t++) {
      x.set(e.frames[t], (b * s + t) * d);
      mask[b * s + t] = 1;
    }
  });
  return { x: tf.tensor4d(x, [examples.length, 1, s, d]), mask: tf.tensor3d(mask, [examples.length, 1, s]) };
}

/** A trained frame-sequence classifier. */
export class FrameClassifier {
  private readonly encoder: SequenceEncoder;
  private readonly head: tfl.layers.Layer;
  private readonly drop: tfl.layers.Layer;
  constructor(readonly numClasses: number, readonly options: FrameModelOptions) {
    this.encoder = sequenceEncoder({ units: options.units, kind: 'convolution', numLayers: options.numLayers, kernelSize: options.kernelSize, dropout: options.dropout, seed: options.seed });
    this.drop = tfl.layers.dropout({ rate: options.dropout, seed: options.seed + 1 });
    this.head = tfl.layers.dense({ units: numClasses, kernelInitializer: tfl.initializers.glorotUniform({ seed: options.seed + 2 }) });
  }

  /** `[B, C]` logits. */
  logits(x: tf.Tensor4D, mask: tf.Tensor3D, training: boolean): tf.Tensor2D {
    return tf.tidy(() => {
      const [, pooled] = this.encoder.apply([x, mask], { training }) as tf.Tensor[];
      const v = tf.squeeze(pooled, [1]);
      return this.head.apply(this.drop.apply(v, { training }), { training }) as tf.Tensor2D;
    });
  }

  predict(examples: readonly FrameExample[], batchSize = 32): number[] {
    const out: number[] = [];
    for (let i = 0; i < examples.length; i += batchSize) {
      const { x, mask } = toBatch(examples.slice(i, i + batchSize), 512);
      const pred = tf.tidy(() => tf.argMax(this.logits(x, mask, false), -1));
      out.push(...(pred.dataSync() as Int32Array));
      tf.dispose([x, mask, pred]);
    }
    return out;
  }

  get weights(): tf.Variable[] {
    return [...this.encoder.trainableWeights, ...this.head.trainableWeights].map((w) => (w as unknown as { val: tf.Variable }).val);
  }

  /** Trains on `train`, choosing the epoch on `dev` by UAR; returns the epochs run and the best epoch. */
  fit(train: readonly FrameExample[], dev: readonly FrameExample[]): { epochs: number; bestEpoch: number; bestDevUar: number } {
    const o = this.options;
    const rng = new SeededRandom(o.seed);
    const optimizer = tf.train.adam(o.learningRate);
    let best = -1;
    let bestEpoch = 0;
    let snapshot: tf.Tensor[] | null = null;
    let epoch = 0;
    const devTruth = dev.map((e) => e.label);
    for (epoch = 1; epoch <= o.epochs; epoch++) {
      const order = rng.shuffle(train.map((_, i) => i));
      for (let i = 0; i < order.length; i += o.batchSize) {
        const chunk = order.slice(i, i + o.batchSize).map((k) => train[k]);
        const { x, mask } = toBatch(chunk, 512);
        const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(chunk.map((e) => e.label), 'int32'), this.numClasses));
        const noise = o.inputNoise > 0 ? tf.randomNormal(x.shape, 0, o.inputNoise, 'float32', rng.seed()) : null;
        const input = noise ? (tf.add(x, noise) as tf.Tensor4D) : x;
        // the first call builds the layers, so their weights exist before the first step
        if (!this.encoder.built) tf.dispose(this.logits(input, mask, false));
        optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, this.logits(input, mask, true)) as tf.Scalar, false, this.weights);
        tf.dispose([x, mask, labels, ...(noise ? [noise, input] : [])]);
      }
      const uar = unweightedAverageRecall(devTruth, this.predict(dev), this.numClasses);
      if (uar > best) {
        best = uar;
        bestEpoch = epoch;
        if (snapshot) tf.dispose(snapshot);
        snapshot = this.weights.map((w) => tf.clone(w));
      } else if (epoch - bestEpoch >= o.patience) {
        break;
      }
    }
    if (snapshot) {
      this.weights.forEach((w, i) => w.assign(snapshot![i]));
      tf.dispose(snapshot);
    }
    optimizer.dispose();
    return { epochs: Math.min(epoch, o.epochs), bestEpoch, bestDevUar: best };
  }

  dispose(): void {
    this.encoder.dispose();
    this.head.dispose();
  }
}
