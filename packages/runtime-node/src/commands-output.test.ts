import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIO } from './index';

function capture(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t) };
}

describe('what emoje train and eval print (the README example file: text only, 3 classes)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emoje-output-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const example = new URL('../../../data/examples/dialogues.jsonl', import.meta.url).pathname;

  it('train: dataset summary first, then the table without missing-rate rows, per-class F1 and the confusion matrix', async () => {
    const io = capture();
    // GloVe tokens, so the summary has a vocabulary coverage line (sentence vectors, the default, have no vocabulary).
    const code = await runCli(['node', 'emoje', 'train', '--dataset', example, '--out', join(dir, 'model'), '--epochs', '2', '--text-features', 'glove'], { io });
    expect(code, io.stderr.join('')).toBe(0);
    const text = io.stdout.join('');
    expect(text).toMatch(/^dataset .*dialogues\.jsonl: 3 classes, modalities text\n/);
    expect(text).toMatch(/\ntrain\s+5\s+15\s/); // c1-c5, three utterances each
    expect(text).toMatch(/text: vocabulary of \d+ tokens from the training texts, \d+ of them \(\d+\.\d%\) start from a GloVe vector/);
    expect(text.indexOf('dataset ')).toBeLessThan(text.indexOf('saved '));
    expect(text).toContain('scenario T');
    expect(text).not.toContain('missing rate');
    expect(text).toContain('confusion matrix, scenario T (rows = true labels, columns = predicted)');
    expect(text).toMatch(/per-class F1, scenario T:\nclass\s+F1 %\s+utterances/);
    expect(text).toMatch(/\nanger\s+\d+\s+\d+\s+\d+\n/);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('train --json prints only JSON, ending in a newline', async () => {
    const io = capture();
    expect(await runCli(['node', 'emoje', 'train', '--dataset', example, '--out', join(dir, 'json'), '--epochs', '1', '--json'], { io })).toBe(0);
    const text = io.stdout.join('');
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text).training.averagedEpochs).toBe(0);
  });

  it('eval prints per-class F1 and the confusion matrix too', async () => {
    const io = capture();
    expect(await runCli(['node', 'emoje', 'eval', '--model', join(dir, 'model'), '--dataset', example], { io })).toBe(0);
    const text = io.stdout.join('');
    expect(text).toContain('test split of');
    expect(text).toContain('rows = true labels');
    expect(text).not.toContain('missing rate');
  });

  it('a path that does not exist: the error names the flag and says file not found', async () => {
    const model = capture();
    expect(await runCli(['node', 'emoje', 'eval', '--model', join(dir, 'no-such-model'), '--dataset', example], { io: model })).toBe(1);
    expect(model.stderr.join('')).toMatch(/--model: expected a saved model .*no-such-model": file not found/);
    const predict = capture();
    expect(await runCli(['node', 'emoje', 'predict', '--model', join(dir, 'no-such-model'), '--input', example], { io: predict })).toBe(1);
    expect(predict.stderr.join('')).toContain('--model: expected');
    const dataset = capture();
    expect(await runCli(['node', 'emoje', 'train', '--dataset', join(dir, 'calls.jsonl'), '--out', join(dir, 'x')], { io: dataset })).toBe(1);
    expect(dataset.stderr.join('')).toMatch(/--dataset: expected .*calls\.jsonl": file not found/);
  });
});
