import { describe, expect, it } from 'vitest';
import { EmojeInputError } from '@emoje/core';
import { assertModalityEncoders, createModel, loadModel } from '../index';
import { useBackend } from '@emoje/test-utils';
import * as tf from '@tensorflow/tfjs-core';

describe('a model records the sentence encoder of its text vectors', () => {
  it('keeps VectorModalityConfig.encoder through save and load', async () => {
    await useBackend('cpu');
    const model = createModel({ modalities: [{ name: 'text', kind: 'vector', dim: 6, encoder: 'use-lite-512@1' }], classes: ['a', 'b'], units: 8, contextUnits: 8, embeddingDim: 4 });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    model.dispose();
    const again = await loadModel(tf.io.fromMemory(artifacts!));
    expect(again.config.modalities[0]).toEqual({ name: 'text', kind: 'vector', dim: 6, encoder: 'use-lite-512@1' });
    again.dispose();
  });

  it('refuses data whose vectors come from another encoder, or from none, naming the modality', () => {
    const modalities = [{ name: 'audio', kind: 'vector' as const, dim: 3 }, { name: 'text', kind: 'vector' as const, dim: 512, encoder: 'use-lite-512@1' }];
    expect(() => assertModalityEncoders(modalities, [{ name: 'audio', kind: 'vector', dim: 3 }, { name: 'text', kind: 'vector', dim: 512, encoder: 'use-lite-512@1' }])).not.toThrow();
    expect(() => assertModalityEncoders(modalities, [{ name: 'text', kind: 'text' }])).not.toThrow(); // text is embedded by the runtime
    const other = (() => {
      try {
        assertModalityEncoders(modalities, [{ name: 'audio', kind: 'vector', dim: 3 }, { name: 'text', kind: 'vector', dim: 512, encoder: 'mpnet@2' }]);
      } catch (e) {
        return e;
      }
    })() as EmojeInputError;
    expect(other).toBeInstanceOf(EmojeInputError);
    expect(other.field).toBe('dataset.modalities[1].encoder');
    expect(other.message).toContain("expected vectors from the sentence encoder 'use-lite-512@1' (the model's 'text' modality was trained on them), received vectors from the sentence encoder 'mpnet@2'");
    expect(() => assertModalityEncoders(modalities, [{ name: 'text', kind: 'vector', dim: 512 }])).toThrow(/received vectors from no sentence encoder/);
    expect(() => assertModalityEncoders([{ name: 'text', kind: 'vector', dim: 512 }], [{ name: 'text', kind: 'vector', dim: 512, encoder: 'use-lite-512@1' }])).toThrow(
      /expected vectors from no sentence encoder/,
    );
  });

  it('rejects an encoder id that is not a non-empty string', () => {
    expect(() => createModel({ modalities: [{ name: 'text', kind: 'vector', dim: 4, encoder: '' }], classes: ['a', 'b'] })).toThrow(/config.modalities\[0\].encoder/);
  });
});
