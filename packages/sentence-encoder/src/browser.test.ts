import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@emoje/test-utils';
import { loadUseLite, useLiteWeightsDir } from './node';

// Debian's Chromium, as the web demo's end-to-end tests use it; CI sets EMOJE_REQUIRE_BROWSER=1 so this never skips there.
const CHROMIUM = process.env.EMOJE_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.EMOJE_REQUIRE_BROWSER === '1') {
  throw new Error(`EMOJE_REQUIRE_BROWSER=1 but ${CHROMIUM} is not installed (apt-get install chromium)`);
}

const TEXTS = ['How old are you?', 'What is your age?', 'We were on a break!', 'Could this BE any more awkward?', 'Pivot! Pivot! Pivot!'];

/** The page: the wasm backend, USE-lite from /use-lite/ through the Cache API, the embeddings of TEXTS on window. */
const PAGE_SCRIPT = `
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { loadUseLite } from ${JSON.stringify(fileURLToPath(new URL('./browser.ts', import.meta.url)))};
setWasmPaths('/wasm/');
window.run = async (texts) => {
  await tf.setBackend('wasm');
  await tf.ready();
  const progress = [];
  const encoder = await loadUseLite({ baseUrl: '/use-lite/', onProgress: (p) => progress.push(p.fromCache) });
  const t = await encoder.embed(texts);
  const vectors = await t.array();
  t.dispose();
  encoder.dispose();
  return { vectors, fromCache: progress, backend: tf.getBackend(), tensors: tf.memory().numTensors };
};
window.ready = true;
`;

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };

/** Serves `mounts` (URL prefix -> folder) on 127.0.0.1. */
async function serve(mounts: Record<string, string>): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    const prefix = Object.keys(mounts).sort((a, b) => b.length - a.length).find((p) => path.startsWith(p));
    const file = prefix ? normalize(join(mounts[prefix], path.slice(prefix.length) || 'index.html')) : null;
    if (!file || !file.startsWith(mounts[prefix!])) return void res.writeHead(404).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe.skipIf(!available)('USE-lite in headless Chromium (wasm) against Node (wasm)', () => {
  let site: string;
  let dir: string;
  let server: Server;
  let browser: Browser;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'use-lite-page-'));
    const entry = join(dir, 'entry.js');
    await writeFile(entry, PAGE_SCRIPT);
    await build({ entryPoints: [entry], bundle: true, outfile: join(dir, 'bundle.js'), platform: 'browser', format: 'esm', conditions: ['@emoje/source'], logLevel: 'silent', nodePaths: [join(fileURLToPath(new URL('../../../node_modules', import.meta.url)))] });
    await writeFile(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="/bundle.js"></script>');
    const wasmDir = join(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'), '..', 'dist');
    ({ url: site, server } = await serve({ '/use-lite/': useLiteWeightsDir(), '/wasm/': wasmDir, '/': dir }));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('embeds the same vectors within 1e-4, and a second load reads every file from the Cache API', async () => {
    await useBackend('wasm');
    const node = await loadUseLite();
    const t = await node.embed(TEXTS);
    const expected = t.arraySync();
    t.dispose();
    node.dispose();

    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${site}/index.html`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, undefined, { timeout: 60_000 });
    type Out = { vectors: number[][]; fromCache: boolean[]; backend: string; tensors: number };
    const first = (await page.evaluate((texts) => (window as unknown as { run: (t: string[]) => Promise<Out> }).run(texts), TEXTS)) as Out;
    const second = (await page.evaluate((texts) => (window as unknown as { run: (t: string[]) => Promise<Out> }).run(texts), TEXTS)) as Out;
    await context.close();
    expect(errors).toEqual([]);
    expect(first.backend).toBe('wasm');
    expect(first.fromCache).toEqual(new Array(9).fill(false));
    expect(second.fromCache).toEqual(new Array(9).fill(true));
    let worst = 0;
    first.vectors.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - expected[i][j])))));
    expect(first.vectors).toHaveLength(TEXTS.length);
    console.log(`USE-lite, Chromium (wasm) vs Node (wasm): max |difference| ${worst.toExponential(2)} over ${TEXTS.length} x 512 values`);
    expect(worst).toBeLessThan(1e-4);
    expect(second.vectors).toEqual(first.vectors);
    expect(second.tensors).toBe(first.tensors); // no tensor left behind by a load, an embed and a dispose
  });

});
