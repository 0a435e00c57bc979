// A panel that falls behind a burst with stream management on: the server ends its stream
// (resource-constraint, XEP-0198) and what the panel had not acknowledged, with what comes while
// it reconnects, goes to offline storage (RFC 6121 §8.5) — here too small to hold it, so most of
// the burst is in the archive only. The session that follows is not resumed: the panel catches up
// from the archive (XEP-0313, after the newest message it has), the open conversation has every
// message once, and the Chats list shows another conversation's newest message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, signIn, webClientDir, type TestBrowser } from '../helpers/browser.ts';
import { seedRoster } from '../helpers/panel.ts';
import { until, watchedWebSockets } from '../helpers/panel-sockets.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const ALICE = 'alice@example.com';
const ERIN = 'erin@example.com';
const FRANK = 'frank@example.com';
/** Unacknowledged stanzas a session may keep: room for signing in, not for the burst. */
const MAX_UNACKNOWLEDGED = 50;
/** Far more than that, than a history page (30) and than the offline queue (5) holds. */
const BURST = 150;

/**
 * The bodies of every bubble in the conversation, in the order shown: the list is scrolled from the
 * bottom to the top (a virtual list holds the rows on screen only), each bubble kept by message id
 * with its row and place in the row.
 */
function shownBodies(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const log = document.querySelector<HTMLElement>('[role="log"]')!;
    const frame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const bubbles = new Map<string, { row: number; place: number; body: string }>();
    const collect = () => {
      for (const slot of Array.from(log.querySelectorAll<HTMLElement>('[data-index]'))) {
        Array.from(slot.querySelectorAll<HTMLElement>('.bubble[data-id]')).forEach((bubble, place) => {
          bubbles.set(bubble.dataset.id!, { row: Number(slot.dataset.index), place, body: bubble.querySelector('.body')?.textContent ?? '' });
        });
      }
    };
    log.scrollTop = log.scrollHeight;
    await frame();
    collect();
    while (log.scrollTop > 0) {
      log.scrollTop = Math.max(0, log.scrollTop - log.clientHeight / 2);
      await frame();
      collect();
    }
    log.scrollTop = log.scrollHeight;
    return [...bubbles.values()].sort((a, b) => a.row - b.row || a.place - b.place).map((bubble) => bubble.body);
  });
}

describe('messages missed when stream management gave up', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let erin: LoggedInClient;
  let frank: LoggedInClient;

  beforeAll(async () => {
    server = await startServer({
      users: { [ALICE]: 'alice-secret', [ERIN]: 'erin-secret', [FRANK]: 'frank-secret' },
      config: { http: { webClientDir }, limits: { offlineMessages: 5 }, modules: { 'stream-management': { maxUnacknowledged: MAX_UNACKNOWLEDGED } } },
    });
    await seedRoster(server, ALICE, [{ jid: ERIN, name: 'Erin' }, { jid: FRANK, name: 'Frank' }]);
    browser = await launchBrowser();
    erin = await login(server, ERIN, 'erin-secret');
    frank = await login(server, FRANK, 'frank-secret');
  });

  afterAll(async () => {
    await erin?.stop();
    await frank?.stop();
    await browser?.close();
    await server?.stop();
  });

  const say = (from: LoggedInClient, body: string) => from.xmpp.send(xml('message', { to: ALICE, type: 'chat' }, xml('body', null, body)));

  it('catches up from the archive: the open conversation has every message once, the Chats list the newest', async () => {
    const page = await browser.newPage({ width: 1280, height: 800 });
    const sockets = await watchedWebSockets(page);
    await signIn(page, `http://127.0.0.1:${server.ports.http}/`, ALICE, 'alice-secret');
    await until(() => sockets.matching('received', '<enabled').length === 1, 'stream management enabled');
    await until(() => sockets.matching('received', '<fin xmlns="urn:xmpp:inbox:1"').length > 0, 'the inbox');
    // Frank wrote earlier (his conversation is in the Chats list); Alice reads Erin's
    await say(frank, 'frank before the gap');
    await page.getByRole('tab', { name: /Chats/ }).click();
    await page.locator(`button[data-peer="${FRANK}"]`, { hasText: 'frank before the gap' }).waitFor();
    await page.getByRole('tab', { name: /Contacts/ }).click();
    await page.locator(`[data-jid="${ERIN}"] button.main`).click();
    await say(erin, 'erin before the gap');
    await page.locator('.bubble', { hasText: 'erin before the gap' }).waitFor();
    expect(sockets.count()).toBe(1); // the same session since sign-in, with stream management

    // The panel's acks stop reaching the server, as when a busy page falls behind a burst, and the
    // network goes down with the stream the server ends (offline storage takes 5 of what follows)
    sockets.dropSent(/<a xmlns="urn:xmpp:sm:3"/);
    sockets.refuse(true);
    await page.route('**/http-bind', (route) => route.abort());
    for (let i = 1; i <= BURST; i++) await say(erin, `burst ${i} of ${BURST}`);
    await until(() => sockets.matching('received', 'resource-constraint').length === 1, 'the server ending the session');
    await say(frank, 'frank during the gap');
    await until(async () => (await server.server.storage.offline.list(ALICE)).length === 5, 'a full offline queue');
    sockets.dropSent(null);
    sockets.refuse(false);
    await page.unroute('**/http-bind');
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await page.locator('.panel[data-status="online"]').waitFor({ timeout: 20_000 });
    // a fresh session: not resumed (the server ended the old one)
    expect(sockets.matching('sent', '<resume ', 1)).toEqual([]);
    await say(erin, 'erin after the gap');
    await page.locator('.bubble', { hasText: 'erin after the gap' }).waitFor();

    const expected = ['erin before the gap', ...Array.from({ length: BURST }, (_, i) => `burst ${i + 1} of ${BURST}`), 'erin after the gap'];
    let shown: string[] = [];
    await until(async () => (shown = await shownBodies(page)).length >= expected.length, 'every message shown', 15_000).catch(() => {});
    const missing = expected.filter((body) => !shown.includes(body));
    expect(missing, `${missing.length} missing`).toEqual([]);
    expect(shown.length, 'each message once').toBe(expected.length);
    expect(shown).toEqual(expected); // in order

    await page.getByRole('tab', { name: /Chats/ }).click();
    await page.locator(`button[data-peer="${FRANK}"]`, { hasText: 'frank during the gap' }).waitFor();
    await page.close();
  });
});
