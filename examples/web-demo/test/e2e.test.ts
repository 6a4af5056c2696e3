import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, hasChromium, type Browser } from '../e2e/browser';
import { DEMO_ROOT, buildDemo } from '../e2e/build';
import { LONG_UTTERANCE, horizontalOverflow, overlaps, watchAttribute, watchText, type Box } from '../e2e/page-checks';
import { PRETRAINED_ASSETS, maxDifference, mosiDialogue, nodeMeldPredictions, nodePredictions } from '../e2e/reference';
import { PRETRAINED } from '@emoje/pretrained';
import { serveStatic, type StaticServer } from '../e2e/server';
import { extractAudioFeatures } from '@emoje/encoders';
import { buildDialogue, type UtteranceRow } from '../src/dialogue';
import type { Harness, JsonDialogue } from '../src/harness';
import type { DemoState } from '../src/demo-state';

// CI installs chromium and sets EMOJE_REQUIRE_BROWSER=1, so there these tests can never be skipped.
const available = hasChromium();
if (!available && process.env.EMOJE_REQUIRE_BROWSER === '1') {
  throw new Error('EMOJE_REQUIRE_BROWSER=1 but /usr/bin/chromium is not installed (apt-get install chromium)');
}

const results = join(DEMO_ROOT, '.test-results');
/** Screenshots of the page at each viewport, kept as test output (gitignored). */
const screenshots = join(results, 'screenshots');
/** What ran, for the record (written to .test-results/e2e-backends.json and printed). */
const record: { browser?: string; backends: Record<string, { ran: string; reason: string; maxProbDiffVsNode?: number }>; page?: { adapter: string; readyMs: number } } = { backends: {} };

