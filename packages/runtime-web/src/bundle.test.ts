import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('./index.ts', import.meta.url));
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

describe('the browser bundle of runtime-web', () => {
  it('bundles for the browser with no Node built-in module in it', async () => {
    const seen: string[] = [];
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      conditions: ['@emoje/source'],
      logLevel: 'silent',
      metafile: true,
      plugins: [
        {
          name: 'record-builtins',
          setup(b) {
            b.onResolve({ filter: /.*/ }, (args) => {
              if (builtins.has(args.path)) seen.push(`${args.path} (from ${args.importer})`);
              return undefined;
            });
          },
        },
      ],
    });
    // no emoje source imports a Node built-in; tfjs's own Node-only branches are switched off by their
    // packages' `browser` field (esbuild would fail to resolve a built-in otherwise) and show up as `(disabled)`
    expect(seen.filter((s) => s.includes('/packages/'))).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => builtins.has(p.replace(/^\(disabled\):/, '')) && !p.startsWith('(disabled):'))).toEqual([]);
    expect(seen.length).toBeGreaterThan(0); // the check above saw tfjs's guarded requires, so it can fail
    // the sources of the model and the blocks are in it, and no runtime-node, datasets/node or pretrained/node file
    expect(inputs.some((p) => p.endsWith('model/src/model.ts'))).toBe(true);
    expect(inputs.filter((p) => /runtime-node|datasets\/src\/node|pretrained\/src\/node/.test(p))).toEqual([]);
  });
});
