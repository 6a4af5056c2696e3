// Smoke test of the built package (run by `test:build` after `tsup`): the ESM and CJS builds of both entries
// load, `loadMosi` finds the bundled data from dist/, and the main entry stays free of Node built-ins.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const esm = await import('../dist/node.js');
const cjs = require('../dist/node.cjs');
const esmMain = await import('../dist/index.js');
const cjsMain = require('../dist/index.cjs');

for (const [name, node, main] of [
  ['esm', esm, esmMain],
  ['cjs', cjs, cjsMain],
]) {
  const ds = await node.loadMosi();
  const sync = node.loadMosiSync({ devFraction: 0 });
  const summary = main.datasetSummary(ds);
  assert.equal(summary.total.utterances, 2199, `${name}: utterances`);
  assert.equal(summary.total.dialogues, 93, `${name}: dialogues`);
  assert.equal(summary.test.utterances, 752, `${name}: test utterances`);
  assert.equal(summary.train.utterances + summary.dev.utterances, 1447, `${name}: train + dev`);
  assert.equal(main.datasetSummary(sync).train.utterances, 1447, `${name}: sync loader`);
  main.validateDataset(ds);
  console.log(`${name}: ok (${node.mosiDataDir()})`);
}
for (const file of ['../dist/index.js', '../dist/index.cjs']) {
  const code = readFileSync(new URL(file, import.meta.url), 'utf8');
  assert.ok(!/["']node:|require\(["'](fs|path|url)["']\)/.test(code), `${file} must not import Node built-ins`);
}
console.log('dist checks passed');
