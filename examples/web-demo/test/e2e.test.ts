import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, hasChromium, type Browser } from '../e2e/browser';
import { DEMO_ROOT, buildDemo } from '../e2e/build';
import { PRETRAINED_ASSETS, maxDifference, mosiDialogue, nodePredictions } from '../e2e/reference';
import { serveStatic, type StaticServer } from '../e2e/server';
import { extractAudioFeatures } from '@emoje/encoders';
import { buildDialogue, type UtteranceRow } from '../src/dialogue';
import type { Harness, JsonDialogue } from '../src/harness';
import type { DemoState } from '../src/main';

// CI installs chromium and sets EMOJE_REQUIRE_BROWSER=1, so there these tests can never be skipped.
const available = hasChromium();
if (!available && process.env.EMOJE_REQUIRE_BROWSER === '1') {
  throw new Error('EMOJE_REQUIRE_BROWSER=1 but /usr/bin/chromium is not installed (apt-get install chromium)');
}

const results = join(DEMO_ROOT, '.test-results');
/** What ran, for the record (written to .test-results/e2e-backends.json and printed). */
const record: { browser?: string; backends: Record<string, { ran: string; reason: string; maxProbDiffVsNode?: number }> } = { backends: {} };

describe.skipIf(!available)('web demo in headless Chromium, production build', () => {
  let server: StaticServer;
  let browser: Browser;
  let dialogue: JsonDialogue;
  let reference: Awaited<ReturnType<typeof nodePredictions>>;

  beforeAll(async () => {
    const dist = await buildDemo(join(results, 'dist'));
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

  it('the page: a dialogue typed with the keyboard only gets predictions equal to Node; privacy drops the face; microphone audio is used', async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => (window as unknown as { emojeDemo?: DemoState }).emojeDemo?.model !== undefined, undefined, { timeout: 60_000 });
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/^Ready: (webgpu|webgl|wasm|cpu) backend/);
    const ran = await page.evaluate(() => ({ backend: document.documentElement.dataset.backend ?? '', fallbacks: (window as unknown as { emojeDemo: DemoState }).emojeDemo.fallbacks }));
    record.backends.page = { ran: ran.backend, reason: `best available that runs the model${ran.fallbacks.length ? `; fell back from ${ran.fallbacks.join(' | ')}` : ''}` };

    /** Presses Tab until the focused element matches `selector` (keyboard only, bounded). */
    const tabTo = async (selector: string) => {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
      }
      throw new Error(`Tab never reached ${selector}`);
    };
    await tabTo('li:nth-child(1) input[name=text]');
    await page.keyboard.type('Oh this is wonderful, I love it');
    await tabTo('li:nth-child(1) select[name=expression]');
    await page.keyboard.press('ArrowDown'); // neutral
    await page.keyboard.press('ArrowDown'); // happy
    await tabTo('li:nth-child(2) input[name=text]');
    await page.keyboard.type('stop it, this is ridiculous');
    await tabTo('li:nth-child(2) select[name=expression]');
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowDown'); // angry
    // record the (fake, beeping) microphone for the second utterance
    await tabTo('li:nth-child(2) button[name=record]');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('li:nth-child(2) .audio-status').textContent(), { timeout: 15_000 }).toMatch(/recording [1-9]/);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('li:nth-child(2) .audio-status').textContent(), { timeout: 15_000 }).toMatch(/^audio: \d/);
    // a third utterance with Add utterance; focus moves to its text field
    await tabTo('#add-row');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.matches('li:nth-child(3) input[name=text]'))).toBe(true);
    await page.keyboard.type('i miss her so much');
    await page.keyboard.press('Enter'); // submits the form
    await page.waitForFunction(() => document.querySelectorAll('#results > li').length === 3 || document.querySelector('#status')?.classList.contains('error'), undefined, { timeout: 30_000 });
    expect(await page.locator('#status').textContent()).toMatch(/^Predicted 3 utterances/);

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
      return demo.lastDialogue!.utterances[1].features.audio as unknown as number[];
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
    await tabTo('#privacy');
    await page.keyboard.press('Space');
    expect(await page.locator('#privacy').isChecked()).toBe(true);
    await tabTo('#predict');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/without the face \(privacy\)/);
    const privateRun = await page.evaluate(() => (window as unknown as { emojeDemo: DemoState }).emojeDemo.lastPredictions!);
    for (const p of privateRun) expect(p.imputed).toContain('face');
    expect(await page.locator('#results .note', { hasText: 'face: left out (privacy)' }).count()).toBe(2);

    mkdirSync(results, { recursive: true });
    await page.screenshot({ path: join(results, 'web-demo.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
