import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMosi } from '@emoje/datasets/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIO } from './index';

function capture(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t) };
}

describe('emoje train / eval / predict on the bundled MOSI data', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emoje-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('train writes a model, a checkpoint and a results table for every scenario', async () => {
    const io = capture();
    const code = await runCli(['node', 'emoje', 'train', '--dataset', 'mosi', '--out', join(dir, 'model'), '--epochs', '1', '--checkpoint', join(dir, 'ckpt'), '--json'], { io });
    expect(code, io.stderr.join('')).toBe(0);
    const report = JSON.parse(io.stdout.join(''));
    expect(Object.keys(report.test.scenarios)).toEqual(['T', 'A', 'V', 'TA', 'TV', 'AV', 'TAV']);
    expect(report.test.scenarios.TAV.support).toBe(752);
    expect(report.test.scenarios.TAV.accuracy).toBeGreaterThan(0.621); // above the majority class after one epoch
    expect(JSON.parse(await readFile(join(dir, 'model', 'model.json'), 'utf8')).format).toBe('emoje-model');
    expect(JSON.parse(await readFile(join(dir, 'ckpt', 'checkpoint.json'), 'utf8')).meta.epoch).toBe(1);
  });

  it('predict reads a dialogue JSON with missing modalities and prints one row per utterance', async () => {
    const data = await loadMosi();
    const utterances = data.test[0].utterances.slice(0, 3).map((u, i) => ({
      speaker: u.speaker,
      features: { text: Array.from(u.features.text as Float32Array), audio: i === 0 ? null : Array.from(u.features.audio as Float32Array) },
    }));
    const input = join(dir, 'dialogue.json');
    await writeFile(input, JSON.stringify({ utterances }));
    const io = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--model', join(dir, 'model'), '--input', input], { io })).toBe(0);
    const lines = io.stdout.join('').trim().split('\n');
    expect(lines).toHaveLength(2 + 3);
    expect(lines[0]).toMatch(/utterance\s+speaker\s+label\s+p\s+text weight\s+audio weight\s+visual weight/);
    expect(lines[2]).toMatch(/imputed/); // utterance 0 has neither audio nor visual

    const json = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--model', join(dir, 'model'), '--input', input, '--json'], { io: json })).toBe(0);
    const predictions = JSON.parse(json.stdout.join(''));
    expect(predictions[0][0].missing).toEqual(['audio', 'visual']);
  });

  it('eval prints the table of a saved model; bad input fails with a message naming the field', async () => {
    const io = capture();
    expect(await runCli(['node', 'emoje', 'eval', '--model', join(dir, 'model'), '--dataset', 'mosi'], { io })).toBe(0);
    const table = io.stdout.join('');
    expect(table).toContain('scenario TAV');
    expect(table).toContain('missing rate 0.7');

    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ utterances: [{ speaker: 'A', features: { text: [1, 2, 3] } }] }));
    const err = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--model', join(dir, 'model'), '--input', bad], { io: err })).toBe(1);
    expect(err.stderr.join('')).toContain('utterances[0].features.text: expected a vector of length 100');
    const unknown = capture();
    expect(await runCli(['node', 'emoje', 'train', '--dataset', 'nope', '--out', join(dir, 'x')], { io: unknown })).toBe(1);
    expect(unknown.stderr.join('')).toContain('--dataset');
  });
});

