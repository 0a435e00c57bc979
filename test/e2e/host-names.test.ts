// Chromium reaches the server by host name (--host-resolver-rules maps the names to 127.0.0.1), so it
// sends SNI, Host and Origin as for a real deployment: the panel loads over HTTPS, signs in over WSS
// and BOSH answers, for each served domain and for one added while the server runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server.ts';
import { launchBrowser, signIn, webClientDir, type TestBrowser } from '../helpers/browser.ts';
import { requestByName } from '../helpers/by-name.ts';

const NAMES = ['example.com', 'example.net', 'added.example'];

describe('the panel by host name over HTTPS', () => {
  let server: TestServer;
  let browser: TestBrowser;
  const base = (name: string) => `https://${name}:${server.ports.https}/`;

  beforeAll(async () => {
    server = await startServer({
      domains: ['example.com', 'example.net'],
      users: { 'alice@example.com': 'alice-secret', 'nina@example.net': 'nina-secret' },
      config: { http: { webClientDir, tlsPort: 0 } },
    });
    browser = await launchBrowser([`--host-resolver-rules=${NAMES.map((name) => `MAP ${name} 127.0.0.1`).join(', ')}`]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A BOSH session request from the page (same origin): the sid it got. */
  async function boshFromPage(page: Page, domain: string): Promise<string | null> {
    return page.evaluate(async (to) => {
      const response = await fetch('/http-bind', {
        method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8' },
        body: `<body xmlns='http://jabber.org/protocol/httpbind' rid='1000' to='${to}' wait='5' hold='1' ver='1.11'/>`,
      });
      return new DOMParser().parseFromString(await response.text(), 'text/xml').documentElement.getAttribute('sid');
    }, domain);
  }

  it.each([['example.com', 'alice@example.com', 'alice-secret'], ['example.net', 'nina@example.net', 'nina-secret']])(
    'https://%s/: the panel signs in over WSS, and BOSH answers', async (name, jid, password) => {
      const page = await browser.newPage({ acceptSelfSigned: true });
      await signIn(page, base(name), jid, password);
      expect(await page.locator('.panel').getAttribute('data-transport')).toBe('websocket');
      expect(await boshFromPage(page, name)).toMatch(/\S/);
    });

  it('a domain added while running: served by name with the routes once its certificate is made', async () => {
    await server.server.admin.addDomain('added.example');
    await server.server.admin.addUser('zoe@added.example', { password: 'zoe-secret' });
    const started = Date.now();
    while ((await requestByName(base('added.example'))).certificate !== 'added.example') {
      if (Date.now() - started > 10_000) throw new Error('added.example is not served by name');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const page = await browser.newPage({ acceptSelfSigned: true });
    await signIn(page, base('added.example'), 'zoe@added.example', 'zoe-secret');
    expect(await page.locator('.panel').getAttribute('data-transport')).toBe('websocket');
    expect(await boshFromPage(page, 'added.example')).toMatch(/\S/);
  });
});
