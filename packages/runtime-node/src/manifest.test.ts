import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIO_UTTERANCE_VECTOR_WIDTH, FACE_API_EXPRESSIONS, POSE_UTTERANCE_VECTOR_WIDTH, faceFeatures, faceUtteranceVector } from '@emoje/encoders';
import { createModel } from '@emoje/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featurizeManifest, initBackend, runCli, saveModel, type CliIO } from './index';

/** A 16-bit PCM mono WAV of a 220 Hz tone with harmonics. */
function toneWav(seconds = 0.6, rate = 16000): Uint8Array {
  const n = Math.round(seconds * rate);
  const bytes = new Uint8Array(44 + 2 * n);
  const view = new DataView(bytes.buffer);
  const text = (at: number, s: string) => [...s].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  view.setUint32(4, 36 + 2 * n, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, 2 * rate, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, 'data');
  view.setUint32(40, 2 * n, true);
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const v = 0.4 * Math.sin(2 * Math.PI * 220 * t) + 0.2 * Math.sin(2 * Math.PI * 440 * t);
    view.setInt16(44 + 2 * i, Math.round(v * 32767), true);
  }
  return bytes;
}

/** COCO-17 keypoints of a person swaying slightly, 12 frames, one missed frame. */
function keypoints(): string {
  const frames = Array.from({ length: 12 }, (_, f) =>
    f === 5 ? null : Array.from({ length: 17 }, (_, j) => ({ x: 100 + 10 * Math.sin(j + f / 3), y: 50 + 12 * j, score: 0.9 })),
  );
  return JSON.stringify({ layout: 'coco17', frames });
}

function capture(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t) };
}

const MODALITIES = [
  { name: 'audio', kind: 'vector' as const, dim: AUDIO_UTTERANCE_VECTOR_WIDTH },
  { name: 'body', kind: 'vector' as const, dim: POSE_UTTERANCE_VECTOR_WIDTH },
];

