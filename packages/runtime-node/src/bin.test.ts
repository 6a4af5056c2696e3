import { execFile } from 'node:child_process';
import { lstat, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = resolve(new URL('..', import.meta.url).pathname);
const repoRoot = resolve(packageDir, '../..');
const linked = join(repoRoot, 'node_modules', '.bin', 'emoje');

describe('the emoje bin', () => {
  let elsewhere: string;
  beforeAll(async () => {
    elsewhere = await mkdtemp(join(tmpdir(), 'emoje-bin-'));
  });
  afterAll(() => rm(elsewhere, { recursive: true, force: true }));

  it('is a committed file that npm links, not the build output', async () => {
    const pkg = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8'));
    expect(pkg.bin.emoje).toBe('./bin/emoje.js');
    expect(pkg.files).toContain('bin');
    // `npm ci` links node_modules/.bin/emoje to it (this failed before: the bin pointed at dist/cli.js, absent until a build).
    expect((await lstat(linked)).isSymbolicLink()).toBe(true);
  });

  it('runs `emoje info` through the link right after npm ci, from any working directory', async () => {
    // EMOJE_CLI_SOURCE=1: the TypeScript sources, as in a fresh clone with no dist/ (a build present would be preferred).
    const env = { ...process.env, EMOJE_CLI_SOURCE: '1', NODE_OPTIONS: '' };
    const { stdout } = await run(linked, ['info', '--json', '--backend', 'cpu'], { cwd: elsewhere, env, timeout: 60_000 });
    const report = JSON.parse(stdout);
    expect(report.backend.backend).toBe('cpu');
    expect(report.tfjsCore).toMatch(/^4\./);
  }, 90_000);

  it('passes the exit code of the CLI through', async () => {
    const env = { ...process.env, EMOJE_CLI_SOURCE: '1', NODE_OPTIONS: '' };
    const failed = await run(linked, ['predict', '--model', join(elsewhere, 'absent')], { cwd: elsewhere, env, timeout: 60_000 }).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('--input / --manifest');
  }, 90_000);
});
