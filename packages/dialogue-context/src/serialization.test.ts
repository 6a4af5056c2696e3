import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { TEST_BACKENDS, expectClose, useBackend } from '@emoje/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { DialogueContext, dialogueContext } from './index';
import { dialogueBatch } from './__tests__/fixtures';

const F = 5;
const H = 8;

describe.each(TEST_BACKENDS)('DialogueContext serialization on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('getConfig holds every option and round-trips through fromConfig', () => {
    const layer = dialogueContext({
      units: H,
      numLayers: 1,
      numHeads: 2,
      feedForwardDim: 12,
      maxSpeakers: 4,
      maxUtterances: 32,
      causal: true,
      globalContext: false,
      speakerContext: true,
      dropout: 0.2,
      activation: 'relu',
      seed: 11,
      name: 'ctx',
    });
    const config = layer.getConfig();
    expect(config).toMatchObject({
      name: 'ctx',
      trainable: true,
      units: H,
      numLayers: 1,
      numHeads: 2,
      feedForwardDim: 12,
      maxSpeakers: 4,
      maxUtterances: 32,
      causal: true,
      globalContext: false,
      speakerContext: true,
      dropout: 0.2,
      activation: 'relu',
      seed: 11,
    });
    const copy = DialogueContext.fromConfig(DialogueContext, config) as DialogueContext;
    expect(copy).toBeInstanceOf(DialogueContext);
    expect(copy.getConfig()).toEqual(config);
    expect(DialogueContext.className).toBe('EmojeDialogueContext');
    const defaults = dialogueContext({ units: H }).getConfig();
    expect(defaults.seed).toBeNull();
    expect(DialogueContext.fromConfig(DialogueContext, defaults).getConfig()).toEqual(defaults);
  });

  it.each([{}, { causal: true, speakerContext: false }])('a saved model reloads with identical outputs (%j)', async (extra) => {
    const x = tfl.input({ shape: [null, F] });
    const mask = tfl.input({ shape: [null] });
    const speakers = tfl.input({ shape: [null], dtype: 'int32' });
    const h = dialogueContext({ units: H, numHeads: 2, numLayers: 1, seed: 4, ...extra }).apply([x, mask, speakers]);
    const model = tfl.model({ inputs: [x, mask, speakers], outputs: h as tfl.SymbolicTensor });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (saved) => {
        artifacts = saved;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    expect(JSON.stringify(artifacts?.modelTopology)).toContain('EmojeDialogueContext');
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    const batch = dialogueBatch([4, 2], 4, F);
    const inputs = [batch.x, batch.mask, batch.speakers];
    expectClose(loaded.predict(inputs) as tf.Tensor, model.predict(inputs) as tf.Tensor, 1e-6);
    const reloaded = loaded.layers.find((l) => l instanceof DialogueContext) as DialogueContext;
    expect(reloaded.options).toEqual((model.layers.find((l) => l instanceof DialogueContext) as DialogueContext).options);
    expect(reloaded.weights.map((w) => w.shape)).toEqual(model.layers[3].weights.map((w) => w.shape));
  });
});
