import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIO } from './index';

function capture(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t) };
}

const example = new URL('../../../data/examples/dialogues.jsonl', import.meta.url).pathname;

describe('emoje train checks --out, --checkpoint and --resume before training', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emoje-train-out-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('refuses an --out folder that holds user files, before loading the dataset, and leaves them alone', async () => {
    const data = join(dir, 'my-data');
    await mkdir(data);
    await writeFile(join(data, 'notes.txt'), 'my notes');
    const io = capture();
    // An unknown dataset would fail too: the --out error first shows that outputs are checked before any work.
    expect(await runCli(['node', 'emoje', 'train', '--dataset', 'nope', '--out', data], { io })).toBe(1);
    expect(io.stderr.join('')).toMatch(/^emoje: --out: expected a folder that is missing, empty or holds a saved emoje model, received ".*my-data", which holds "notes.txt"/);
    expect(await readFile(join(data, 'notes.txt'), 'utf8')).toBe('my notes');

    const ck = capture();
    expect(await runCli(['node', 'emoje', 'train', '--dataset', 'nope', '--out', join(dir, 'm'), '--checkpoint', data], { io: ck })).toBe(1);
    expect(ck.stderr.join('')).toMatch(/^emoje: --checkpoint: expected a folder that is missing, empty or holds an emoje checkpoint/);
  });

  it('refuses --out . (the working directory), a file, a path below a file and the root folder', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    for (const [out, pattern] of [
      ['.', /working directory/],
      [process.cwd(), /working directory/],
      [file, /which is a file/],
      [join(file, 'model'), /below the file/],
      ['/', /root folder/],
    ] as const) {
      const io = capture();
      expect(await runCli(['node', 'emoje', 'train', '--dataset', 'nope', '--out', out], { io })).toBe(1);
      expect(io.stderr.join('')).toMatch(/^emoje: --out: /);
      expect(io.stderr.join('')).toMatch(pattern);
    }
    expect(await readFile(file, 'utf8')).toBe('x');
  });

  it('--resume without a checkpoint says so instead of starting from epoch 1', async () => {
    const io = capture();
    expect(await runCli(['node', 'emoje', 'train', '--dataset', example, '--out', join(dir, 'r'), '--checkpoint', join(dir, 'no-ck'), '--resume'], { io })).toBe(1);
    expect(io.stderr.join('')).toContain('--resume: expected a checkpoint in --checkpoint');
    const bare = capture();
    expect(await runCli(['node', 'emoje', 'train', '--dataset', example, '--out', join(dir, 'r'), '--resume'], { io: bare })).toBe(1);
    expect(bare.stderr.join('')).toContain('--resume: expected a --checkpoint folder');
    const same = capture();
    expect(await runCli(['node', 'emoje', 'train', '--dataset', example, '--out', join(dir, 'r'), '--checkpoint', join(dir, 'r')], { io: same })).toBe(1);
    expect(same.stderr.join('')).toContain('--checkpoint: expected a folder apart from --out');
    expect(await readdir(dir)).not.toContain('r');
  });

  it('replaces its own model and checkpoint, and --resume recovers a checkpoint a kill left beside its folder', async () => {
    const out = join(dir, 'model');
    const ck = join(dir, 'ck');
    const first = capture();
    expect(await runCli(['node', 'emoje', 'train', '--dataset', example, '--out', out, '--checkpoint', ck, '--epochs', '1', '--json'], { io: first }), first.stderr.join('')).toBe(0);
    // What a kill between the two renames of the next write leaves: no ck/, complete copies in ck.old-* and ck.tmp-*.
    await rename(ck, `${ck}.old-0123456789ab`);
    await cp(`${ck}.old-0123456789ab`, `${ck}.tmp-ba9876543210`, { recursive: true });
    const resumed = capture();
    const code = await runCli(['node', 'emoje', 'train', '--dataset', example, '--out', out, '--checkpoint', ck, '--resume', '--epochs', '2', '--json'], { io: resumed });
    expect(code, resumed.stderr.join('')).toBe(0);
    expect(resumed.stderr.join('')).toMatch(/recovered the checkpoint of epoch 1 from .*ck\.(old|tmp)-/);
    const report = JSON.parse(resumed.stdout.join(''));
    expect(report.training.epochs).toBe(2); // continued from epoch 1, not restarted
    expect(JSON.parse(await readFile(join(ck, 'checkpoint.json'), 'utf8')).meta.epoch).toBe(2);
    expect((await readdir(dir)).filter((n) => n.startsWith('ck'))).toEqual(['ck']);
  }, 120_000);
});
