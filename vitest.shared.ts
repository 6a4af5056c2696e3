import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings: tests run against the TypeScript sources through the
 * `@emoje/source` export condition, so no build is needed to test a package.
 * Each run also writes a JSON report that `scripts/run-tests.mjs` adds up, and
 * `vitest.setup.ts` drops tfjs's "install our node backend" banner from the output.
 */
export function packageTestConfig(name: string) {
  return defineConfig({
    resolve: { conditions: ['@emoje/source'] },
    ssr: { resolve: { conditions: ['@emoje/source'] } },
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 120_000,
      hookTimeout: 120_000,
      pool: 'forks',
      setupFiles: [fileURLToPath(new URL('./vitest.setup.ts', import.meta.url))],
      reporters: ['default', 'json'],
      outputFile: { json: '.test-results/vitest.json' },
    },
  });
}
