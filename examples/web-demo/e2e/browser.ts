import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); playwright-core never downloads a browser here. */
export const CHROMIUM = process.env.EMOJE_CHROMIUM ?? '/usr/bin/chromium';

/** The flags every run uses: headless, no GPU process (WebGL and WebGPU run on SwiftShader), no network chatter. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
] as const;

/** Whether Debian's Chromium is installed. */
export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

/** A headless Chromium with a fresh profile; `close()` ends it and deletes the profile. */
export interface Browser {
  context: BrowserContext;
  version: string;
  close(): Promise<void>;
}

/**
 * Launches Chromium headless with {@link CHROMIUM_FLAGS} and a new `--user-data-dir`. `fakeMedia` adds
 * Chromium's fake microphone (a beeping test signal) with the permission prompt auto-accepted.
 */
export async function launchChromium(options: { fakeMedia?: boolean } = {}): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'emoje-chromium-'));
  const args = [...CHROMIUM_FLAGS, ...(options.fakeMedia ? ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'] : [])];
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args,
      viewport: { width: 1100, height: 900 },
      timeout: 60_000,
    });
    const version = context.browser()?.version() ?? (await versionOf(context));
    return {
      context,
      version,
      close: async () => {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}

async function versionOf(context: BrowserContext): Promise<string> {
  const page = await context.newPage();
  const ua = await page.evaluate(() => navigator.userAgent);
  await page.close();
  return /Chrome\/([\d.]+)/.exec(ua)?.[1] ?? ua;
}
