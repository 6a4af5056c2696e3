import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');

/** The first ```ts block of the README under `## Node`. */
function nodeSnippet(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Node'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('README.md has no ts block under ## Node');
  return match[1];
}

describe('README', () => {
  it('runs the Node snippet as written and prints what its comments say', async () => {
    const file = join(root, `.readme-snippet-${process.pid}.mts`);
    writeFileSync(file, nodeSnippet());
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--conditions=@emoje/source', file], { cwd: root, timeout: 110_000, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
      expect(stdout.trim().split('\n')).toEqual(['use-lite-512@1 [ 3, 512 ]', 'true']);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
