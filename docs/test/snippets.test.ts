/**
 * Keeps the READMEs true: every ```ts snippet of the root README and of each package's and example's README is
 * type-checked against the workspace sources (one `tsc` run, the `@emoje/source` condition), and every snippet not
 * marked `<!-- snippet: typecheck-only (why) -->` is run with the command the root README documents,
 * `npx tsx --conditions=@emoje/source snippet.ts`, in a folder of its own (docs/.snippets/<file>-L<line>/, ignored by
 * git), so files a snippet writes land there.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { extractSnippets, readmeFiles, snippetId, type Snippet } from './snippets';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORK = join(ROOT, 'docs', '.snippets');

const snippets: Snippet[] = readmeFiles(ROOT).flatMap((file) => extractSnippets(readFileSync(join(ROOT, file), 'utf8'), file));

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: timeoutMs, maxBuffer: 16 << 20, env: { ...process.env, FORCE_COLOR: '0' } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** tsc's `path(line,col): error` lines, pointed back at the README line the error is on. */
function toReadmeLines(output: string, byId: Map<string, Snippet>): string {
  return output.replace(/(?:^|\n)[^\n]*\.snippets\/([^/\n]+)\/snippet\.ts\((\d+),(\d+)\)/g, (whole, id: string, line: string, col: string) => {
    const snippet = byId.get(id);
    if (!snippet) return whole;
    return `\n${snippet.file}:${snippet.line + Number(line)}:${col} (snippet at line ${snippet.line})`;
  });
}

describe('extractSnippets', () => {
  it('finds ts blocks, their lines and their mode', () => {
    const md = ['# x', '```ts', 'const a = 1;', '```', '', '<!-- snippet: typecheck-only (trains for minutes) -->', '', '```typescript', 'const b = 2;', '```', '```bash', 'ls', '```'].join('\n');
    expect(extractSnippets(md, 'R.md')).toEqual([
      { file: 'R.md', line: 2, code: 'const a = 1;', mode: 'run' },
      { file: 'R.md', line: 8, code: 'const b = 2;', mode: 'typecheck-only', reason: 'trains for minutes' },
    ]);
  });

  it('rejects a marker with a typo, with no reason, or followed by no ts block', () => {
    expect(() => extractSnippets('<!-- snippet: typecheck_only (x) -->\n```ts\n1\n```', 'R.md')).toThrow(/R\.md:1: unknown snippet marker/);
    expect(() => extractSnippets('<!-- snippet: typecheck-only -->\n```ts\n1\n```', 'R.md')).toThrow(/R\.md:1/);
    expect(() => extractSnippets('<!-- snippet: typecheck-only (x) -->\ntext\n```ts\n1\n```', 'R.md')).toThrow(/not followed by a ```ts block/);
    expect(() => extractSnippets('```ts\nconst a = 1;\n', 'R.md')).toThrow(/R\.md:1: the ```ts block is never closed/);
  });

  it('names snippets by file and line', () => {
    expect(snippetId({ file: 'packages/core/README.md', line: 12 })).toBe('packages-core-README.md-L12');
  });
});

describe('README snippets', () => {
  it('there are snippets, in the root README and in packages', () => {
    expect(snippets.some((s) => s.file === 'README.md')).toBe(true);
    expect(new Set(snippets.map((s) => s.file)).size).toBeGreaterThan(5);
  });

  it('every snippet type-checks against the workspace sources', async () => {
    rmSync(WORK, { recursive: true, force: true });
    const byId = new Map<string, Snippet>();
    for (const snippet of snippets) {
      const id = snippetId(snippet);
      byId.set(id, snippet);
      mkdirSync(join(WORK, id), { recursive: true });
      // `export {}` makes each snippet a module of its own (own scope, top-level await).
      writeFileSync(join(WORK, id, 'snippet.ts'), `${snippet.code}\nexport {};\n`);
    }
    writeFileSync(
      join(WORK, 'tsconfig.json'),
      JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true }, include: ['*/snippet.ts'] }, null, 2),
    );
    const tsc = await run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(WORK, 'tsconfig.json'), '--pretty', 'false'], ROOT, 600_000);
    expect(toReadmeLines(tsc.output, byId).trim(), 'tsc errors in README snippets').toBe('');
    expect(tsc.code).toBe(0);
  }, 600_000);

  const runnable = snippets.filter((s) => s.mode === 'run');
  it.each(runnable.map((s) => [`${s.file}:${s.line}`, s] as const))('%s runs with npx tsx --conditions=@emoje/source', async (_, snippet) => {
    const dir = join(WORK, 'run', snippetId(snippet));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'snippet.ts'), `${snippet.code}\nexport {};\n`);
    const result = await run('npx', ['tsx', '--conditions=@emoje/source', 'snippet.ts'], dir, 300_000);
    // The last lines of the output, each cut short: a crash inside tfjs's wasm glue prints one line of minified code.
    const tail = result.output.split('\n').slice(-30).map((l) => (l.length > 300 ? `${l.slice(0, 300)}...` : l)).join('\n');
    expect(result.code, `${snippet.file}:${snippet.line} exited with ${result.code}:\n${tail}`).toBe(0);
  }, 300_000);
});
