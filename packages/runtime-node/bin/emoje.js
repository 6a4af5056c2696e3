#!/usr/bin/env node
// The `emoje` bin. It is committed (not built) so that `npm ci` links node_modules/.bin/emoje in a fresh clone,
// and `npx emoje` resolves to this workspace instead of asking the public registry for a package named `emoje`.
// With a build present (the published package, or after `npm run build`) it runs dist/cli.js; in a clone without
// a build it runs src/cli.ts through tsx (a development dependency of the repository) with the `@emoje/source`
// export condition, so the workspace packages resolve to their TypeScript sources. EMOJE_CLI_SOURCE=1 forces the
// sources even when a build is present (a build older than the sources would otherwise run).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/cli.js', import.meta.url);
const source = new URL('../src/cli.ts', import.meta.url);
const forceSource = process.env.EMOJE_CLI_SOURCE === '1';

if (!forceSource && existsSync(fileURLToPath(built))) {
  await import(built.href);
} else if (existsSync(fileURLToPath(source))) {
  let tsx;
  try {
    tsx = import.meta.resolve('tsx');
  } catch {
    process.stderr.write('emoje: no build (dist/cli.js) and no tsx to run the sources; run `npm run build` or `npm install tsx`\n');
    process.exit(1);
  }
  const child = spawn(process.execPath, ['--conditions=@emoje/source', '--import', tsx, fileURLToPath(source), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const forward = (signal) => child.kill(signal);
  for (const signal of signals) process.on(signal, forward);
  child.on('exit', (code, signal) => {
    for (const s of signals) process.off(s, forward);
    // Die of the same signal as the CLI did (so the shell sees it), or exit with its code.
    if (signal) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  });
} else {
  process.stderr.write('emoje: neither dist/cli.js nor src/cli.ts is present; reinstall @emoje/runtime-node\n');
  process.exit(1);
}