describe('dialogue manifests of media files', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend();
    dir = await mkdtemp(join(tmpdir(), 'emoje-manifest-'));
    await writeFile(join(dir, 'a.wav'), toneWav());
    await writeFile(join(dir, 'a.json'), keypoints());
    await writeFile(join(dir, 'broken.json'), '{"layout": "coco17", "frames": [');
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify({
        utterances: [
          { speaker: 'A', wav: 'a.wav', keypoints: 'a.json' },
          { speaker: 'B', wav: 'nowhere.wav', keypoints: 'a.json' },
          { speaker: 'A', wav: 'a.wav', keypoints: 'broken.json' },
        ],
      }),
    );
    const model = createModel({ modalities: MODALITIES, classes: ['negative', 'positive'], units: 16, contextUnits: 16, numHeads: 2 });
    await saveModel(model, join(dir, 'model'));
    model.dispose();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('featurizes WAV and keypoints; an absent or malformed file becomes a missing modality with a warning', async () => {
    const manifest = { utterances: [
      { speaker: 'A', wav: 'a.wav', keypoints: 'a.json' },
      { speaker: 'B', wav: 'nowhere.wav' },
      { speaker: 'A', keypoints: 'broken.json' },
    ] };
    const { dialogue, warnings } = await featurizeManifest(manifest, MODALITIES, { baseDir: dir });
    const [u0, u1, u2] = dialogue.utterances;
    expect(u0.features.audio).toHaveLength(AUDIO_UTTERANCE_VECTOR_WIDTH);
    expect(u0.features.body).toHaveLength(POSE_UTTERANCE_VECTOR_WIDTH);
    expect(Array.from(u0.features.audio as Float32Array).every(Number.isFinite)).toBe(true);
    expect(u1.features.audio ?? null).toBeNull();
    expect(u2.features.body ?? null).toBeNull();
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/utterances\[1\]\.wav: nowhere\.wav could not be used/);
    expect(warnings[1]).toMatch(/utterances\[2\]\.keypoints: broken\.json could not be used/);
  });

  it('featurizes face files (face-api expressions per frame); no face, a width mismatch or a broken file is a warning', async () => {
    const expr = (happy: number) => Object.fromEntries(FACE_API_EXPRESSIONS.map((k) => [k, k === 'happy' ? happy : (1 - happy) / 6]));
    const frames = [{ expressions: expr(0.9) }, null, { expressions: expr(0.5) }, { expressions: expr(0.7) }];
    await writeFile(join(dir, 'face.json'), JSON.stringify({ frames }));
    await writeFile(join(dir, 'noface.json'), JSON.stringify({ frames: [null, null] }));
    await writeFile(join(dir, 'landmarks.json'), JSON.stringify({ frames: [{ landmarks: Array.from({ length: 68 }, (_, i) => ({ x: i, y: i % 7 })) }] }));
    const modalities = [{ name: 'face', kind: 'vector' as const, dim: 15 }];
    const manifest = { utterances: [
      { speaker: 'A', face: 'face.json' },
      { speaker: 'B', face: 'noface.json' },
      { speaker: 'A', face: 'landmarks.json' },
      { speaker: 'B', face: 'broken.json' },
    ] };
    const { dialogue, warnings: unordered } = await featurizeManifest(manifest, modalities, { baseDir: dir });
    const warnings = [...unordered].sort(); // files are read concurrently: warnings come in completion order
    const expected = faceUtteranceVector(faceFeatures(frames));
    expect(expected).toHaveLength(15);
    expect(Array.from(dialogue.utterances[0].features.face as Float32Array)).toEqual(Array.from(expected));
    expect(dialogue.utterances.slice(1).map((u) => u.features.face ?? null)).toEqual([null, null, null]);
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/utterances\[1\]\.face: noface\.json could not be used \(no frame with a detected face\); 'face' treated as missing/);
    expect(warnings[1]).toMatch(/utterances\[2\]\.face: .*face vector is 273 wide .* the model's 'face' modality 15/);
    expect(warnings[2]).toMatch(/utterances\[3\]\.face: broken\.json could not be used/);
    const renamed = await featurizeManifest({ utterances: [{ speaker: 'A', face: 'face.json' }] }, [{ name: 'visual', kind: 'vector', dim: 15 }], { baseDir: dir, names: { face: 'visual' } });
    expect(renamed.dialogue.utterances[0].features.visual).toHaveLength(15);
    const without = await featurizeManifest({ utterances: [{ speaker: 'A', face: 'face.json' }] }, MODALITIES, { baseDir: dir });
    expect(without.warnings[0]).toMatch(/utterances\[0\]\.face: the model has no 'face' modality; ignored/);
  });

  it('emoje predict --manifest prints one row per utterance and the warnings on stderr', async () => {
    const io = capture();
    const code = await runCli(['node', 'emoje', 'predict', '--model', join(dir, 'model'), '--manifest', join(dir, 'manifest.json'), '--json'], { io });
    expect(code, io.stderr.join('')).toBe(0);
    const [predictions] = JSON.parse(io.stdout.join(''));
    expect(predictions).toHaveLength(3);
    expect(predictions[1].missing).toEqual(['audio']);
    expect(predictions[1].imputed).toEqual(['audio']);
    expect(predictions[2].missing).toEqual(['body']);
    expect(io.stderr.join('')).toMatch(/warning: .*nowhere\.wav/);
  });

  it('rejects a malformed manifest and a model whose widths do not fit, naming the field', async () => {
    await expect(featurizeManifest({ utterances: [] }, MODALITIES)).rejects.toThrow(/manifest\.utterances/);
    await expect(featurizeManifest({ utterances: [{ speaker: 'A' }] }, [{ name: 'audio', kind: 'vector', dim: 10 }])).rejects.toThrow(/model modality 'audio'/);
    const io = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--model', join(dir, 'model')], { io })).toBe(1);
    expect(io.stderr.join('')).toContain('--input / --manifest');
  });
});
