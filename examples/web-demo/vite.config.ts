import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The model the page loads: a folder under `public/` holding `model.json` and its weight files. This is the one
 * place to change to point the page at another model (e.g. a MELD sentence-encoder model).
 */
export const DEMO_MODEL_DIR = 'models/demo';

/** The Vite mode that adds the test harness page (`harness.html`) to a build; `buildDemo({ harness: true })` uses it. */
export const HARNESS_MODE = 'harness';

/** A short hash of the model's `model.json` and every weight file it lists. */
function modelHash(dir: string): string {
  const json = readFileSync(here(`./public/${dir}/model.json`));
  const manifest = (JSON.parse(json.toString('utf8')) as { weightsManifest?: { paths: string[] }[] }).weightsManifest ?? [];
  const hash = createHash('sha256').update(json);
  for (const group of manifest) for (const path of group.paths) hash.update(readFileSync(here(`./public/${dir}/${path}`)));
  return hash.digest('hex').slice(0, 12);
}

/**
 * The page build. `@emoje/source` makes Vite read the workspace packages' TypeScript sources (no package build
 * needed first); `base: './'` lets the build be served from any folder. The model's hash goes into the
 * IndexedDB key, so a retrained model is never shadowed by a stale cached copy. `harness.html`, the page the
 * end-to-end tests and `npm run bench:web` drive, is served by the dev server and built only in the
 * `harness` mode, never into the production build.
 */
export default defineConfig(({ mode }) => ({
  base: './',
  resolve: { conditions: ['@emoje/source', ...defaultClientConditions] },
  define: {
    __DEMO_MODEL_PATH__: JSON.stringify(`${DEMO_MODEL_DIR}/model.json`),
    __DEMO_MODEL_HASH__: JSON.stringify(modelHash(DEMO_MODEL_DIR)),
  },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2048,
    rollupOptions: { input: { index: here('./index.html'), ...(mode === HARNESS_MODE ? { harness: here('./harness.html') } : {}) } },
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
}));
