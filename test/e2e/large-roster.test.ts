// A 5,000-contact roster: the first screen soon after the roster arrives, no long task after it,
// the filter quick per key, profiles fetched only for rows on screen, a list of a few dozen rows in
// the page, and one Tab stop with arrow keys (roving tabindex). The figures are printed.
import { cpus, loadavg } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/browser.ts';
import { baseUrl, seedRoster, seedVcard, startPanelServer } from '../helpers/panel.ts';
import type { TestServer } from '../helpers/server.ts';

const CONTACTS = 5_000;
const ONLINE = 20;
const GROUPS = ['Engineering', 'Sales', 'Support', 'Marketing', 'Finance', 'Legal', 'Design', 'Research', 'Operations', 'People'];
const jidOf = (i: number) => `user${String(i).padStart(4, '0')}@example.com`;

/** In the page before it loads: when the roster result arrives, when rows first show, long tasks, vCard requests. */
function instrument(): void {
  const w = window as unknown as { perf: { rosterAt?: number; firstRowAt?: number; longTasks: { start: number; duration: number }[]; vcardRequests: number; keys: number[] } };
  w.perf = { longTasks: [], vcardRequests: 0, keys: [] };
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener('message', (event) => {
        if (w.perf.rosterAt === undefined && typeof event.data === 'string' && event.data.includes('jabber:iq:roster') && /type=["']result["']/.test(event.data)) w.perf.rosterAt = performance.now();
      });
    }
    override send(data: string) {
      if (typeof data === 'string' && data.includes('vcard-temp') && /type=["']get["']/.test(data)) w.perf.vcardRequests += (data.match(/<vCard/g) ?? []).length;
      super.send(data);
    }
  } as typeof WebSocket;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) w.perf.longTasks.push({ start: entry.startTime, duration: entry.duration });
  }).observe({ type: 'longtask', buffered: true });
  new MutationObserver(() => {
    if (w.perf.firstRowAt === undefined && document.querySelector('[data-jid]')) w.perf.firstRowAt = performance.now();
  }).observe(document, { childList: true, subtree: true });
  // Key to screen in the contact filter: from the key event to the frame after the list changed.
  document.addEventListener('keydown', (event) => {
    if (!(event.target instanceof HTMLInputElement) || event.target.type !== 'search') return;
    const start = event.timeStamp;
    setTimeout(() => requestAnimationFrame(() => setTimeout(() => w.perf.keys.push(performance.now() - start))));
  }, true);
}

interface Figures { rosterAt?: number; firstRowAt?: number; longTasks: { start: number; duration: number }[]; vcardRequests: number; keys: number[] }
const figures = (page: Page) => page.evaluate(() => (window as unknown as { perf: Figures }).perf);

