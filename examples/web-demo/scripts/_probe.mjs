import { chromium } from 'playwright-core';
const ctx = await chromium.launchPersistentContext('/tmp/webdemo-probe-profile', { executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox','--disable-gpu','--enable-unsafe-webgpu'] });
const page = await ctx.newPage();
const http = await import('node:http'); const srv = http.createServer((q, r) => r.end('<html></html>')).listen(0, '127.0.0.1'); await new Promise(r => srv.on('listening', r)); await page.goto('http://127.0.0.1:' + srv.address().port + '/');
console.log(await page.evaluate(async () => {
  const a = await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' });
  if (!a) return 'no adapter';
  return JSON.stringify({ isFallbackAdapter: a.isFallbackAdapter, info: a.info && { vendor: a.info.vendor, architecture: a.info.architecture, device: a.info.device, description: a.info.description, isFallbackAdapter: a.info.isFallbackAdapter } });
}));
await ctx.close(); srv.close();
