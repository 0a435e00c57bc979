// New messages get noticed: the unread count in the title and the favicon, an optional sound,
// desktop notifications for a conversation that is not on screen (even with the panel visible),
// and a clear word when the browser refuses the permission.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/browser.ts';
import { baseUrl, seedRoster, startPanelServer } from '../helpers/panel.ts';
import type { TestServer } from '../helpers/server.ts';

/** Records notifications and sounds instead of showing and playing them; `permission` is what the browser answers. */
function fakeDevices(answer: string): void {
  const permission = answer as NotificationPermission;
  const w = window as unknown as { shown: string[]; tones: number };
  w.shown = [];
  w.tones = 0;
  class FakeNotification {
    static permission: NotificationPermission = 'default';
    static async requestPermission() { FakeNotification.permission = permission; return permission; }
    onclick: (() => void) | null = null;
    constructor(title: string, options?: { body?: string }) { w.shown.push(`${title}: ${options?.body ?? ''}`); }
    close() {}
  }
  (window as unknown as { Notification: unknown }).Notification = FakeNotification;
  const create = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function (this: AudioContext) { w.tones++; return create.call(this); };
}

describe('noticing new messages', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let bob: LoggedInClient;
  let carol: LoggedInClient;
  const say = (from: LoggedInClient, body: string) => from.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat' }, xml('body', null, body)));

  beforeAll(async () => {
    server = await startPanelServer({ 'alice@example.com': 'alice-secret', 'bob@example.com': 'pw', 'carol@example.com': 'pw' });
    await seedRoster(server, 'alice@example.com', [{ jid: 'bob@example.com', name: 'Bob' }, { jid: 'carol@example.com', name: 'Carol' }]);
    browser = await launchBrowser();
    bob = await login(server, 'bob@example.com', 'pw');
    carol = await login(server, 'carol@example.com', 'pw');
  });

  afterAll(async () => {
    await Promise.all([bob?.stop(), carol?.stop()]);
    await browser?.close();
    await server?.stop();
  });

  it('counts unread in the title and favicon, chimes, and notifies for a conversation not on screen', async () => {
    const page = await browser.newPage();
    await page.addInitScript(fakeDevices, 'granted');
    await signIn(page, baseUrl(server), 'alice@example.com', 'alice-secret');
    const title = await page.title();
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('menuitemcheckbox', { name: /Desktop notifications/ }).click();
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('menuitemcheckbox', { name: /Sound/ }).click();
    const tonesAfterToggle = await page.evaluate(() => (window as unknown as { tones: number }).tones);
    expect(tonesAfterToggle).toBeGreaterThan(0); // a sample when turned on

    await page.getByRole('tab', { name: /Contacts/ }).click();
    await page.locator('[data-jid="carol@example.com"] button.main').click(); // Carol's chat is open, Bob's is not
    await say(bob, 'are you there?');
    await page.waitForFunction(() => document.title.startsWith('(1) '));
    expect(await page.title()).toBe(`(1) ${title}`);
    expect(decodeURIComponent(await page.locator('link[rel="icon"]').getAttribute('href') ?? '')).toContain('>1</text>');
    await page.waitForFunction(() => (window as unknown as { shown: string[] }).shown.length === 1);
    expect(await page.evaluate(() => (window as unknown as { shown: string[] }).shown)).toEqual(['Bob: are you there?']);
    expect(await page.evaluate(() => (window as unknown as { tones: number }).tones)).toBeGreaterThan(tonesAfterToggle);

    // The open conversation needs no notification.
    await say(carol, 'hi Alice');
    await page.locator('.bubble', { hasText: 'hi Alice' }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { shown: string[] }).shown)).toHaveLength(1);

    await page.getByRole('tab', { name: /Chats/ }).click();
    await page.locator('[data-peer="bob@example.com"]').click();
    await page.waitForFunction((base) => document.title === base, title);
  });

  it('explains a refused permission instead of silently staying off', async () => {
    const page = await browser.newPage();
    await page.addInitScript(fakeDevices, 'denied');
    await signIn(page, baseUrl(server), 'alice@example.com', 'alice-secret');
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('menuitemcheckbox', { name: /Desktop notifications/ }).click();
    await page.getByRole('alert').getByText(/blocks notifications/).waitFor();
    await page.getByRole('button', { name: 'Menu' }).click();
    expect(await page.getByRole('menuitemcheckbox', { name: /Desktop notifications/ }).getAttribute('aria-checked')).toBe('false');
  });
});
