import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMODB_CLASSES } from '@emoje/datasets';
import { loadEmodb } from '@emoje/datasets/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pcm16WavBytes } from '@emoje/test-utils';
import { pretrainedModelDir } from './pretrained-dir';
import { runCli, type CliIO } from './index';

function capture(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t) };
}

describe('emoje predict --pretrained emodb --wav', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emoje-wav-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('predicts the emotion of a WAV of a dev-speaker clip as the training script recorded, and the same as through a manifest', async () => {
    const modelDir = pretrainedModelDir('emodb');
    const metrics = JSON.parse(await readFile(join(modelDir, 'metrics.json'), 'utf8')) as { devSpeaker: string; devPredictions: number[] };
    const corpus = await loadEmodb();
    const clips = corpus.utterances.filter((u) => u.speaker === metrics.devSpeaker);
    const k = 3;
    const wav = join(dir, 'clip.wav');
    await writeFile(wav, pcm16WavBytes(clips[k].samples, corpus.sampleRate));
    const io = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--pretrained', 'emodb', '--wav', wav, '--json'], { io }), io.stderr.join('')).toBe(0);
    const [[row]] = JSON.parse(io.stdout.join('')) as { label: string; probabilities: Record<string, number> }[][];
    expect(row.label).toBe(EMODB_CLASSES[metrics.devPredictions[k]]);
    expect(Object.values(row.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const manifest = join(dir, 'manifest.json');
    await writeFile(manifest, JSON.stringify({ utterances: [{ speaker: 'A', wav: 'clip.wav' }] }));
    const viaManifest = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--model', modelDir, '--manifest', manifest, '--json'], { io: viaManifest })).toBe(0);
    expect(JSON.parse(viaManifest.stdout.join(''))[0][0].probabilities).toEqual(row.probabilities);
    const table = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--pretrained', 'emodb', '--wav', wav], { io: table })).toBe(0);
    expect(table.stdout.join('')).toContain(row.label);
  });

  it('names the flag at fault: an unknown pretrained name, a missing WAV, a model without audio, two inputs', async () => {
    const wav = join(dir, 'nowhere.wav');
    const unknown = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--pretrained', 'nope', '--wav', wav], { io: unknown })).toBe(1);
    expect(unknown.stderr.join('')).toContain("--pretrained: expected the name of a model in @emoje/pretrained (e.g. 'mosi', 'emodb')");
    const missing = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--pretrained', 'emodb', '--wav', wav], { io: missing })).toBe(1);
    expect(missing.stderr.join('')).toMatch(/--wav: expected a WAV file the model can read.*nowhere\.wav/);
    const noAudio = capture();
    await writeFile(join(dir, 'x.wav'), pcm16WavBytes(new Float32Array(1600), 16000));
    expect(await runCli(['node', 'emoje', 'predict', '--pretrained', 'mosi', '--wav', join(dir, 'x.wav')], { io: noAudio })).toBe(1);
    expect(noAudio.stderr.join('')).toContain("model modality 'audio'");
    const both = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--pretrained', 'emodb', '--wav', wav, '--input', wav], { io: both })).toBe(1);
    expect(both.stderr.join('')).toContain('--input / --manifest / --wav: expected exactly one of them, received --input and --wav');
    const noModel = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--wav', wav], { io: noModel })).toBe(1);
    expect(noModel.stderr.join('')).toContain('--model / --pretrained: expected exactly one of them, received neither');
  });
});
