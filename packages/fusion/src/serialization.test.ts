import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { TEST_BACKENDS, expectClose, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { adaptiveCrossAttention, fusedWidth, queryAdaptiveFusion } from './index';
import { acnBatch } from './__tests__/fixtures';

const U = 3;
const S = 4;
const D = 8;

/** A user's model: text vectors + audio frames -> ACN -> QAF -> a dense classifier. */
function buildModel(): tfl.LayersModel {
  const text = tfl.input({ shape: [U, D], name: 'text' });
  const audio = tfl.input({ shape: [U, S, D], name: 'audio' });
  const availability = tfl.input({ shape: [U, 2], name: 'availability' });
  const audioFrames = tfl.input({ shape: [U, S], name: 'audio_frames' });
  const imputed = tfl.input({ shape: [U, 2], name: 'imputed' });
  const c = adaptiveCrossAttention({ numModalities: 2, numLayers: 2, numHeads: 2, seed: 1 }).apply([
    text,
    audio,
    availability,
    audioFrames,
  ]) as tfl.SymbolicTensor;
  const [fused, beta] = queryAdaptiveFusion({ numModalities: 2, seed: 2 }).apply([c, availability, imputed]) as tfl.SymbolicTensor[];
  const logits = tfl.layers.dense({ units: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }).apply(fused) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [text, audio, availability, audioFrames, imputed], outputs: [logits, beta, c] });
}

describe.each(TEST_BACKENDS)('ACN + QAF inside a tf.model on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('saves with a save handler and reloads with loadLayersModel, predicting the same', async () => {
    const model = buildModel();
    expect(model.outputs.map((o) => o.shape)).toEqual([[null, U, 3], [null, U, 2], [null, U, 2, D]]);
    expect(fusedWidth(2, D)).toBe(16);
    const data = acnBatch([null, S], { batch: 2, utterances: U, width: D, lengths: [3, 2], seed: 21 });
    const imputed = tf.tensor3d(data.availability.map((d) => d.map((r) => (r.some((v) => v) ? r.map((v) => 1 - v) : [0, 0]))));
    const inputs = [...data.inputs, imputed];
    const before = model.predict(inputs) as tf.Tensor[];

    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    expect(saved).toBeDefined();
    const topology = JSON.stringify(saved?.modelTopology);
    expect(topology).toContain('EmojeAdaptiveCrossAttention');
    expect(topology).toContain('EmojeQueryAdaptiveFusion');

    const reloaded = await tfl.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
    expect(reloaded.getWeights().length).toBe(model.getWeights().length);
    const after = reloaded.predict(inputs) as tf.Tensor[];
    before.forEach((t, i) => expectClose(after[i], t, 1e-6));
  });

  it('trains end to end with fit on a tiny batch (the loss goes down)', async () => {
    const full = buildModel();
    const model = tfl.model({ inputs: full.inputs, outputs: full.outputs[0] });
    const data = acnBatch([null, S], { batch: 4, utterances: U, width: D, seed: 22, missing: 0.3 });
    const inputs = [...data.inputs, tf.zeros([4, U, 2])];
    const targets = tf.randomNormal([4, U, 3], 0, 1, 'float32', 23);
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const history = await model.fit(inputs, targets, { epochs: 8, batchSize: 4, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
  });
});
