/**
 * Issue 19, items 4, 5, 9 and 10: media paths confined to the data file's folder, regular files only, size caps,
 * content-free warnings, "no usable modality" per utterance, and size limits checked up front.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmojeInputError } from '@emoje/core';
import { AUDIO_UTTERANCE_VECTOR_WIDTH } from '@emoje/encoders';
import { createModel } from '@emoje/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featurizeManifest, initBackend, loadDialogueJsonl, readDataFile, resolveMediaFile, runCli, saveModel, type CliIO } from './index';

const SECRET = 'root:x:0:0:ZQXJ:/root:/bin/bash\n';

function wav(samples: number, rate = 16000): Uint8Array {
  const bytes = new Uint8Array(44 + 2 * samples);
  const view = new DataView(bytes.buffer);
  const text = (at: number, s: string) => [...s].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  view.setUint32(4, 36 + 2 * samples, true);
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
  view.setUint32(40, 2 * samples, true);
  for (let i = 0; i < samples; i++) view.setInt16(44 + 2 * i, Math.round(8000 * Math.sin(i / 7) + 3000 * Math.sin(i / 3)), true);
  return bytes;
}

function capture(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t) };
}

async function errorOf(promise: Promise<unknown>): Promise<EmojeInputError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EmojeInputError) return error;
    throw error;
  }
  throw new Error('expected an EmojeInputError, got a result');
}

const AUDIO = [{ name: 'audio', kind: 'vector' as const, dim: AUDIO_UTTERANCE_VECTOR_WIDTH }];

describe('media files: confinement, regular files, size caps', () => {
  let root: string;
  let data: string;
  let fifo: string | null = null;
  beforeAll(async () => {
    await initBackend();
    root = await mkdtemp(join(tmpdir(), 'emoje-media-'));
    data = join(root, 'data');
    await mkdir(join(data, 'clips'), { recursive: true });
    await writeFile(join(data, 'clips', 'a.wav'), wav(8000));
    await writeFile(join(data, 'empty.wav'), wav(0));
    await writeFile(join(data, 'passwd.wav'), SECRET);
    await writeFile(join(data, 'passwd.json'), SECRET);
    await writeFile(join(root, 'outside.wav'), wav(8000));
    await symlink(join(root, 'outside.wav'), join(data, 'link-out.wav'));
    await symlink(join(data, 'clips', 'a.wav'), join(data, 'link-in.wav'));
    try {
      execFileSync('mkfifo', [join(data, 'pipe.wav')]);
      fifo = join(data, 'pipe.wav');
    } catch {
      fifo = null; // no mkfifo on this system: the FIFO cases below are skipped
    }
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('refuses absolute paths, ../ and symlinks that leave the folder, naming the field; allowOutside reads them', async () => {
    for (const ref of [join(root, 'outside.wav'), '../outside.wav', 'clips/../../outside.wav', 'link-out.wav', '/etc/passwd']) {
      const error = await errorOf(resolveMediaFile(ref, 'wav', data, 'calls.jsonl:3 utterances[1].wav'));
      expect(error.field).toBe('calls.jsonl:3 utterances[1].wav');
      expect(error.message).toMatch(/resolves outside it.*--allow-media-outside/);
    }
    expect(await resolveMediaFile('link-in.wav', 'wav', data, 'f')).toMatchObject({ path: expect.stringMatching(/clips[/\\]a\.wav$/) });
    expect(await resolveMediaFile('../outside.wav', 'wav', data, 'f', { allowOutside: true })).toMatchObject({ size: 44 + 16000 });
    expect(await resolveMediaFile('nowhere.wav', 'wav', data, 'f')).toEqual({ absent: 'ENOENT' });
  });

  it('refuses a FIFO and /dev/zero without reading them (a FIFO hung forever, /dev/zero grew to 9.8 GB)', async () => {
    const zero = await errorOf(resolveMediaFile('/dev/zero', 'wav', data, 'u.wav', { allowOutside: true }));
    expect(zero.message).toMatch(/u\.wav: expected a regular file, received "\/dev\/zero", a character device/);
    await expect(readDataFile('/dev/zero', '--dataset', 'a dialogue file')).rejects.toThrow(/a character device/);
    if (fifo) {
      await expect(resolveMediaFile('pipe.wav', 'wav', data, 'u.wav')).rejects.toThrow(/a FIFO/);
      await expect(readDataFile(fifo, '--dataset', 'a dialogue file')).rejects.toThrow(/--dataset: .*a FIFO/);
    }
  });

  it('caps sizes per kind, naming the field and the cap and how to raise it', async () => {
    const error = await errorOf(resolveMediaFile('clips/a.wav', 'wav', data, 'm.json utterances[0].wav', { maxBytes: { wav: 1000 } }));
    expect(error.message).toBe(
      'm.json utterances[0].wav: expected a wav file of at most 1000 bytes, received "clips/a.wav", 16044 bytes. Raise the cap with maxBytes.wav (CLI --max-media-mb wav=<MiB>)',
    );
    expect(await resolveMediaFile('clips/a.wav', 'wav', data, 'f', { maxBytes: { wav: 20000 } })).toMatchObject({ size: 16044 });
    await expect(resolveMediaFile('clips/a.wav', 'wav', data, 'f', { maxBytes: { wav: -1 } })).rejects.toThrow(/maxBytes\.wav/);
    await expect(readDataFile(join(data, 'clips', 'a.wav'), '--dataset', 'a dialogue file', 1000)).rejects.toThrow(/--dataset: expected a dialogue file of at most 1000 bytes, received ".*a\.wav", 16044 bytes/);
  });

  it('featurizeManifest checks every path before reading any; broken files are warnings that never quote them', async () => {
    await expect(featurizeManifest({ utterances: [{ speaker: 'A', wav: 'clips/a.wav' }, { speaker: 'B', wav: '/etc/passwd' }] }, AUDIO, { baseDir: data })).rejects.toThrow(
      /manifest\.utterances\[1\]\.wav: expected a file inside/,
    );
    const { dialogue, warnings } = await featurizeManifest(
      { utterances: [{ speaker: 'A', wav: 'passwd.wav' }, { speaker: 'B', wav: 'empty.wav' }, { speaker: 'A', wav: 'clips/a.wav' }] },
      AUDIO,
      { baseDir: data },
    );
    expect(warnings).toEqual([
      "manifest.utterances[0].wav: passwd.wav could not be used (wav: expected a RIFF/WAVE file ('RIFF' at byte 0, 'WAVE' at byte 8), received 32 bytes without that header); 'audio' treated as missing",
      "manifest.utterances[1].wav: empty.wav could not be used (a valid WAV header but no samples); 'audio' treated as missing",
    ]);
    expect(dialogue.utterances.map((u) => u.features.audio == null)).toEqual([true, true, false]);
    const body = await featurizeManifest({ utterances: [{ speaker: 'A', keypoints: 'passwd.json' }] }, [{ name: 'body', kind: 'vector', dim: 147 }], { baseDir: data });
    expect(body.warnings[0]).toMatch(/passwd\.json could not be used \(not valid JSON\)/);
    expect(body.warnings.join('')).not.toContain('ZQXJ');
  });

  it('loadDialogueJsonl names the file, line and field of a refused media path, and leaves no-modality utterances in', async () => {
    const header = JSON.stringify({ format: 'emoje-dialogues', version: 1, name: 'm', classes: ['a', 'b'], modalities: [{ name: 'audio', kind: 'vector', dim: AUDIO_UTTERANCE_VECTOR_WIDTH }] });
    const line = (id: string, wavs: string[]) => JSON.stringify({ id, utterances: wavs.map((w, k) => ({ speaker: 'S', label: k % 2 ? 'a' : 'b', wav: w })) });
    const file = join(data, 'calls.jsonl');
    await writeFile(file, [header, line('d1', ['clips/a.wav', 'clips/a.wav']), line('d2', ['clips/a.wav', '../outside.wav'])].join('\n'));
    const error = await errorOf(loadDialogueJsonl(file));
    expect(error.field).toBe(`${file}:3 utterances[1].wav`);
    await writeFile(file, [header, line('d1', ['clips/a.wav', 'empty.wav']), line('d2', ['clips/a.wav', 'passwd.wav'])].join('\n'));
    const { dataset, warnings } = await loadDialogueJsonl(file);
    expect(warnings.map((w) => w.slice(0, w.indexOf(':', file.length + 1) + 1))).toEqual([`${file}:2 utterances[1].wav:`, `${file}:3 utterances[1].wav:`]);
    expect(warnings.join('\n')).not.toContain('ZQXJ');
    const all = [...dataset.train, ...dataset.dev].flatMap((d) => d.utterances);
    expect(all.filter((u) => u.features.audio == null)).toHaveLength(2);
    await writeFile(file, [header, line('d1', Array.from({ length: 300 }, () => 'clips/a.wav'))].join('\n'));
    expect((await errorOf(loadDialogueJsonl(file))).field).toBe(`${file}:2 utterances`);
  });
});

describe('predict and train with utterances that have no usable modality', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend();
    dir = await mkdtemp(join(tmpdir(), 'emoje-unusable-'));
    await writeFile(join(dir, 'a.wav'), wav(8000));
    await writeFile(join(dir, 'empty.wav'), wav(0));
    const model = createModel({ modalities: [...AUDIO, { name: 'extra', kind: 'vector', dim: 3 }], classes: ['a', 'b'], units: 16, contextUnits: 16, numHeads: 2, maxUtterances: 4 });
    await saveModel(model, join(dir, 'model'));
    model.dispose();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('emoje predict gives an utterance whose only media is missing or empty a "no usable modality" result and predicts the rest', async () => {
    await writeFile(
      join(dir, 'm.json'),
      JSON.stringify({ utterances: [{ speaker: 'A', wav: 'a.wav' }, { speaker: 'B', wav: 'gone.wav' }, { speaker: 'A', wav: 'empty.wav' }, { speaker: 'B', wav: 'a.wav' }] }),
    );
    const io = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--model', join(dir, 'model'), '--manifest', join(dir, 'm.json'), '--json'], { io }), io.stderr.join('')).toBe(0);
    const [predictions] = JSON.parse(io.stdout.join(''));
    expect(predictions.map((p: { status: string }) => p.status)).toEqual(['predicted', 'no-usable-modality', 'no-usable-modality', 'predicted']);
    expect(predictions[1]).toMatchObject({ label: null, labelIndex: -1, missing: ['audio', 'extra'] });
    expect(predictions[0].label).toMatch(/^(a|b)$/);
    const table = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--model', join(dir, 'model'), '--manifest', join(dir, 'm.json')], { io: table })).toBe(0);
    expect(table.stdout.join('')).toMatch(/1\s+B\s+\(no usable modality\)/);
  });

  it('--modalities that leaves an utterance with nothing is an error, not a label', async () => {
    await writeFile(join(dir, 'in.json'), JSON.stringify({ utterances: [{ speaker: 'A', features: { extra: [1, 2, 3] } }, { speaker: 'B', features: { audio: Array(AUDIO_UTTERANCE_VECTOR_WIDTH).fill(0.1) } }] }));
    const io = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--model', join(dir, 'model'), '--input', join(dir, 'in.json'), '--modalities', 'audio'], { io })).toBe(1);
    expect(io.stderr.join('')).toMatch(/modalities: expected a choice of modalities that leaves every utterance at least one of its own, received audio, but dialogue\.utterances\[0\] has only extra/);
  });

  it('a dialogue longer than the model accepts is refused up front, naming the dialogue', async () => {
    const utterances = Array.from({ length: 5 }, (_, k) => ({ speaker: 'A', features: { extra: [k, 1, 2] } }));
    await writeFile(join(dir, 'long.json'), JSON.stringify([{ utterances: utterances.slice(0, 2) }, { id: 'call-9', utterances }]));
    const io = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--model', join(dir, 'model'), '--input', join(dir, 'long.json')], { io })).toBe(1);
    expect(io.stderr.join('')).toMatch(/dialogues\[1\]\.utterances: expected at most 4 utterances \(the model's maxUtterances\), received 5 in dialogue "call-9"/);
  });

  it('--input that is not JSON is named without quoting it', async () => {
    await writeFile(join(dir, 'secret.json'), SECRET);
    const io = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--model', join(dir, 'model'), '--input', join(dir, 'secret.json')], { io })).toBe(1);
    expect(io.stderr.join('')).toMatch(/--input: .*secret\.json", not valid JSON/);
    expect(io.stderr.join('')).not.toContain('ZQXJ');
  });

  it('emoje train skips utterances with no usable modality and prints the count; --max-utterances raises the limit', async () => {
    const header = JSON.stringify({ format: 'emoje-dialogues', version: 1, name: 'm', classes: ['a', 'b'], modalities: [{ name: 'audio', kind: 'vector', dim: AUDIO_UTTERANCE_VECTOR_WIDTH }, { name: 'extra', kind: 'vector', dim: 2 }] });
    const utt = (k: number, media: Record<string, unknown>) => ({ speaker: k % 2 ? 'A' : 'B', label: k % 2 ? 'a' : 'b', ...media });
    const lines = Array.from({ length: 6 }, (_, d) =>
      JSON.stringify({ id: `d${d}`, split: d === 5 ? 'test' : d === 4 ? 'dev' : 'train', utterances: [utt(0, { features: { extra: [d, 1] } }), utt(1, { wav: 'a.wav' }), utt(d, { wav: d === 0 ? 'gone.wav' : 'a.wav' })] }),
    );
    await writeFile(join(dir, 'train.jsonl'), [header, ...lines].join('\n'));
    const io = capture();
    const code = await runCli(['node', 'emoje', 'train', '--dataset', join(dir, 'train.jsonl'), '--out', join(dir, 'trained'), '--epochs', '1', '--max-utterances', '300', '--json'], { io });
    expect(code, io.stderr.join('')).toBe(0);
    expect(io.stderr.join('')).toMatch(/warning: .*train\.jsonl:2 utterances\[2\]\.wav: gone\.wav could not be used \(cannot be opened \(ENOENT\)\)/);
    expect(io.stderr.join('')).toMatch(/warning: skipped 1 utterances with no usable modality \(train 1, dev 0\)/);
    const model = JSON.parse(io.stdout.join(''));
    expect(model.training.epochs).toBe(1);
  });
});
