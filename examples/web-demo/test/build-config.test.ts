import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { UserConfig } from 'vite';
import { describe, expect, it } from 'vitest';
import config, { DEMO_MODEL_DIR, HARNESS_MODE, MELD_URLS } from '../vite.config';
import { DEMO_ROOT, ENCODER_PREFIX, bundleSize, isHarnessFile } from '../e2e/build';
import { encoderDir, meldFolders } from '../build/meld-assets';

const resolve = (mode: string) => (config as (env: { mode: string; command: 'build' }) => UserConfig)({ mode, command: 'build' });

describe('the page build', () => {
  it('leaves the test harness page out of the production build and adds it only in the harness mode', () => {
    const input = (mode: string) => Object.keys(resolve(mode).build?.rollupOptions?.input as Record<string, string>);
    expect(input('production')).toEqual(['index']);
    expect(input('development')).toEqual(['index']);
    expect(input(HARNESS_MODE)).toEqual(['index', 'harness']);
  });

  it('points the page at one model folder, keyed in IndexedDB by a hash of its files', () => {
    const define = resolve('production').define as Record<string, string>;
    expect(JSON.parse(define.__DEMO_MODEL_PATH__)).toBe(`${DEMO_MODEL_DIR}/model.json`);
    expect(existsSync(join(DEMO_ROOT, 'public', DEMO_MODEL_DIR, 'model.json'))).toBe(true);
    expect(JSON.parse(define.__DEMO_MODEL_HASH__)).toMatch(/^[0-9a-f]{12}$/);
    expect(JSON.parse(define.__MELD_MODEL_HASH__)).toMatch(/^[0-9a-f]{12}$/);
    expect(JSON.parse(define.__MELD_MODEL_HASH__)).not.toBe(JSON.parse(define.__DEMO_MODEL_HASH__));
  });

  it('tells the harness files apart from the page when sizing a build', () => {
    expect(isHarnessFile('harness.html')).toBe(true);
    expect(isHarnessFile('assets/harness-B1x_9z.js')).toBe(true);
    expect(isHarnessFile('index.html')).toBe(false);
    expect(isHarnessFile('assets/index-B1x_9z.js')).toBe(false);
    expect(isHarnessFile('assets/tfjs-backend-wasm-simd-Cq1.wasm')).toBe(false);
  });
});

describe('the MELD model and its sentence encoder', () => {
  it('are served from their installed folders, never from a copy in the repository', () => {
    const folders = meldFolders();
    expect(folders.map((f) => f.url)).toEqual([`${MELD_URLS.pretrained}meld/`, MELD_URLS.encoder]);
    const [meld, encoder] = folders;
    expect(meld.files).toEqual(['model.json', 'weights.bin']);
    // USE-lite: its model.json, the 7 shards it lists and the vocabulary; not the package's own JavaScript
    expect(encoder.files).toHaveLength(9);
    expect(encoder.files).toContain('vocab.json');
    expect(encoder.files.some((f) => f.endsWith('.js'))).toBe(false);
    for (const folder of folders) for (const file of folder.files) expect(existsSync(join(folder.dir, file)), file).toBe(true);
    expect(encoder.dir).toBe(encoderDir());
    // nothing of the encoder is kept under the page's public/ folder, and the build output is ignored by git
    expect(existsSync(join(DEMO_ROOT, 'public', MELD_URLS.encoder))).toBe(false);
    // git check-ignore exits 0 (no throw) only for an ignored path
    expect(() => execFileSync('git', ['check-ignore', '-q', join(DEMO_ROOT, 'dist', MELD_URLS.encoder, 'vocab.json')], { stdio: 'ignore' })).not.toThrow();
    expect(() => execFileSync('git', ['check-ignore', '-q', join(DEMO_ROOT, 'src', 'main.ts')], { stdio: 'ignore' })).toThrow();
  });

  it('sizes the encoder apart from the page in a build', () => {
    expect(ENCODER_PREFIX).toBe(MELD_URLS.encoder);
    const dir = mkdtempSync(join(tmpdir(), 'emoje-bundle-'));
    try {
      const put = (path: string, bytes: number) => {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), Buffer.alloc(bytes));
      };
      put('index.html', 1);
      put('assets/index-a1.js', 10);
      put('assets/tfjs-backend-wasm-b2.wasm', 100);
      put(`${MELD_URLS.pretrained}meld/weights.bin`, 1000);
      put(`${DEMO_MODEL_DIR}/weights.bin`, 10_000);
      put(`${MELD_URLS.encoder}group1-shard1of7`, 100_000);
      const size = bundleSize(dir);
      expect(size).toMatchObject({ totalBytes: 11_111, jsBytes: 10, wasmBytes: 100, modelBytes: 11_000, encoderBytes: 100_000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