describe('emoje train / eval / predict on a dialogue JSON Lines file (text)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emoje-jsonl-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const example = new URL('../../../data/examples/dialogues.jsonl', import.meta.url).pathname;

  it('with --text-features glove: trains a token model on the README example file, evaluates it and predicts raw text', async () => {
    const io = capture();
    const code = await runCli(['node', 'emoje', 'train', '--dataset', example, '--out', join(dir, 'model'), '--epochs', '3', '--text-features', 'glove', '--json'], { io });
    expect(code, io.stderr.join('')).toBe(0);
    const report = JSON.parse(io.stdout.join(''));
    expect(Object.keys(report.test.scenarios)).toEqual(['T']);
    expect(report.test.scenarios.T.support).toBe(8);
    const saved = JSON.parse(await readFile(join(dir, 'model', 'model.json'), 'utf8'));
    expect(saved.modelTopology.config.modalities[0].kind).toBe('tokens');
    expect(saved.modelTopology.config.modalities[0].vocabulary).toContain('great');

    const evaluated = capture();
    expect(await runCli(['node', 'emoje', 'eval', '--model', join(dir, 'model'), '--dataset', example, '--json'], { io: evaluated })).toBe(0);
    expect(JSON.parse(evaluated.stdout.join('')).scenarios.T.accuracy).toBeCloseTo(report.test.scenarios.T.accuracy, 6);

    const input = join(dir, 'talk.json');
    await writeFile(input, JSON.stringify({ utterances: [{ speaker: 'A', text: 'This is outrageous, I want a refund!' }, { speaker: 'B', text: 'Thank you, that is wonderful.' }] }));
    const predicted = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--model', join(dir, 'model'), '--input', input, '--json'], { io: predicted })).toBe(0);
    const rows = JSON.parse(predicted.stdout.join(''));
    expect(rows[0]).toHaveLength(2);
    expect(Object.keys(rows[0][0].probabilities)).toEqual(['neutral', 'joy', 'anger']);
  });

  it('--ensemble trains several members, saves one ensemble, and eval and predict read it', { timeout: 300_000 }, async () => {
    const io = capture();
    const out = join(dir, 'ensemble');
    expect(await runCli(['node', 'emoje', 'train', '--dataset', example, '--out', out, '--epochs', '2', '--ensemble', '2', '--embedding-cache', join(dir, 'cache'), '--json'], { io })).toBe(0);
    const report = JSON.parse(io.stdout.join(''));
    expect(report.training).toHaveLength(2);
    const saved = JSON.parse(await readFile(join(out, 'model.json'), 'utf8'));
    expect(saved.modelTopology.format).toBe('emoje-ensemble');
    expect(saved.modelTopology.members).toHaveLength(2);

    const evaluated = capture();
    expect(await runCli(['node', 'emoje', 'eval', '--model', out, '--dataset', example, '--embedding-cache', join(dir, 'cache'), '--json'], { io: evaluated })).toBe(0);
    expect(JSON.parse(evaluated.stdout.join('')).scenarios.T.accuracy).toBeCloseTo(report.test.scenarios.T.accuracy, 6);
    const input = join(dir, 'talk-ensemble.json');
    await writeFile(input, JSON.stringify({ utterances: [{ speaker: 'A', text: 'Thank you, that is wonderful.' }] }));
    const predicted = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--model', out, '--input', input, '--json'], { io: predicted })).toBe(0);
    const [[row]] = JSON.parse(predicted.stdout.join(''));
    expect(Object.values(row.probabilities as Record<string, number>).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);

    const refused = capture();
    expect(await runCli(['node', 'emoje', 'train', '--dataset', example, '--out', join(dir, 'y'), '--ensemble', '2', '--checkpoint', join(dir, 'c')], { io: refused })).toBe(1);
    expect(refused.stderr.join('')).toContain('--checkpoint: expected no --checkpoint or --resume with --ensemble');
    const zero = capture();
    expect(await runCli(['node', 'emoje', 'train', '--dataset', example, '--out', join(dir, 'y'), '--ensemble', '0'], { io: zero })).toBe(1);
    expect(zero.stderr.join('')).toContain('--ensemble must be an integer >= 1');
  });

  it('by default embeds the text with USE-lite (cached, location printed), records the encoder, and predicts plain text', async () => {
    const cache = join(dir, 'use-cache');
    const io = capture();
    const out = join(dir, 'use-model');
    expect(await runCli(['node', 'emoje', 'train', '--dataset', example, '--out', out, '--epochs', '2', '--embedding-cache', cache, '--json'], { io }), io.stderr.join('')).toBe(0);
    expect(io.stderr.join('')).toContain(`embedding cache: ${join(cache, 'use-lite-512_1-')}`);
    expect(io.stderr.join('')).toMatch(/\(use-lite-512@1\): 0 texts cached, \d+ embedded/);
    const saved = JSON.parse(await readFile(join(out, 'model.json'), 'utf8'));
    expect(saved.modelTopology.config.modalities[0]).toEqual({ name: 'text', kind: 'vector', dim: 512, encoder: 'use-lite-512@1' });

    // A second run on the same data embeds nothing: every text comes from the cache.
    const evaluated = capture();
    expect(await runCli(['node', 'emoje', 'eval', '--model', out, '--dataset', example, '--embedding-cache', cache, '--json'], { io: evaluated })).toBe(0);
    expect(evaluated.stderr.join('')).toMatch(/: \d+ texts cached, 0 embedded/);
    expect(JSON.parse(evaluated.stdout.join('')).scenarios.T.accuracy).toBeCloseTo(JSON.parse(io.stdout.join('')).test.scenarios.T.accuracy, 6);

    const input = join(dir, 'talk-use.json');
    await writeFile(input, JSON.stringify({ utterances: [{ speaker: 'A', text: 'This is outrageous, I want a refund!' }, { speaker: 'B', text: 'Thank you, that is wonderful.' }] }));
    const predicted = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--model', out, '--input', input, '--embedding-cache', cache, '--json'], { io: predicted })).toBe(0);
    const rows = JSON.parse(predicted.stdout.join(''));
    expect(rows[0]).toHaveLength(2);
    expect(Object.keys(rows[0][0].probabilities)).toEqual(['neutral', 'joy', 'anger']);

    const blank = join(dir, 'blank.json');
    await writeFile(blank, JSON.stringify({ utterances: [{ speaker: 'A', text: 'fine' }, { speaker: 'B', text: '   ' }] }));
    const err = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--model', out, '--input', blank, '--embedding-cache', cache], { io: err })).toBe(1);
    expect(err.stderr.join('')).toContain('dialogues[0].utterances[1].text: expected a non-blank string (the utterance text), received a blank string');
  });

  it('predict --pretrained meld labels a plain-text dialogue with one of the 7 emotions, no training', async () => {
    const input = join(dir, 'talk.json');
    await writeFile(input, JSON.stringify({ utterances: [{ speaker: 'Ross', text: 'We were on a break!' }, { speaker: 'Rachel', text: 'Oh my God, I am so happy for you!' }] }));
    const io = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--pretrained', 'meld', '--input', input, '--embedding-cache', join(dir, 'cache-pretrained'), '--json'], { io }), io.stderr.join('')).toBe(0);
    const [rows] = JSON.parse(io.stdout.join(''));
    expect(rows).toHaveLength(2);
    expect(Object.keys(rows[0].probabilities)).toEqual(['neutral', 'surprise', 'fear', 'sadness', 'joy', 'disgust', 'anger']);
    const both = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--pretrained', 'meld', '--model', dir, '--input', input], { io: both })).toBe(1);
    expect(both.stderr.join('')).toContain('--model / --pretrained: expected exactly one of them, received both');
  });

  it('a malformed line fails with the file, line and field', async () => {
    const bad = join(dir, 'bad.jsonl');
    const lines = (await readFile(example, 'utf8')).split('\n');
    lines[3] = lines[3].replace('"label": "neutral"', '"label": "bored"');
    await writeFile(bad, lines.join('\n'));
    const io = capture();
    expect(await runCli(['node', 'emoje', 'train', '--dataset', bad, '--out', join(dir, 'x')], { io })).toBe(1);
    expect(io.stderr.join('')).toMatch(/bad\.jsonl:4 utterances\[0\]\.label: expected one of neutral, joy, anger/);
  });
});
