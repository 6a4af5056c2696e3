/**
 * The whole MOSI preset model (the runtime's MOSI_PRESET on the vendored CMU-MOSI features) with the fused kernels
 * against the same model op by op, on wasm: loss, the gradient of every trainable variable and the logits within
 * 1e-5 relative; missing modalities stay invisible with the fused kernels; a saved and reloaded model predicts the same.
 *
 * @emoje/model, @emoje/datasets and @emoje/runtime-node are imported from the workspace here but not declared as
 * dependencies: runtime-node depends on this package, and declaring it back would make a dependency cycle (the Nx
 * `test` target lists their sources as inputs instead, see package.json).
 */
import * as tf from '@tensorflow/tfjs-core';
import { setFusedKernelsEnabled } from '@emoje/core';
import { loadMosi } from '@emoje/datasets/node';
import { collate, createModel, disposeBatch, loadModel, type Batch, type DialogueInput, type EmojeModel } from '@emoje/model';
import { MOSI_PRESET, initBackend } from '@emoje/runtime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCloseToScale, opByOp } from './__tests__/compare';
import { WASM_KERNEL_CONFIGS } from './index';

let model: EmojeModel;
let dialogues: DialogueInput[];

beforeAll(async () => {
  const selection = await initBackend({ backend: 'wasm' });
  expect(selection.backend).toBe('wasm');
  expect(selection.fusedKernels).toBe(WASM_KERNEL_CONFIGS.length);
  const data = await loadMosi();
  model = createModel({ ...MOSI_PRESET.model, modalities: data.modalities, classes: data.classes, seed: 7 });
  model.network.adaptNormalization(data.train);
  // Four dialogues, with modalities dropped from some utterances so the masked paths run too.
  dialogues = data.train.slice(0, 4).map((d, i) => ({
    ...d,
    utterances: d.utterances.map((u, j) => {
      const drop = data.modalities[(i + j) % data.modalities.length].name;
      if ((i + j) % 3 !== 0) return u;
      const features = { ...u.features };
      delete features[drop];
      return { ...u, features };
    }),
  }));
});

afterAll(() => {
  model?.dispose();
});

function trainable(): tf.Variable[] {
  return model.network.weights.filter((w) => w.trainable).map((w) => w.read() as tf.Variable);
}

/** Loss, gradients of every trainable variable, and logits, in inference mode (no dropout, so both runs agree). */
function lossAndGradients(batch: Batch): { loss: tf.Scalar; grads: tf.NamedTensorMap; logits: tf.Tensor } {
  const { value, grads } = tf.variableGrads(() => model.network.losses(model.network.forward(batch, false), batch).total, trainable());
  const logits = tf.tidy(() => model.network.forward(batch, false).logits);
  return { loss: value, grads, logits };
}

describe('the MOSI preset model on wasm, fused kernels against op by op', () => {
  it('has the same loss, logits and gradients of every trainable variable (1e-5 relative)', () => {
    const batch = collate(dialogues, model.config.modalities);
    const fused = lossAndGradients(batch);
    const reference = opByOp(() => lossAndGradients(batch));
    expectCloseToScale(fused.loss, reference.loss, 1e-5, 'loss');
    expectCloseToScale(fused.logits, reference.logits, 1e-5, 'logits');
    // Variables no gradient reaches are missing from both runs alike: the ACN's query and key (24 variables here; the
    // attention over a single vector descriptor per modality does not depend on them).
    const variables = trainable().filter((v) => v.name in reference.grads);
    expect(variables.map((v) => v.name in fused.grads)).toEqual(variables.map(() => true));
    expect(Object.keys(fused.grads).sort()).toEqual(Object.keys(reference.grads).sort());
    const scales = variables.map((v) => Math.max(...Array.from(reference.grads[v.name].dataSync(), Math.abs)));
    const largest = Math.max(...scales);
    let compared = 0;
    variables.forEach((v, i) => {
      // A variable whose exact gradient is 0 has only rounding noise in either run (here the dialogue context's
      // attention key biases: a softmax does not change when one term shifts all its logits alike). That noise must
      // stay tiny next to the other gradients, and is not compared relative to itself.
      if (scales[i] < 1e-6 * largest) {
        expectCloseToScale(fused.grads[v.name], tf.zerosLike(reference.grads[v.name]), 1e-5 * largest, `d ${v.name} (exactly 0 in exact arithmetic)`);
        return;
      }
      compared += 1;
      expectCloseToScale(
        tf.div(fused.grads[v.name], scales[i]),
        tf.div(reference.grads[v.name], scales[i]),
        1e-5,
        `d ${v.name}`,
      );
    });
    expect(compared).toBeGreaterThan(variables.length / 2);
    tf.dispose([fused.loss, fused.logits, reference.loss, reference.logits, ...Object.values(fused.grads), ...Object.values(reference.grads)]);
    disposeBatch(batch);
  });

  it.each(['NaN', 'random values'] as const)('a missing modality filled with %s changes no output', (fill) => {
    const batch = collate(dialogues, model.config.modalities);
    const expected = model.network.forward(batch, false);
    const filled: Batch = {
      ...batch,
      features: batch.features.map((f, m) =>
        tf.tidy(() => {
          // Every slot the availability marks absent (missing modalities and padding) gets the filler.
          const [b, u] = f.shape;
          const absent = tf.reshape(tf.equal(tf.gather(batch.availability, [m], 2), 0), [b, u, ...f.shape.slice(2).map(() => 1)]);
          const filler = fill === 'NaN' ? tf.fill(f.shape, NaN) : tf.mul(tf.randomNormal(f.shape, 0, 1, 'float32', 11 + m), 100);
          return tf.where(tf.broadcastTo(absent, f.shape), filler, f);
        }),
      ),
    };
    expect(filled.features.some((f) => Array.from(f.dataSync()).some((v) => (fill === 'NaN' ? Number.isNaN(v) : Math.abs(v) > 10)))).toBe(true);
    const actual = model.network.forward(filled, false);
    for (const key of ['logits', 'modalityWeights', 'imputed', 'descriptors'] as const) {
      expect(Array.from(actual[key].dataSync()), key).toEqual(Array.from(expected[key].dataSync()));
    }
    tf.dispose([...filled.features, ...Object.values(expected).filter((t): t is tf.Tensor => t instanceof tf.Tensor)]);
    tf.dispose(Object.values(actual).filter((t): t is tf.Tensor => t instanceof tf.Tensor));
    disposeBatch(batch);
  });

  it('predicts the same after a save and reload, and prediction leaks no tensor', async () => {
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const reloaded = await loadModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    try {
      const before = await model.predictBatch(dialogues);
      expect(await reloaded.predictBatch(dialogues)).toEqual(before);
      expect(before.flat().filter((p) => p.status === 'predicted').length).toBeGreaterThan(20);
      const tensors = tf.memory().numTensors;
      await model.predictBatch(dialogues);
      expect(tf.memory().numTensors).toBe(tensors);
    } finally {
      reloaded.dispose();
    }
  });

  it('a training step leaks no tensor with the fused kernels', () => {
    const batch = collate(dialogues, model.config.modalities);
    const step = () => {
      const { value, grads } = tf.variableGrads(() => model.network.losses(model.network.forward(batch, true), batch).total, trainable());
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const tensors = tf.memory().numTensors;
    step();
    expect(tf.memory().numTensors).toBe(tensors);
    setFusedKernelsEnabled(true);
    disposeBatch(batch);
  });
});