describe('a 5,000-contact roster', () => {
  let server: TestServer;
  let browser: TestBrowser;
  const online: LoggedInClient[] = [];

  beforeAll(async () => {
    const users: Record<string, string> = { 'alice@example.com': 'alice-secret' };
    for (let i = 0; i < ONLINE; i++) users[jidOf(i)] = 'pw';
    server = await startPanelServer(users, { limits: { rosterItems: 10_000 } });
    const contacts = Array.from({ length: CONTACTS }, (_, i) => ({
      jid: jidOf(i), name: i % 3 === 0 ? undefined : `Person ${i}`, groups: [GROUPS[i % GROUPS.length]!],
    }));
    await seedRoster(server, 'alice@example.com', contacts);
    for (let i = 0; i < CONTACTS; i += 3) await seedVcard(server, jidOf(i), `Named ${i}`);
    for (let i = 0; i < ONLINE; i++) {
      const client = await login(server, jidOf(i), 'pw', { presence: false });
      await client.xmpp.send(xml('presence', null, xml('x', { xmlns: 'vcard-temp:x:update' }, xml('photo', null, `${String(i).padStart(2, '0')}${'0'.repeat(38)}`))));
      online.push(client);
    }
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await Promise.all(online.map((client) => client.stop()));
    await browser?.close();
    await server?.stop();
  });

  it('renders quickly, fetches profiles for visible rows only, filters quickly, one Tab stop', async () => {
    const page = await browser.newPage({ width: 1280, height: 800 });
    await page.addInitScript(instrument);
    await page.goto(baseUrl(server));
    await page.getByLabel('Address').fill('alice@example.com');
    await page.getByLabel('Password').fill('alice-secret');
    const started = Date.now();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-jid]').first().waitFor({ timeout: 30_000 });
    console.log(`sign-in to first row: ${Date.now() - started} ms`);
    // the online contacts' presence arrives and moves them up: let it settle
    await page.locator('[data-jid="user0006@example.com"]').getByRole('img', { name: 'Available' }).waitFor({ timeout: 15_000 });
    await page.waitForTimeout(1_500);
    const settled = await figures(page);
    const firstRender = settled.firstRowAt! - settled.rosterAt!;
    const after = settled.longTasks.filter((task) => task.start >= settled.firstRowAt!);
    const longest = Math.max(0, ...after.map((task) => task.duration));
    const elements = await page.evaluate(() => document.querySelectorAll('*').length);
    const tabStops = await page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('#panel-list [role="list"] *'))
      .filter((el) => el.tabIndex >= 0 && !(el as HTMLButtonElement).disabled && el.offsetParent !== null).length);

    await page.getByRole('searchbox', { name: 'Search contacts' }).click();
    await page.keyboard.type('person 4999', { delay: 120 });
    await page.locator('[data-jid="user4999@example.com"]').waitFor();
    const keys = (await figures(page)).keys;
    const sortedKeys = [...keys].sort((a, b) => a - b);

    console.log(`5,000 contacts: first render ${firstRender.toFixed(0)} ms after the roster arrived; `
      + `${after.length} long tasks afterwards (longest ${longest.toFixed(0)} ms); ${settled.vcardRequests} vCard requests; `
      + `${elements} elements; ${tabStops} Tab stops in the list; filter key-to-screen median ${sortedKeys[Math.floor(keys.length / 2)]!.toFixed(0)} ms, max ${sortedKeys.at(-1)!.toFixed(0)} ms`);

    expect(settled.vcardRequests).toBeLessThan(80);
    expect(elements).toBeLessThan(1_500);
    expect(tabStops).toBe(1);
    // Timing bars hold on a machine that is not busy with other work: on a shared 2-core machine
    // whose load exceeds its cores they are printed (above), not asserted.
    if (loadavg()[0]! <= cpus().length) {
      expect(firstRender).toBeLessThan(300);
      expect(longest).toBeLessThan(50);
      expect(sortedKeys.at(-1)!).toBeLessThan(50);
    }
  });

  it('moves through the list with the arrow keys', async () => {
    const page = await browser.newPage({ width: 1280, height: 800 });
    await signIn(page, baseUrl(server), 'alice@example.com', 'alice-secret');
    await page.locator('[data-jid]').first().waitFor();
    await page.getByRole('searchbox', { name: 'Search contacts' }).focus();
    await page.keyboard.press('Tab'); // the add button
    await page.keyboard.press('Tab'); // into the list: its one Tab stop
    const focused = () => page.evaluate(() => document.activeElement?.closest('[data-row]')?.getAttribute('data-row'));
    const first = await focused();
    expect(first).toBeTruthy();
    await page.keyboard.press('ArrowDown');
    const second = await focused();
    expect(second).not.toBe(first);
    await page.keyboard.press('End');
    // the last row is rendered once the list has scrolled there
    await page.waitForFunction(() => document.activeElement?.closest('[data-row]')?.getAttribute('data-row')?.startsWith('contact:'));
    await page.keyboard.press('Home');
    // the first row is rendered (and focused) once the list has scrolled back up
    await page.waitForFunction((row) => document.activeElement?.closest('[data-row]')?.getAttribute('data-row') === row, first);
    expect(await focused()).toBe(first);
    await page.keyboard.press('Tab'); // out of the list in one step
    expect(await page.evaluate(() => document.activeElement?.closest('#panel-list'))).toBeNull();
  });
});
