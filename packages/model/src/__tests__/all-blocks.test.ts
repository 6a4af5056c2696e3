import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { dialogueContext } from '@emoje/dialogue-context';
import { vectorEncoder } from '@emoje/encoders';
import { adaptiveCrossAttention, queryAdaptiveFusion } from '@emoje/fusion';
import { jointEmbedding } from '@emoje/joint-embedding';
import { expectClose, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClassifierHead } from '../index';

/** A user's own tf.model made of every emoje block, as the package READMEs show. */
function buildModel(): tfl.LayersModel {
  const text = tfl.input({ shape: [null, 6], name: 'text' });
  const audio = tfl.input({ shape: [null, 4], name: 'audio' });
  const availability = tfl.input({ shape: [null, 2], name: 'availability' });
  const utteranceMask = tfl.input({ shape: [null], name: 'utterance_mask' });
  const speakers = tfl.input({ shape: [null], name: 'speakers', dtype: 'int32' });
  const ht = vectorEncoder({ units: 8, seed: 1 }).apply(text) as tfl.SymbolicTensor;
  const ha = vectorEncoder({ units: 8, seed: 2 }).apply(audio) as tfl.SymbolicTensor;
  const c = adaptiveCrossAttention({ numModalities: 2, numLayers: 1, numHeads: 2, seed: 3 }).apply([ht, ha, availability]) as tfl.SymbolicTensor;
  const [, , compensated, imputed] = jointEmbedding({ numModalities: 2, embeddingDim: 4, seed: 4 }).apply([c, availability]) as tfl.SymbolicTensor[];
  const [fused, beta] = queryAdaptiveFusion({ numModalities: 2, seed: 5 }).apply([compensated, availability, imputed]) as tfl.SymbolicTensor[];
  const context = dialogueContext({ units: 8, numHeads: 2, numLayers: 1, seed: 6 }).apply([fused, utteranceMask, speakers]) as tfl.SymbolicTensor;
  const logits = new ClassifierHead({ numClasses: 3, seed: 7 }).apply(context) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [text, audio, availability, utteranceMask, speakers], outputs: [logits, beta] });
}

function inputs(): tf.Tensor[] {
  return [
    tf.randomNormal([2, 3, 6], 0, 1, 'float32', 1),
    tf.randomNormal([2, 3, 4], 0, 1, 'float32', 2),
    tf.tensor3d([[[1, 1], [1, 0], [0, 1]], [[1, 1], [0, 1], [0, 0]]]),
    tf.tensor2d([[1, 1, 1], [1, 1, 0]]),
    tf.tensor2d([[0, 1, 0], [0, 0, 0]], [2, 3], 'int32'),
  ];
}

describe('every block in one user-built tf.model (wasm)', () => {
  beforeAll(() => useBackend('wasm'));

  it('saves, reloads and predicts the same', async () => {
    const model = buildModel();
    const x = inputs();
    const before = model.predict(x) as tf.Tensor[];
    let artifacts: tf.io.ModelArtifacts | null = null;
    await model.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    const after = loaded.predict(x) as tf.Tensor[];
    expectClose(after[0], before[0], 1e-6);
    expectClose(after[1], before[1], 1e-6);
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(
      expect.arrayContaining(['EmojeVectorEncoder', 'EmojeAdaptiveCrossAttention', 'EmojeJointEmbedding', 'EmojeQueryAdaptiveFusion', 'EmojeDialogueContext', 'EmojeClassifierHead']),
    );
    tf.dispose([...x, ...before, ...after]);
    model.dispose();
    loaded.dispose();
  });

  it('a training step and a forward pass leave the tensor count unchanged', () => {
    const model = buildModel();
    const x = inputs();
    const labels = tf.tensor2d([[0, 1, 2], [2, 1, 0]], [2, 3], 'int32');
    const optimizer = tf.train.adam(1e-3);
    const step = () => {
      optimizer.minimize(() => {
        const [logits] = model.apply(x, { training: true }) as tf.Tensor[];
        return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 3), logits) as tf.Scalar;
      });
      tf.dispose(model.predict(x) as tf.Tensor[]);
    };
    step();
    const count = tf.memory().numTensors;
    step();
    expect(tf.memory().numTensors).toBe(count);
    tf.dispose([...x, labels]);
    optimizer.dispose();
    model.dispose();
  });
});
