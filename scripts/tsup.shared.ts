import type { Options } from 'tsup';

/**
 * The one build every publishable package uses: ESM + CJS + .d.ts from `src/index.ts`.
 * Dependencies and peer dependencies stay external (tsup's default), so the
 * tfjs singletons are never bundled twice.
 */
export function packageBuild(overrides: Partial<Options> = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    treeshake: true,
    splitting: false,
    ...overrides,
  };
}
