// Chromium gets the panel's script and styles brotli-compressed (precompressed by the build).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { baseUrl, startPanelServer } from '../helpers/panel.ts';
import type { TestServer } from '../helpers/server.ts';

describe('compressed assets', () => {
  let server: TestServer;
  let browser: TestBrowser;

  beforeAll(async () => {
    server = await startPanelServer({});
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('loads JS and CSS with Content-Encoding: br, a fraction of their size', async () => {
    const page = await browser.newPage();
    const assets: Promise<{ url: string; encoding?: string; sent: number; size: number }>[] = [];
    page.on('response', (response) => {
      if (!/\.(js|css)$/.test(response.url())) return;
      assets.push((async () => ({
        url: response.url(),
        encoding: (await response.allHeaders())['content-encoding'],
        sent: (await response.request().sizes()).responseBodySize,
        size: (await response.body()).length,
      }))());
    });
    await page.goto(baseUrl(server));
    await page.getByLabel('Address').waitFor();
    const loaded = await Promise.all(assets);
    expect(loaded.length).toBeGreaterThanOrEqual(2);
    for (const asset of loaded) {
      expect(asset.encoding, asset.url).toBe('br');
      expect(asset.sent).toBeLessThan(asset.size / 2);
    }
    const sent = loaded.reduce((total, asset) => total + asset.sent, 0);
    console.log(`panel assets: ${loaded.reduce((t, a) => t + a.size, 0)} bytes, ${sent} bytes sent (brotli)`);
  });
});