describe.skipIf(!available)('web demo in headless Chromium, production build', () => {
  let server: StaticServer;
  let browser: Browser;
  let dialogue: JsonDialogue;
  let reference: Awaited<ReturnType<typeof nodePredictions>>;

  beforeAll(async () => {
    // the production build plus the test harness page (which the production build never holds)
    const dist = await buildDemo(join(results, 'dist'), { harness: true });
    server = await serveStatic([
      { prefix: '/', dir: dist },
      { prefix: '/pretrained/', dir: PRETRAINED_ASSETS },
    ]);
    browser = await launchChromium({ fakeMedia: true });
    record.browser = `Chromium ${browser.version} (headless, Debian)`;
    dialogue = await mosiDialogue(10, true);
    reference = await nodePredictions(dialogue);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    mkdirSync(results, { recursive: true });
    writeFileSync(join(results, 'e2e-backends.json'), JSON.stringify(record, null, 2) + '\n');
    console.log(`web e2e: ${record.browser}; ${Object.entries(record.backends).map(([k, v]) => `${k} -> ran ${v.ran}${v.maxProbDiffVsNode !== undefined ? ` (max |Δp| vs Node ${v.maxProbDiffVsNode.toExponential(2)})` : ''}`).join('; ')}`);
  });

  async function harnessPage(backend: string): Promise<Page> {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/harness.html?backend=${backend}`);
    await page.waitForFunction(() => 'emojeHarness' in window, undefined, { timeout: 30_000 });
    const selection = await page.evaluate(async () => {
      const s = await (window as unknown as { emojeHarness: Harness }).emojeHarness.selection;
      return { backend: s.backend, reason: s.reason };
    });
    record.backends[backend] = { ...record.backends[backend], ran: selection.backend, reason: selection.reason };
    expect(errors).toEqual([]);
    expect(selection.backend).toBe(backend);
    return page;
  }

  for (const backend of ['webgpu', 'webgl', 'wasm'] as const) {
    it(`${backend}: the MOSI model's predictions equal the Node runtime's (wasm) within 1e-3`, async () => {
      const page = await harnessPage(backend);
      try {
        const predictions = await page.evaluate(async (d) => {
          const h = (window as unknown as { emojeHarness: Harness }).emojeHarness;
          await h.load('/pretrained/mosi/model.json');
          return h.predict(d);
        }, dialogue);
        const diff = maxDifference(predictions, reference);
        record.backends[backend].maxProbDiffVsNode = diff.probabilities;
        expect(diff.probabilities).toBeLessThan(1e-3);
        expect(diff.modalityWeights).toBeLessThan(1e-3);
        expect(predictions.map((p) => p.label)).toEqual(reference.map((p) => p.label));
        expect(predictions.map((p) => p.imputed)).toEqual(reference.map((p) => p.imputed));
        expect(predictions[1].imputed).toContain('audio');
      } finally {
        await page.close();
      }
    });
  }

  it('audio features: the browser, streaming 128-sample blocks at 44.1 kHz, gives the numbers Node gives in one call', async () => {
    // a deterministic voiced-like signal: gliding harmonics with a pause and a little pseudo-noise, 1.2 s at 44.1 kHz
    const rate = 44100;
    const samples = Array.from({ length: Math.round(1.2 * rate) }, (_, i) => {
      const t = i / rate;
      const f0 = 150 + 60 * t;
      const voiced = t < 0.5 || t > 0.7 ? 1 : 0;
      const noise = ((Math.imul(i + 1, 2654435761) >>> 0) / 2 ** 32 - 0.5) * 0.01;
      return voiced * 0.3 * (Math.sin(2 * Math.PI * f0 * t) + 0.5 * Math.sin(4 * Math.PI * f0 * t)) + noise;
    });
    const page = await harnessPage('wasm');
    try {
      const browserFeatures = await page.evaluate(([s, r]) => (window as unknown as { emojeHarness: Harness }).emojeHarness.audioFeatures(s, r, 128), [samples, rate] as const);
      const node = extractAudioFeatures(Float32Array.from(samples), rate);
      expect(browserFeatures.mfcc.length).toBe(node.mfcc.length);
      expect(browserFeatures.mfcc.length).toBeGreaterThan(100);
      const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]) / Math.max(1, Math.abs(b[i]))));
      expect(maxDiff(browserFeatures.utteranceVector, node.utteranceVector)).toBeLessThan(1e-5);
      expect(Math.max(...browserFeatures.mfcc.map((m, i) => maxDiff(m, node.mfcc[i])))).toBeLessThan(1e-5);
      expect(maxDiff(browserFeatures.pitch, node.pitch)).toBeLessThan(1e-5);
      expect(node.prosody.voicedFraction).toBeGreaterThan(0.5);
    } finally {
      await page.close();
    }
  });

  it('wasm: a model saved to IndexedDB loads back and predicts the same, and nothing leaks', async () => {
    const page = await harnessPage('wasm');
    try {
      const out = await page.evaluate(async (d) => {
        const h = (window as unknown as { emojeHarness: Harness }).emojeHarness;
        await h.load('/pretrained/mosi/model.json');
        const direct = await h.predict(d);
        const before = h.numTensors();
        const again = await h.indexedDbRoundTrip('emoje-e2e', d);
        return { direct, again, leaked: h.numTensors() - before };
      }, dialogue);
      expect(out.again.removed).toBe(true);
      expect(maxDifference(out.again.predictions, out.direct).probabilities).toBeLessThan(1e-6);
      expect(out.leaked).toBe(0);
    } finally {
      await page.close();
    }
  });

  /**
   * Opens the page (best available backend) with `model` (the synthetic demo model unless `'meld'`, the page's
   * default) and waits until it is ready; `failed` collects page errors and 4xx/5xx responses.
   */
  async function demoPage(model: 'demo' | 'meld' = 'demo'): Promise<{ page: Page; failed: string[] }> {
    const page = await browser.context.newPage();
    const failed: string[] = [];
    page.on('pageerror', (e) => failed.push(e.message));
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(`${server.url}/${model === 'meld' ? '' : `?model=${model}`}`);
    await page.waitForFunction(() => (window as unknown as { emojeDemo?: DemoState }).emojeDemo?.model !== undefined, undefined, { timeout: 120_000 });
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/^Ready: (webgpu|webgl|wasm|cpu) backend/);
    expect(await page.locator('#model').inputValue()).toBe(model);
    return { page, failed };
  }

  /** Presses Tab until the focused element matches `selector` (keyboard only, bounded). */
  async function tabTo(page: Page, selector: string): Promise<void> {
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    }
    throw new Error(`Tab never reached ${selector}`);
  }

  it('best available, on the default model (MELD): WebGPU on a software fallback adapter and WebGL on a software renderer (SwiftShader) are skipped for wasm, and the status says so; load progress covers the encoder download', async () => {
    const page = await browser.context.newPage();
    const failed: string[] = [];
    page.on('pageerror', (e) => failed.push(e.message));
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    // what the status line says while the page loads, from the first script on
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { __statusSeen: string[] }).__statusSeen = seen;
      document.addEventListener('DOMContentLoaded', () => {
        const status = document.querySelector('#status')!;
        new MutationObserver(() => seen.push(`${status.textContent} [progress ${(document.querySelector('#progress') as HTMLProgressElement).hidden ? 'hidden' : 'shown'}]`)).observe(status, { childList: true, characterData: true, subtree: true });
      });
    });
    const started = Date.now();
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => (window as unknown as { emojeDemo?: DemoState }).emojeDemo?.model !== undefined, undefined, { timeout: 120_000 });
    const readyMs = Date.now() - started;
    const adapter = await page.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(o: unknown): Promise<{ isFallbackAdapter?: boolean; info?: { isFallbackAdapter?: boolean; vendor?: string; architecture?: string } } | null> } }).gpu;
      const a = await gpu?.requestAdapter({ powerPreference: 'high-performance' });
      return a ? { fallback: a.isFallbackAdapter === true || a.info?.isFallbackAdapter === true, name: `${a.info?.vendor ?? ''} ${a.info?.architecture ?? ''}`.trim() } : null;
    });
    // Chromium runs with --disable-gpu, so its only WebGPU adapter is SwiftShader's software fallback
    expect(adapter).toMatchObject({ fallback: true });
    record.page = { adapter: `${adapter!.name} (fallback)`, readyMs };
    record.backends.best = { ran: (await page.evaluate(() => document.documentElement.dataset.backend)) ?? '', reason: 'best available' };
    const renderer = await page.evaluate(() => {
      const gl = document.createElement('canvas').getContext('webgl2');
      const info = gl?.getExtension('WEBGL_debug_renderer_info');
      return gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : '';
    });
    expect(renderer).toContain('SwiftShader'); // ANGLE on SwiftShader, for the same reason
    const selection = await page.evaluate(() => (window as unknown as { emojeDemo: DemoState }).emojeDemo.selection!);
    expect(selection.attempts.map((a) => [a.candidate, a.ok, a.skipped ?? false])).toEqual([
      ['webgpu', false, true],
      ['webgl', false, true],
      ['wasm', true, false],
    ]);
    expect(selection.attempts[0].reason).toContain('software fallback (google swiftshader)');
    expect(selection.attempts[1].reason).toContain('WebGL renders in software (SwiftShader)');
    // the first visit in this browser profile: the encoder came from the server, and the status said so file by file
    expect(await page.locator('#status').textContent()).toMatch(/^Ready: wasm backend \(WebGPU and WebGL skipped: they run in software here, slower than WebAssembly\); MELD model with text \(USE-lite sentence vectors, encoder downloaded\)/);
    const seen = await page.evaluate(() => (window as unknown as { __statusSeen: string[] }).__statusSeen);
    expect(seen.some((t) => /step 2 of 3.*\[progress shown\]/.test(t))).toBe(true);
    expect(seen.filter((t) => /sentence encoder \(USE-lite, 26 MB, kept in the browser's cache after the first visit\) on .*: file \d of 9 \(step 2 of 3\) \[progress shown\]/.test(t))).toHaveLength(9);
    expect(seen.some((t) => /step 3 of 3.*\[progress shown\]/.test(t))).toBe(true);
    expect(seen.at(-1)).toMatch(/^Ready: .*\[progress hidden\]$/);
    expect(await page.locator('#predict').getAttribute('aria-disabled')).toBe('false');
    // the favicon is inline: no request for /favicon.ico, no 404 anywhere
    expect(await page.locator('link[rel=icon]').getAttribute('href')).toMatch(/^data:image\/svg\+xml,/);
    expect(failed).toEqual([]);
    await page.close();
  });

  it('MELD (the default model): a typed 3-line dialogue gets 7-class labels and probabilities equal to Node (loadPretrained meld, wasm) within 1e-4; only the words are asked for; its figures, data and licence are stated', async () => {
    const { page, failed } = await demoPage('meld');
    // the encoder came from the browser's Cache API and the network from IndexedDB this time (the best-available test
    // loaded both in this profile): a second visit downloads nothing
    expect(await page.locator('#status').textContent()).toMatch(/; MELD model with text \(USE-lite sentence vectors, encoder read from the browser's cache\) and classes neutral, surprise, fear, sadness, joy, disgust, anger, loaded from IndexedDB in \d+ ms\.$/);
    expect(await page.locator('#model option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).textContent))).toEqual([
      'MELD (real, text)',
      'Synthetic demo (text, audio, face): trained on synthetic data',
    ]);
    // what the page says about the model: figures from PRETRAINED.meld and benchmarks/results/meld.json
    const meld = PRETRAINED.meld;
    const about = (await page.locator('#model-about').textContent()) ?? '';
    expect(about).toContain(`Test weighted F1 ${(100 * meld.testResults!.weightedF1).toFixed(2)} `);
    expect(about).toMatch(/mean over 3 seeds is 59\.7 ±/);
    expect(about).toContain(`7 emotions (${meld.classes.join(', ')})`);
    expect(about).toContain(meld.trainingData!);
    expect(about).toMatch(/GPL-3\.0.*Apache-2\.0/s);
    // only the words: no face menu, no record button, no privacy switch, and a sentence saying why
    for (const hidden of ['#rows > li:nth-child(1) label.face', '#rows > li:nth-child(1) button[name=record]', '#privacy-control']) expect(await page.locator(hidden).isVisible(), hidden).toBe(false);
    expect(await page.locator('#face-help').textContent()).toMatch(/^MELD reads only the words .*no recording, face menu or privacy switch with it\. Choose the synthetic demo model/);

    const lines: [string, string][] = [
      ['Ross', 'We were on a break!'],
      ['Rachel', 'I cannot believe you would say that to me.'],
      ['Ross', 'Oh my God, you are pregnant? That is amazing!'],
    ];
    await page.locator('#rows > li:nth-child(1) input[name=speaker]').fill(lines[0][0]);
    await page.locator('#rows > li:nth-child(1) input[name=text]').fill(lines[0][1]);
    await page.locator('#rows > li:nth-child(2) input[name=speaker]').fill(lines[1][0]);
    await page.locator('#rows > li:nth-child(2) input[name=text]').fill(lines[1][1]);
    await page.locator('#add-row').click();
    await page.locator('#rows > li:nth-child(3) input[name=speaker]').fill(lines[2][0]);
    await page.locator('#rows > li:nth-child(3) input[name=text]').fill(lines[2][1]);
    await page.locator('#predict').click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 60_000 }).toMatch(/^Predicted 3 utterances in \d+ ms on (webgpu|webgl|wasm|cpu)\.$/);
    const shown = await page.evaluate(() => (window as unknown as { emojeDemo: DemoState }).emojeDemo.lastPredictions!);
    const node = await nodeMeldPredictions({ utterances: lines.map(([speaker, text]) => ({ speaker, text })) });
    const diff = maxDifference(shown, node);
    record.backends.meld = { ran: (await page.evaluate(() => document.documentElement.dataset.backend)) ?? '', reason: 'MELD page, best available', maxProbDiffVsNode: diff.probabilities };
    expect(diff.probabilities).toBeLessThan(1e-4);
    expect(shown.map((p) => p.label)).toEqual(node.map((p) => p.label));
    for (let i = 1; i <= 3; i++) {
      const p = shown[i - 1];
      if (p.status !== 'predicted') throw new Error(`line ${i}: expected a prediction, got ${p.status}`);
      expect(Object.keys(p.probabilities).sort()).toEqual([...meld.classes].sort());
      expect(meld.classes).toContain(p.label);
      // the card shows the label and the 7 class bars; the chip beside the line the label
      expect(await page.locator(`#result-${i} .emotion`).textContent()).toBe(p.label);
      expect(await page.locator(`#result-${i} .bars.probabilities .name`).allTextContents()).toEqual([...meld.classes]);
      expect(await page.locator(`#result-${i} .bars.weights`).count()).toBe(0); // one modality: no fusion weights to show
      expect(await page.locator(`#rows > li:nth-child(${i}) output.row-result`).textContent()).toBe(`${p.label} ${(100 * p.probabilities[p.label]).toFixed(0)}%`);
    }
    mkdirSync(screenshots, { recursive: true });
    for (const [width, height] of [[1280, 800], [390, 844], [320, 640]] as const) {
      await page.setViewportSize({ width, height });
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
      await page.screenshot({ path: join(screenshots, `meld-page-${width}x${height}.png`), fullPage: true });
      expect(await horizontalOverflow(page), `horizontal scroll at ${width} px`).toBeLessThanOrEqual(0);
    }
    expect(failed).toEqual([]);
    await page.close();
  });

  it('the synthetic demo model (?model=demo): a dialogue typed with the keyboard only gets predictions equal to Node; privacy drops the face; microphone audio is used', async () => {
    const { page, failed: errors } = await demoPage();
    const ran = await page.evaluate(() => ({ backend: document.documentElement.dataset.backend ?? '', fallbacks: (window as unknown as { emojeDemo: DemoState }).emojeDemo.fallbacks }));
    record.backends.page = { ran: ran.backend, reason: `best available that runs the model${ran.fallbacks.length ? `; fell back from ${ran.fallbacks.join(' | ')}` : ''}` };

    await tabTo(page, 'li:nth-child(1) input[name=text]');
    await page.keyboard.type('Oh this is wonderful, I love it');
    await tabTo(page, 'li:nth-child(1) select[name=expression]');
    await page.keyboard.press('ArrowDown'); // neutral
    await page.keyboard.press('ArrowDown'); // happy
    await tabTo(page, 'li:nth-child(2) input[name=text]');
    await page.keyboard.type('stop it, this is ridiculous');
    await tabTo(page, 'li:nth-child(2) select[name=expression]');
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowDown'); // angry
    // record the (fake, beeping) microphone for the second utterance
    await tabTo(page, 'li:nth-child(2) button[name=record]');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('li:nth-child(2) .audio-status').textContent(), { timeout: 15_000 }).toMatch(/recording [1-9]/);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('li:nth-child(2) .audio-status').textContent(), { timeout: 15_000 }).toMatch(/^audio: \d/);
    // a third utterance with Add utterance; focus moves to its text field
    await tabTo(page, '#add-row');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.matches('li:nth-child(3) input[name=text]'))).toBe(true);
    await page.keyboard.type('i miss her so much');
    const busy = await watchAttribute(page, '#results-section', 'aria-busy');
    const said = await watchText(page, '#status');
    await page.keyboard.press('Enter'); // submits the form
    await page.waitForFunction(() => document.querySelectorAll('#results > li').length === 3 || document.querySelector('#status')?.classList.contains('error'), undefined, { timeout: 30_000 });
    expect(await page.locator('#status').textContent()).toMatch(/^Predicted 3 utterances/);
    // busy while predicting, and the status said so (not "Ready"); then the focus is on the results heading, not <body>
    expect(await busy()).toEqual(['true', 'false']);
    expect((await said())[0]).toMatch(/^Predicting 3 utterances on (webgl|wasm|cpu|webgpu)…$/);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('results-title');

    const shown = await page.evaluate(() => {
      const demo = (window as unknown as { emojeDemo: DemoState }).emojeDemo;
      return demo.lastPredictions!;
    });
    expect(shown.map((p) => p.missing)).toEqual([['audio'], [], ['audio', 'face']]);
    expect(shown[2].imputed).toEqual(['audio', 'face']);
    for (const p of shown) expect(Object.values(p.modalityWeights).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(await page.locator('#results > li:nth-child(3) .tag.imputed').count()).toBe(2);
    expect(await page.locator('#results > li:nth-child(1) .emotion').textContent()).toBe(shown[0].label);

    // the same dialogue (audio vector read back from the page) through Node gives the same numbers
    const audio = await page.evaluate(() => {
      const demo = (window as unknown as { emojeDemo: DemoState }).emojeDemo;
      return (demo.lastDialogue!.utterances[1] as { features: Record<string, unknown> }).features.audio as unknown as number[];
    });
    const rows: UtteranceRow[] = [
      { speaker: 'Ann', text: 'Oh this is wonderful, I love it', audio: null, expression: 'happy' },
      { speaker: 'Ben', text: 'stop it, this is ridiculous', audio: Float32Array.from(audio), expression: 'angry' },
      { speaker: 'Ann', text: 'i miss her so much', audio: null, expression: '' },
    ];
    const built = buildDialogue(rows, { modalities: (await page.evaluate(() => (window as unknown as { emojeDemo: DemoState }).emojeDemo.model!.config.modalities)) }, { privacy: false });
    const json: JsonDialogue = { utterances: built.dialogue.utterances.map((u) => ({ speaker: u.speaker, features: Object.fromEntries(Object.entries(u.features).map(([k, v]) => [k, typeof v === 'string' || v == null ? (v ?? null) : Array.from(v)])) })) };
    const node = await nodePredictions(json, { dir: join(DEMO_ROOT, 'public/models/demo') });
    record.backends.page.maxProbDiffVsNode = maxDifference(shown, node).probabilities;
    expect(maxDifference(shown, node).probabilities).toBeLessThan(1e-3);

    // privacy: the face is dropped everywhere and imputed
    // each label sits beside its line
    for (let i = 1; i <= 3; i++) {
      const chip = page.locator(`#rows > li:nth-child(${i}) output.row-result`);
      const p = shown[i - 1];
      if (p.status !== 'predicted') throw new Error(`line ${i}: expected a prediction, got ${p.status}`);
      expect(await chip.textContent()).toBe(`${p.label} ${(100 * p.probabilities[p.label]).toFixed(0)}%`);
      const [c, r] = [await chip.boundingBox(), await page.locator(`#rows > li:nth-child(${i})`).boundingBox()];
      expect(c!.y).toBeGreaterThanOrEqual(r!.y);
      expect(c!.y + c!.height).toBeLessThanOrEqual(r!.y + r!.height);
    }
    // "imputed" is explained on the page
    expect(await page.locator('#legend').isVisible()).toBe(true);
    expect(await page.locator('#legend').textContent()).toMatch(/imputed\s+means the line had no such input.*filled it in/s);

    // the privacy switch makes the shown predictions stale, visibly, until the next prediction
    expect(await page.locator('#stale').isVisible()).toBe(false);
    await tabTo(page, '#privacy');
    await page.keyboard.press('Space');
    expect(await page.locator('#privacy').isChecked()).toBe(true);
    expect(await page.locator('#results-section').getAttribute('data-stale')).toBe('true');
    expect(await page.locator('#stale').isVisible()).toBe(true);
    expect(await page.locator('#stale').textContent()).toContain('the privacy switch was turned on');
    expect(await page.locator('#rows output.row-result[data-stale=true]').count()).toBe(3);
    await tabTo(page, '#predict');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 30_000 }).toMatch(/without the face \(privacy\)/);
    expect(await page.locator('#stale').isVisible()).toBe(false);
    expect(await page.locator('#results-section').getAttribute('data-stale')).toBeNull();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('results-title');
    const privateRun = await page.evaluate(() => (window as unknown as { emojeDemo: DemoState }).emojeDemo.lastPredictions!);
    for (const p of privateRun) expect(p.imputed).toContain('face');
    expect(await page.locator('#results .note', { hasText: 'face: left out (privacy)' }).count()).toBe(2);

    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: join(screenshots, 'keyboard-privacy-1100x900.png'), fullPage: true });

    // an edit makes them stale too
    await page.locator('#rows > li:nth-child(2) input[name=text]').focus();
    await page.keyboard.press('End');
    await page.keyboard.type(' now');
    expect(await page.locator('#stale').textContent()).toContain('line 2 was edited');
    await page.screenshot({ path: join(screenshots, 'stale-after-edit-1100x900.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the synthetic demo model at 1280x800, 390x844 and 320 px: no horizontal scrolling, rows that do not run into each other, labels beside their lines, a long utterance said to be cut', async () => {
    const { page, failed } = await demoPage();
    await page.locator('#rows > li:nth-child(1) input[name=text]').fill(LONG_UTTERANCE);
    await page.locator('#rows > li:nth-child(1) select[name=expression]').selectOption('happy');
    await page.locator('#rows > li:nth-child(2) input[name=text]').fill('stop it, this is ridiculous');
    await page.locator('#rows > li:nth-child(2) select[name=expression]').selectOption('angry');
    await page.locator('#add-row').click();
    await page.locator('#rows > li:nth-child(3) input[name=text]').fill('i miss her so much');
    // the long line is flagged as soon as it is typed
    expect(await page.locator('#rows > li:nth-child(1) .row-note').textContent()).toMatch(/^Long line: text: \d+ words and punctuation marks, the model reads only the first 48 \(up to “.+”\); the rest is ignored\.$/);
    await page.locator('#predict').click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 30_000 }).toMatch(/^Predicted 3 utterances .*; 1 long line was cut to the model's 48-token limit\.$/);
    expect(await page.locator('#result-1 .note', { hasText: 'the model reads only the first 48' }).count()).toBe(1);
    expect(await page.locator('#result-1 h3').textContent()).toMatch(/…” \(4439 characters, shortened here\)$/);
    // the face menu says which expressions are the model's classes
    expect(await page.locator('#rows > li:nth-child(1) select[name=expression] optgroup').evaluateAll((groups) => groups.map((g) => [(g as HTMLOptGroupElement).label, [...g.children].map((o) => (o as HTMLOptionElement).value)]))).toEqual([
      ['the model’s classes', ['neutral', 'happy', 'sad', 'angry']],
      ['not a class of this model', ['fearful', 'disgusted', 'surprised']],
    ]);
    expect(await page.locator('#face-help').textContent()).toContain('4 of its 7 expressions match the model\'s 4 classes (neutral, happy as joy, sad as sadness, angry as anger)');

    mkdirSync(screenshots, { recursive: true });
    for (const [width, height] of [[1280, 800], [390, 844], [320, 640]] as const) {
      await page.setViewportSize({ width, height });
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
      await page.screenshot({ path: join(screenshots, `page-${width}x${height}.png`), fullPage: true });
      // at full resolution: the top of the page (status and lines) and the first card
      await page.evaluate(() => scrollTo(0, 0));
      await page.screenshot({ path: join(screenshots, `top-${width}x${height}.png`) });
      await page.locator('#rows').screenshot({ path: join(screenshots, `lines-${width}x${height}.png`) });
      await page.locator('#result-1').screenshot({ path: join(screenshots, `card-${width}x${height}.png`) });
      expect(await horizontalOverflow(page), `horizontal scroll at ${width} px`).toBeLessThanOrEqual(0);
      const rows: { row: Box; parts: Box[] }[] = await page.locator('#rows > li').evaluateAll((items) =>
        items.map((li) => {
          const box = (e: Element) => {
            const r = e.getBoundingClientRect();
            return { x: r.x, y: r.y + scrollY, width: r.width, height: r.height };
          };
          const parts = [...li.querySelectorAll(':scope > label, :scope > output, :scope > .tools > *')].filter((e) => e.getBoundingClientRect().width > 0);
          return { row: box(li), parts: parts.map(box) };
        }),
      );
      for (let i = 0; i < rows.length; i++) {
        if (i > 0) expect(overlaps(rows[i - 1].row, rows[i].row), `rows ${i} and ${i + 1} overlap at ${width} px`).toBe(false);
        for (const [j, a] of rows[i].parts.entries()) {
          // every control lies inside its row's card, and no two overlap
          expect(a.x >= rows[i].row.x - 0.5 && a.x + a.width <= rows[i].row.x + rows[i].row.width + 0.5, `row ${i + 1} part ${j + 1} sticks out at ${width} px`).toBe(true);
          for (const b of rows[i].parts.slice(j + 1)) expect(overlaps(a, b), `row ${i + 1} parts overlap at ${width} px`).toBe(false);
        }
      }
    }
    expect(failed).toEqual([]);
    await page.close();
  });
});
