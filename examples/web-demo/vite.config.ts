import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The page build. `@emoje/source` makes Vite read the workspace packages' TypeScript sources (no package build
 * needed first); `base: './'` lets the build be served from any folder. The model's weights hash goes into the
 * IndexedDB key, so a retrained model is never shadowed by a stale cached copy.
 */
export default defineConfig({
  base: './',
  resolve: { conditions: ['@emoje/source', ...defaultClientConditions] },
  define: {
    __DEMO_MODEL_HASH__: JSON.stringify(createHash('sha256').update(readFileSync(here('./public/models/demo/weights.bin'))).digest('hex').slice(0, 12)),
  },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2048,
    rollupOptions: { input: { index: here('./index.html'), harness: here('./harness.html') } },
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
