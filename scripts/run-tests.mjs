#!/usr/bin/env node
// The project's test command: every package's unit tests (vitest), then its
// packaging checks (publint + attw on the built package), orchestrated by Nx.
// It ends with one summary line added up from the vitest JSON reports, so a
// reader (or CI) sees the total whatever Nx printed before it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = [
  ...['packages', 'examples'].flatMap((group) =>
    existsSync(join(root, group)) ? readdirSync(join(root, group)).map((name) => join(root, group, name)) : [],
  ),
  join(root, 'benchmarks'),
  join(root, 'docs'), // the README snippets (docs/test/snippets.test.ts)
];
for (const dir of dirs) rmSync(join(dir, '.test-results'), { recursive: true, force: true });

const extra = process.argv.slice(2);
// VITE_CONFIG_NATIVE_IGNORE_WARNING: Vite 8 warns, once per package, that the vite.config.ts files import
// vitest.shared without a file extension, which its future native config loader will not accept. The bundling
// loader that Vite uses today reads them fine, and adding `.ts` would need allowImportingTsExtensions in every
// package's tsconfig, so the warning is muted here rather than printed fifteen times.
const env = {
  ...process.env,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_SKIP_NX_CACHE: process.env.CI ? 'true' : process.env.NX_SKIP_NX_CACHE,
  VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true',
};
const run = spawnSync('npx', ['nx', 'run-many', '-t', 'test', 'test:build', '--outputStyle=static', ...extra], {
  cwd: root,
  stdio: 'inherit',
  env,
});

let passed = 0;
let failed = 0;
let skipped = 0;
let files = 0;
for (const dir of dirs) {
  const report = join(dir, '.test-results', 'vitest.json');
  if (!existsSync(report)) continue;
  const json = JSON.parse(readFileSync(report, 'utf8'));
  files += json.numTotalTestSuites ?? 0;
  passed += json.numPassedTests ?? 0;
  failed += json.numFailedTests ?? 0;
  skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
}
const code = run.status ?? 1;
if (code !== 0 && failed === 0) failed = 1; // a package check (publint, attw, a crash) failed outside vitest
console.log(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(code);
