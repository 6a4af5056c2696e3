import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';
import { ENCODER_URL, PRETRAINED_URL, meldAssets, meldFolders } from './build/meld-assets';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The synthetic multimodal model (the page's second choice, `?model=demo`): a folder under `public/` holding
 * `model.json` and its weight files. This is the one place to point that choice at another multimodal model.
 */
export const DEMO_MODEL_DIR = 'models/demo';

/**
 * The real MELD model (the page's default): `@emoje/pretrained`'s `meld`, read with its USE-lite sentence encoder.
 * Both are served by the `meldAssets` plugin (build/meld-assets.ts) from their installed folders, never copied
 * into the repository.
 */
export const MELD_URLS = { pretrained: PRETRAINED_URL, encoder: ENCODER_URL } as const;

/** The 3-seed benchmark figure of the MELD recipe (`npm run bench:meld`, benchmarks/results/meld.json), for the page. */
export function meldBenchmark(): { weightedF1: number; std: number; seeds: number } {
  const json = JSON.parse(readFileSync(here('../../benchmarks/results/meld.json'), 'utf8')) as {
    seeds: number[] | number;
    variants: { full: { weightedF1: number; std: { weightedF1: number } } };
  };
  const full = json.variants.full;
  return { weightedF1: full.weightedF1, std: full.std.weightedF1, seeds: Array.isArray(json.seeds) ? json.seeds.length : json.seeds };
}

/** The Vite mode that adds the test harness page (`harness.html`) to a build; `buildDemo({ harness: true })` uses it. */
export const HARNESS_MODE = 'harness';

/** A short hash of the model's `model.json` and every weight file it lists (`dir`: a folder on disk). */
function modelHash(dir: string): string {
  const json = readFileSync(join(dir, 'model.json'));
  const manifest = (JSON.parse(json.toString('utf8')) as { weightsManifest?: { paths: string[] }[] }).weightsManifest ?? [];
  const hash = createHash('sha256').update(json);
  for (const group of manifest) for (const path of group.paths) hash.update(readFileSync(join(dir, path)));
  return hash.digest('hex').slice(0, 12);
}

/**
 * The page build. `@emoje/source` makes Vite read the workspace packages' TypeScript sources (no package build
 * needed first); `base: './'` lets the build be served from any folder. Each model's hash goes into its
 * IndexedDB key, so a retrained model is never shadowed by a stale cached copy. `harness.html`, the page the
 * end-to-end tests and `npm run bench:web` drive, is served by the dev server and built only in the
 * `harness` mode, never into the production build.
 */
export default defineConfig(({ mode }) => ({
  base: './',
  plugins: [meldAssets()],
  resolve: { conditions: ['@emoje/source', ...defaultClientConditions] },
  define: {
    __DEMO_MODEL_PATH__: JSON.stringify(`${DEMO_MODEL_DIR}/model.json`),
    __DEMO_MODEL_HASH__: JSON.stringify(modelHash(here(`./public/${DEMO_MODEL_DIR}`))),
    __MELD_MODEL_HASH__: JSON.stringify(modelHash(meldFolders()[0].dir)),
    __MELD_URLS__: JSON.stringify(MELD_URLS),
    __MELD_BENCHMARK__: JSON.stringify(meldBenchmark()),
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
