// Sharing files from the panel (XEP-0363 upload, XEP-0066 OOB in the message): Alice sends an image
// with the attach button, a document by drag and drop and a screenshot by paste; Bob's panel shows
// the image inline (a click opens it full size) and a download link for the document, and the bytes
// he gets are the bytes she sent. A file over the service's limit is refused in words (the slot
// error's max size), an upload under way can be cancelled, and @xmpp/client receives the URL as
// Conversations and Gajim expect it (body = URL = OOB url).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/browser.ts';
import { baseUrl, seedRoster, startPanelServer, uploadConfig, uploadsServed } from '../helpers/panel.ts';
import { freePortBelowEphemeral } from '../helpers/ports.ts';
import type { TestServer } from '../helpers/server.ts';
import { online, xml, type LoggedInClient } from '../helpers/im.ts';

const NS_OOB = 'jabber:x:oob';
const MAX = 64 * 1024;
// An 8×8 PNG gradient.
const PICTURE = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAgElEQVR4nA3JIQFFMQhA0R/n1VgNGqAxa4BB04AG0zOY24A6f8ee3ycsQQQTQijhCiP8PmUpopgSSilXGX2xWRvZ2CY2tbmb2S+c5YhjTjjlXGf8RbISSSyJpJKbTL4oViGFFVFUcYupF4d1kIMd4lCHe5jzolmNNNZEU81tpvkDiI11ga+0y6EAAAAASUVORK5CYII=', 'base64');

/** Files dropped on (or pasted into) an element: a DataTransfer made in the page. */
async function transfer(page: Page, name: string, type: string, bytes: Buffer) {
  return page.evaluateHandle(({ name, type, base64 }) => {
    const data = new DataTransfer();
    data.items.add(new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], name, { type }));
    return data;
  }, { name, type, base64: bytes.toString('base64') });
}

/** The bytes at a URL, as the page reads them. */
async function bytesAt(page: Page, url: string): Promise<Buffer> {
  const base64 = await page.evaluate(async (href) => {
    const bytes = new Uint8Array(await (await fetch(href)).arrayBuffer());
    let binary = '';
    for (const byte of bytes) binary += String.fromCharCode(byte);
    return btoa(binary);
  }, url);
  return Buffer.from(base64, 'base64');
}

