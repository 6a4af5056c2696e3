import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError } from '@emoje/core';
import { loadEmodb } from '@emoje/datasets/node';
import { resample } from '@emoje/encoders';
import { useBackend, pcm16WavBytes } from '@emoje/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRETRAINED, assetsDir, loadPretrained, predictSpeechEmotion, predictSpeechEmotionFromWav } from './node';
import type { EmojeModel } from '@emoje/model';

const metrics = JSON.parse(readFileSync(join(assetsDir(), 'emodb', 'metrics.json'), 'utf8')) as { devSpeaker: string; devPredictions: number[]; devUar: number };
const corpus = await loadEmodb();
const devClips = corpus.utterances.filter((u) => u.speaker === metrics.devSpeaker);

describe('the bundled speech-emotion model (emodb, wasm)', () => {
  let model: EmojeModel;
  const dir = mkdtempSync(join(tmpdir(), 'emoje-speech-'));
  beforeAll(async () => {
    await useBackend('wasm');
    model = await loadPretrained('emodb');
  });
  afterAll(() => model?.dispose());

  it('has the catalog classes and input, and predicts every dev-speaker clip as its training script recorded', async () => {
    expect(model.config.classes).toEqual(PRETRAINED.emodb.classes);
    expect(model.config.modalities.map((m) => [m.name, m.kind === 'vector' ? m.dim : null])).toEqual([['audio', 163]]);
    expect(devClips).toHaveLength(metrics.devPredictions.length);
    const labels: string[] = [];
    for (const clip of devClips) labels.push((await predictSpeechEmotion(model, clip.samples, corpus.sampleRate)).label);
    expect(labels).toEqual(metrics.devPredictions.map((k) => PRETRAINED.emodb.classes[k]));
    // better than chance (1/7) on a speaker it never trained on
    const recall = PRETRAINED.emodb.classes.map((c) => {
      const own = devClips.map((u, i) => [u.emotion, labels[i]]).filter(([t]) => t === c);
      return own.length ? own.filter(([t, p]) => t === p).length / own.length : 0;
    });
    expect(recall.reduce((a, b) => a + b, 0) / recall.length).toBeCloseTo(metrics.devUar, 6);
    expect(metrics.devUar).toBeGreaterThan(0.4);
  });

  it('gives the same answer from a WAV file as from its samples, and takes microphone-rate samples', async () => {
    const clip = devClips[0];
    const path = join(dir, 'clip.wav');
    writeFileSync(path, pcm16WavBytes(clip.samples, corpus.sampleRate));
    const fromSamples = await predictSpeechEmotion(model, clip.samples, corpus.sampleRate);
    const fromWav = await predictSpeechEmotionFromWav(model, path);
    expect(fromWav.label).toBe(fromSamples.label);
    for (const c of PRETRAINED.emodb.classes) expect(fromWav.probabilities[c]).toBeCloseTo(fromSamples.probabilities[c], 6);
    const mic = await predictSpeechEmotion(model, resample(clip.samples, corpus.sampleRate, 48000), 48000);
    expect(Object.values(mic.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(PRETRAINED.emodb.classes).toContain(mic.label);
  });

  it('leaks no tensor', async () => {
    const clip = devClips[1];
    await predictSpeechEmotion(model, clip.samples, corpus.sampleRate);
    const before = tf.memory().numTensors;
    await predictSpeechEmotion(model, clip.samples, corpus.sampleRate);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names what is wrong: a clip too short, a file that is missing or not a WAV, a model without that audio input', async () => {
    await expect(predictSpeechEmotion(model, new Float32Array(100), 16000)).rejects.toThrow(/^samples: expected at least 25 ms/);
    const missing = join(dir, 'nowhere.wav');
    await expect(predictSpeechEmotionFromWav(model, missing)).rejects.toThrow(new RegExp(`^${missing}: expected a readable WAV file`));
    const notWav = join(dir, 'notes.wav');
    writeFileSync(notWav, 'private notes, not audio');
    const error = await predictSpeechEmotionFromWav(model, notWav).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmojeInputError);
    expect((error as EmojeInputError).field).toBe(`${notWav}: wav`);
    expect((error as Error).message).not.toContain('private notes');
    expect(readFileSync(notWav, 'utf8')).toBe('private notes, not audio');
    const mosi = await loadPretrained('mosi');
    await expect(predictSpeechEmotion(mosi, devClips[0].samples, 16000)).rejects.toThrow(/^width: expected 77/);
    mosi.dispose();
  });
});
