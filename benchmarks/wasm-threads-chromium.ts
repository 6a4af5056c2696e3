/**
 * Does tfjs-backend-wasm 4.22's threaded build run in headless Chromium, and do emoje's fused kernels run in its shared
 * memory? A page served cross-origin isolated (COOP same-origin, COEP require-corp) loads tfjs-core and
 * tfjs-backend-wasm (their UMD bundles) and starts the wasm backend with `setThreadsCount(2)`, once with the machine's
 * `navigator.hardwareConcurrency` and once reporting twice that many cores (tfjs caps its pool at half the logical
 * cores), and once not isolated (the SIMD build). It reports which build started (shared memory or not), the threads,
 * mean times of square matMuls (64, 256, 512; dataSync included), and runs the fused
 * linear kernel of `@emoje/wasm-kernels` (the variant `module.ts` picks for that memory) on tensors of the backend,
 * compared with tfjs's own matMul + bias. Writes benchmarks/results/wasm-threads-chromium.json.
 *
 *   npx tsx --conditions=@emoje/source benchmarks/wasm-threads-chromium.ts
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadavg } from 'node:os';
import { writeFileAtomic } from '@emoje/runtime-node';
import { KERNELS_WASM_BASE64 } from '../packages/wasm-kernels/src/generated/kernels-wasm';
import { KERNELS_WASM_SHARED_BASE64 } from '../packages/wasm-kernels/src/generated/kernels-wasm-shared';
import { launchChromium } from '../examples/web-demo/e2e/browser';
import { machineInfo } from './threads';

const require = createRequire(import.meta.url);
const wasmDist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
const coreDist = join(dirname(require.resolve('@tensorflow/tfjs-core/package.json')), 'dist');
const files: Record<string, { path: string; type: string }> = {
  '/tf-core.min.js': { path: join(coreDist, 'tf-core.min.js'), type: 'text/javascript' },
  '/tf-backend-wasm.min.js': { path: join(wasmDist, 'tf-backend-wasm.min.js'), type: 'text/javascript' },
  '/tfjs-backend-wasm.wasm': { path: join(wasmDist, 'tfjs-backend-wasm.wasm'), type: 'application/wasm' },
  '/tfjs-backend-wasm-simd.wasm': { path: join(wasmDist, 'tfjs-backend-wasm-simd.wasm'), type: 'application/wasm' },
  '/tfjs-backend-wasm-threaded-simd.wasm': { path: join(wasmDist, 'tfjs-backend-wasm-threaded-simd.wasm'), type: 'application/wasm' },
};
const page = '<!doctype html><meta charset="utf-8"><script src="/tf-core.min.js"></script><script src="/tf-backend-wasm.min.js"></script><p>threads</p>';

// `/?isolated=0` serves the page without COOP/COEP (so tfjs picks its SIMD build); the other files always carry them
const server = createServer((req, res) => {
  if (!(req.url ?? '').includes('isolated=0')) {
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  }
  const path = (req.url ?? '/').split('?')[0];
  const file = files[path];
  if (path === '/') {
    res.setHeader('Content-Type', 'text/html');
    res.end(page);
  } else if (file) {
    res.setHeader('Content-Type', file.type);
    res.end(readFileSync(file.path));
  } else {
    res.statusCode = 404;
    res.end();
  }
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

const browser = await launchChromium();
const runs: unknown[] = [];
try {
  const setups = [
    { name: 'simd-1thread', isolated: false, doubleCores: false },
    { name: 'threaded, real cores', isolated: true, doubleCores: false },
    { name: 'threaded, twice the cores reported', isolated: true, doubleCores: true },
  ];
  for (const { name, isolated, doubleCores } of [...setups, ...setups]) {
    const tab = await browser.context.newPage();
    // tsx compiles the evaluated function with esbuild's keepNames, which calls a `__name` helper the page lacks
    await tab.addInitScript({ content: 'globalThis.__name = (f) => f;' });
    if (doubleCores) {
      await tab.addInitScript(() => {
        const cores = navigator.hardwareConcurrency * 2;
        Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => cores });
      });
    }
    await tab.goto(isolated ? url : `${url}?isolated=0`);
    const result = await tab.evaluate(
      async ({ plain, shared }) => {
        type Tf = typeof import('@tensorflow/tfjs-core') & { wasm: { setThreadsCount(n: number): void; getThreadsCount(): number } };
        const tf = (window as unknown as { tf: Tf }).tf;
        tf.wasm.setThreadsCount(2);
        await tf.setBackend('wasm');
        const backend = tf.backend() as unknown as { wasm: { asm: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory }; dataIdMap: { get(id: object): { memoryOffset: number } } };
        const memory = (backend.wasm.asm.memory ?? backend.wasm.wasmMemory) as WebAssembly.Memory;
        const isShared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
        // square matMuls: 64 is the size of emoje's MOSI layers (units 64), 512 what a pool can split
        const matMulMs: Record<string, number> = {};
        for (const n of [64, 256, 512]) {
          const a = tf.randomNormal([n, n]);
          const repeats = Math.max(5, Math.round(2e8 / n ** 3));
          for (let i = 0; i < 5; i++) tf.matMul(a, a).dataSync();
          // the mean over the repeats: a page that is not cross-origin isolated has a 0.1 ms clock
          const t0 = performance.now();
          for (let i = 0; i < repeats; i++) tf.matMul(a, a).dataSync();
          matMulMs[n] = Number(((performance.now() - t0) / repeats).toFixed(4));
          a.dispose();
        }
        // the fused linear kernel of @emoje/wasm-kernels in the backend's memory, against tfjs's matMul + bias
        const bytes = Uint8Array.from(atob(isShared ? shared : plain), (c) => c.charCodeAt(0));
        const { instance } = await WebAssembly.instantiate(bytes, { env: { memory } });
        const k = instance.exports as unknown as { emoje_linear_forward(...args: number[]): void };
        const [rows, inDim, outDim] = [7, 13, 9];
        const x = tf.randomNormal([rows, inDim]);
        const w = tf.randomNormal([inDim, outDim]);
        const b = tf.randomNormal([outDim]);
        const y = tf.zeros([rows, outDim]);
        const offset = (t: { dataId: object }) => backend.dataIdMap.get(t.dataId).memoryOffset;
        k.emoje_linear_forward(offset(x), offset(w), offset(b), offset(y), 0, rows, inDim, outDim, 0);
        const fused = new Float32Array(memory.buffer, offset(y), rows * outDim).slice();
        const reference = tf.add(tf.matMul(x, w), b).dataSync();
        const maxDiff = Math.max(...Array.from(fused, (v, i) => Math.abs(v - reference[i])));
        tf.dispose([x, w, b, y]);
        return {
          crossOriginIsolated: self.crossOriginIsolated,
          hardwareConcurrency: navigator.hardwareConcurrency,
          sharedMemory: isShared,
          kernelVariant: isShared ? 'shared' : 'plain',
          threads: tf.wasm.getThreadsCount(),
          matMulMeanMs: matMulMs,
          fusedLinearMaxDiffVsTfjs: maxDiff,
        };
      },
      { plain: KERNELS_WASM_BASE64, shared: KERNELS_WASM_SHARED_BASE64 },
    );
    runs.push({ setup: name, ...result });
    console.log(JSON.stringify(runs.at(-1)));
    await tab.close();
  }
} finally {
  await browser.close();
  server.close();
}
await writeFileAtomic(
  'benchmarks/results/wasm-threads-chromium.json',
  `${JSON.stringify({ machine: { ...machineInfo(), chromium: browser.version, loadAverageAfter: loadavg().map((x) => Number(x.toFixed(2))) }, runs }, null, 2)}\n`,
);
