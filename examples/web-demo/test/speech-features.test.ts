import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { defaultClientConditions } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmodb } from '@emoje/datasets/node';
import { audioFrameFeatures, audioFunctionals, extractAudioFeatures } from '@emoje/encoders';
import { launchChromium, hasChromium, type Browser } from '../e2e/browser';
import { DEMO_ROOT } from '../e2e/build';

// CI installs chromium and sets EMOJE_REQUIRE_BROWSER=1, so there these tests can never be skipped.
const available = hasChromium();
if (!available && process.env.EMOJE_REQUIRE_BROWSER === '1') {
  throw new Error('EMOJE_REQUIRE_BROWSER=1 but /usr/bin/chromium is not installed (apt-get install chromium)');
}

type PageFeatures = { utteranceVector: number[]; functionals: number[]; frames: number[][]; mfcc: number[][] };

/** Largest difference relative to max(1, |reference|). */
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
};

describe.skipIf(!available)('speech features in headless Chromium', () => {
  let browser: Browser;
  let script: string;
  const out = mkdtempSync(join(tmpdir(), 'emoje-speech-entry-'));

  beforeAll(async () => {
    // the entry alone, as one IIFE (no page build needed)
    await build({
      root: DEMO_ROOT,
      configFile: false,
      logLevel: 'warn',
      resolve: { conditions: ['@emoje/source', ...defaultClientConditions] },
      build: { outDir: out, emptyOutDir: true, minify: true, target: 'es2022', lib: { entry: join(DEMO_ROOT, 'e2e/speech-entry.ts'), formats: ['iife'], name: 'emojeSpeech', fileName: () => 'speech.js' } },
    });
    script = readFileSync(join(out, 'speech.js'), 'utf8');
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('a real EmoDB clip (03a01Fa, happiness) streamed in 128-sample blocks gives the features Node gives, within 1e-5', async () => {
    const corpus = await loadEmodb();
    const clip = corpus.utterances.find((u) => u.id === '03a01Fa')!;
    expect(clip.emotion).toBe('happiness');
    const page = await browser.context.newPage();
    try {
      await page.addScriptTag({ content: script });
      const web = await page.evaluate(
        ([s, r]) => (window as unknown as { emojeSpeech: { features(s: number[], r: number, c: number): PageFeatures } }).emojeSpeech.features(s, r, 128),
        [Array.from(clip.samples), corpus.sampleRate] as const,
      );
      const node = extractAudioFeatures(clip.samples, corpus.sampleRate);
      expect(node.mfcc.length).toBeGreaterThan(150);
      expect(node.prosody.voicedFraction).toBeGreaterThan(0.2);
      expect(maxDiff(web.utteranceVector, node.utteranceVector)).toBeLessThan(1e-5);
      expect(maxDiff(web.functionals, audioFunctionals(node))).toBeLessThan(1e-5);
      const frames = audioFrameFeatures(node, 4);
      expect(web.frames.length).toBe(frames.length);
      expect(Math.max(...frames.map((f, i) => maxDiff(web.frames[i], f)))).toBeLessThan(1e-5);
      expect(Math.max(...node.mfcc.map((m, i) => maxDiff(web.mfcc[i], m)))).toBeLessThan(1e-5);
    } finally {
      await page.close();
    }
  }, 120_000);
});
