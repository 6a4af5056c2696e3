import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { UserConfig } from 'vite';
import { describe, expect, it } from 'vitest';
import config, { DEMO_MODEL_DIR, HARNESS_MODE } from '../vite.config';
import { DEMO_ROOT, isHarnessFile } from '../e2e/build';

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
  });

  it('tells the harness files apart from the page when sizing a build', () => {
    expect(isHarnessFile('harness.html')).toBe(true);
    expect(isHarnessFile('assets/harness-B1x_9z.js')).toBe(true);
    expect(isHarnessFile('index.html')).toBe(false);
    expect(isHarnessFile('assets/index-B1x_9z.js')).toBe(false);
    expect(isHarnessFile('assets/tfjs-backend-wasm-simd-Cq1.wasm')).toBe(false);
  });
});