describe.skipIf(!uploadsServed)('sharing files in the panel', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let alice: Page;
  let bob: Page;
  let carol: LoggedInClient;

  beforeAll(async () => {
    const port = await freePortBelowEphemeral();
    server = await startPanelServer({ 'alice@example.com': 'alice-secret', 'bob@example.com': 'bob-secret', 'carol@example.com': 'carol-secret' },
      { http: { port }, ...uploadConfig(port, MAX) });
    await seedRoster(server, 'alice@example.com', [{ jid: 'bob@example.com', name: 'Bob' }, { jid: 'carol@example.com', name: 'Carol' }]);
    await seedRoster(server, 'bob@example.com', [{ jid: 'alice@example.com', name: 'Alice' }]);
    carol = await online(server, 'carol@example.com');
    browser = await launchBrowser();
    alice = await browser.newPage();
    bob = await browser.newPage({ colorScheme: 'dark' });
    await Promise.all([signIn(alice, baseUrl(server), 'alice@example.com', 'alice-secret'), signIn(bob, baseUrl(server), 'bob@example.com', 'bob-secret')]);
    await alice.locator('[data-jid="bob@example.com"] button.main').click();
    await alice.getByRole('button', { name: 'Send a file' }).waitFor();
  });

  afterAll(async () => {
    await carol?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('an image sent with the button shows inline at Bob’s, opens full size, and is the same bytes', async () => {
    const chooser = alice.waitForEvent('filechooser');
    await alice.getByRole('button', { name: 'Send a file' }).click();
    await (await chooser).setFiles({ name: 'gradient.png', mimeType: 'image/png', buffer: PICTURE });
    await alice.locator('.bubble[data-direction="out"] .preview img').waitFor();

    await bob.locator('[data-peer="alice@example.com"]').click();
    const preview = bob.locator('.bubble[data-direction="in"] .preview img').first();
    await preview.waitFor();
    await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(8);
    const url = (await preview.getAttribute('src'))!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.+\/gradient\.png$/);
    expect(await preview.getAttribute('loading')).toBe('lazy');
    const box = (await preview.boundingBox())!;
    expect(box.width).toBeLessThanOrEqual(240);
    expect(await bytesAt(bob, url)).toEqual(PICTURE);
    // a click opens it full size (a new tab, without an opener)
    const opened = bob.context().waitForEvent('page');
    await bob.getByRole('link', { name: 'Open gradient.png full size' }).click();
    const tab = await opened;
    await tab.waitForLoadState();
    expect(tab.url()).toBe(url);
    expect(await tab.evaluate(() => window.opener)).toBeNull();
    await tab.close();
  });

  it('a document dropped on the chat arrives as a download link with the same bytes', async () => {
    const report = randomBytes(20_000);
    const data = await transfer(alice, 'report.pdf', 'application/pdf', report);
    const chat = alice.getByRole('region', { name: 'Conversation with Bob' });
    await chat.dispatchEvent('dragenter', { dataTransfer: data });
    await alice.getByText('Drop files to send them to Bob').waitFor();
    await chat.dispatchEvent('dragover', { dataTransfer: data });
    await chat.dispatchEvent('drop', { dataTransfer: data });
    await alice.getByText('Drop files to send them to Bob').waitFor({ state: 'detached' });

    const link = bob.getByRole('link', { name: 'Download report.pdf' });
    await link.waitFor();
    // (target=_blank: the download starts in the new tab, which then closes)
    const download = Promise.race([
      bob.waitForEvent('download'),
      bob.context().waitForEvent('page').then((tab) => tab.waitForEvent('download')),
    ]);
    await link.click();
    const saved = await (await download).path();
    expect(readFileSync(saved)).toEqual(report);
  });

  it('a pasted screenshot is sent; @xmpp/client sees body = URL = OOB url', async () => {
    await alice.locator('[data-jid="carol@example.com"] button.main').click();
    const message = carol.next((s) => s.is('message') && !!s.getChild('x', NS_OOB), 15_000);
    const data = await transfer(alice, 'image.png', 'image/png', PICTURE);
    await alice.getByLabel('Message Carol').evaluate((textarea, clipboardData) => {
      textarea.dispatchEvent(new ClipboardEvent('paste', { clipboardData: clipboardData as DataTransfer, bubbles: true, cancelable: true }));
    }, data);
    const stanza = await message;
    const url = stanza.getChild('x', NS_OOB)!.getChildText('url')!;
    expect(stanza.getChildText('body')).toBe(url);
    expect(url).toMatch(/\/image\.png$/);
    expect(Buffer.from(await (await fetch(url)).arrayBuffer())).toEqual(PICTURE);
    await alice.locator('[data-jid="bob@example.com"] button.main').click();
  });

  it('a file over the service’s limit is refused in words, with the limit', async () => {
    const chooser = alice.waitForEvent('filechooser');
    await alice.getByRole('button', { name: 'Send a file' }).click();
    await (await chooser).setFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(MAX + 1) });
    const alert = alice.getByRole('alert').filter({ hasText: 'big.bin' });
    await alert.waitFor();
    expect(await alert.textContent()).toBe('big.bin was not sent: the file is too large; this server takes files up to 64 kB.');
    await alice.getByRole('button', { name: 'Dismiss' }).click();
    await alert.waitFor({ state: 'detached' });
  });

  it('an upload under way shows its progress and can be cancelled: nothing is sent', async () => {
    // the PUT waits until the test lets it go
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => { release = resolve; });
    await alice.route('**/*', async (route) => {
      if (route.request().method() !== 'PUT') return route.continue();
      await held;
      await route.abort().catch(() => {});
    });
    const before = await bob.locator('.bubble[data-direction="in"]').count();
    const chooser = alice.waitForEvent('filechooser');
    await alice.getByRole('button', { name: 'Send a file' }).click();
    await (await chooser).setFiles({ name: 'slow.txt', mimeType: 'text/plain', buffer: Buffer.from('not sent') });
    await alice.getByRole('progressbar', { name: 'Sending slow.txt' }).waitFor();
    await alice.getByRole('button', { name: 'Cancel sending slow.txt' }).click();
    await alice.getByRole('progressbar', { name: 'Sending slow.txt' }).waitFor({ state: 'detached' });
    release();
    await alice.unroute('**/*');
    expect(await alice.getByRole('alert').filter({ hasText: 'slow.txt' }).count()).toBe(0);
    expect(await bob.locator('.bubble[data-direction="in"]').count()).toBe(before);
  });
});
