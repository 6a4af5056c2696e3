#!/usr/bin/env node
// Enforces the package boundaries of docs/architecture.md: the blocks import only
// tfjs-core, tfjs-layers and @emoje/core (never a backend, never Node built-ins),
// runtime-web never imports Node built-ins, the sentence encoder names no backend (Node built-ins in its
// Node entry only), and the wasm kernels import only tfjs-core and @emoje/core.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const rules = {
  core: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers'],
  encoders: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@emoje/core'],
  fusion: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@emoje/core'],
  'joint-embedding': ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@emoje/core'],
  'dialogue-context': ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@emoje/core'],
  model: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@emoje/'],
  'runtime-web': ['@tensorflow/', '@emoje/'],
  // A block-like package: no backend; its Node entry (node.ts) alone may read files.
  'sentence-encoder': ['@tensorflow/tfjs-core', '@tensorflow/tfjs-converter', '@tensorflow-models/universal-sentence-encoder', '@emoje/core'],
  // Registers kernels for the backend named 'wasm' by name and reaches its memory through the backend object it is
  // handed: it imports no backend package itself.
  'wasm-kernels': ['@tensorflow/tfjs-core', '@emoje/core'],
};
// Files that may also import Node built-ins, per package.
const nodeEntries = { 'sentence-encoder': ['node.ts'] };

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === '__tests__' ? [] : sources(path);
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

const problems = [];
for (const [pkg, allowed] of Object.entries(rules)) {
  for (const file of sources(join(root, 'packages', pkg, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      const spec = match[1];
      if (spec.startsWith('.')) continue;
      const nodeEntry = (nodeEntries[pkg] ?? []).includes(file.split('/').pop()) && spec.startsWith('node:');
      if (!nodeEntry && !allowed.some((a) => spec === a || (a.endsWith('/') && spec.startsWith(a)))) {
        problems.push(`${file.slice(root.length)}: imports '${spec}', outside what ${pkg} may import (${allowed.join(', ')})`);
      }
    }
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`package boundaries hold (${Object.keys(rules).length} packages checked)`);
