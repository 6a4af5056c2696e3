import { statSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

/** The example's folder. */
export const DEMO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Builds the page for production (minified, `vite build` with vite.config.ts) into `outDir`. With `harness: true`
 * the build also holds `harness.html`, the test page the end-to-end tests and `npm run bench:web` drive (Vite mode
 * `harness`); the production build (`npm run build:page`) never does.
 */
export async function buildDemo(dir = join(DEMO_ROOT, 'dist'), options: { harness?: boolean } = {}): Promise<string> {
  const outDir = resolve(dir);
  await build({ root: DEMO_ROOT, configFile: join(DEMO_ROOT, 'vite.config.ts'), logLevel: 'warn', mode: options.harness ? 'harness' : 'production', build: { outDir, minify: true } });
  return outDir;
}

/** Whether a build file belongs to the test harness only (its page and its entry chunk), not to the page a visitor gets. */
export function isHarnessFile(path: string): boolean {
  return /(^|\/)harness(\.html|-[\w-]+\.js)$/.test(path.replace(/\\/g, '/'));
}

/** The build folder of the sentence encoder's files (USE-lite, 26 MB), sized apart from the page ({@link BundleSize.encoderBytes}). */
export const ENCODER_PREFIX = 'models/use-lite/';

/**
 * Sizes of a build, in bytes: the page (everything but the sentence encoder), the JavaScript, the wasm binaries,
 * the emoje models (MELD and the synthetic demo model), and apart from them the sentence encoder's files.
 */
export interface BundleSize {
  /** Everything a visitor may download except the sentence encoder's files. */
  totalBytes: number;
  jsBytes: number;
  wasmBytes: number;
  /** The emoje models (`models/` but the encoder): the MELD model and the synthetic demo model. */
  modelBytes: number;
  /** USE-lite's files (`models/use-lite/`), downloaded once with the MELD model and then kept in the browser's cache. */
  encoderBytes: number;
  /** The JavaScript the page itself loads before any backend chunk (entry chunk plus its static imports). */
  files: { path: string; bytes: number }[];
}

/** Adds up the files of a build folder, leaving out the test harness's own files ({@link isHarnessFile}). */
export function bundleSize(outDir: string): BundleSize {
  const files: { path: string; bytes: number }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!isHarnessFile(relative(outDir, path))) files.push({ path: relative(outDir, path), bytes: statSync(path).size });
    }
  };
  walk(outDir);
  const sum = (pick: (p: string) => boolean) => files.filter((f) => pick(f.path)).reduce((n, f) => n + f.bytes, 0);
  const encoder = (p: string) => p.replace(/\\/g, '/').startsWith(ENCODER_PREFIX);
  return {
    totalBytes: sum((p) => !encoder(p)),
    jsBytes: sum((p) => p.endsWith('.js')),
    wasmBytes: sum((p) => p.endsWith('.wasm')),
    modelBytes: sum((p) => p.replace(/\\/g, '/').startsWith('models/') && !encoder(p)),
    encoderBytes: sum(encoder),
    files: files.sort((a, b) => b.bytes - a.bytes),
  };
}
