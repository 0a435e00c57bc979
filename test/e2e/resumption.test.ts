// XEP-0198 in the panel: a network blip under the panel (the WebSocket gone, no stream close) is
// resumed with its previd — no history reloaded, no message lost or shown twice either way — and a
// session the server no longer has (item-not-found) is started afresh and caught up from the
// archive. XEP-0352: the tab going hidden makes the session inactive, visible again active.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { xml, type LoggedInClient, login } from '../helpers/clients.ts';
import { launchBrowser, signIn, webClientDir, type TestBrowser } from '../helpers/browser.ts';
import { seedRoster } from '../helpers/panel.ts';
import { until, watchedWebSockets, type WatchedSockets } from '../helpers/panel-sockets.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const ALICE = 'alice@example.com';
const ERIN = 'erin@example.com';

describe('stream management in the panel', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let erin: LoggedInClient;

  beforeAll(async () => {
    server = await startServer({
      users: { [ALICE]: 'alice-secret', [ERIN]: 'erin-secret' },
      // a short resumption window, so that the expiry case below does not wait five minutes
      config: { http: { webClientDir }, modules: { 'stream-management': { resumptionTimeoutSeconds: 2, maxResumptionTimeoutSeconds: 2 } } },
    });
    await seedRoster(server, ALICE, [{ jid: ERIN, name: 'Erin' }]);
    browser = await launchBrowser();
    erin = await login(server, ERIN, 'erin-secret');
  });

  afterAll(async () => {
    await erin?.stop();
    await browser?.close();
    await server?.stop();
  });

  const bubbles = (page: Page, text: string) => page.locator('.bubble', { hasText: text }).count();
  const erinGot = (body: string) => erin.received.filter((s) => s.is('message') && s.getChildText('body') === body).length;
  const fromErin = (id: string, body: string) => erin.xmpp.send(xml('message', { to: ALICE, type: 'chat', id }, xml('body', null, body)));

  async function openPanel(): Promise<{ page: Page; sockets: WatchedSockets }> {
    const page = await browser.newPage();
    const sockets = await watchedWebSockets(page);
    await signIn(page, `http://127.0.0.1:${server.ports.http}/`, ALICE, 'alice-secret');
    // the inbox (XEP-0430) may switch the sidebar to the Chats tab once it is in: open Erin after it
    await until(() => sockets.matching('received', '<fin xmlns="urn:xmpp:inbox:1"').length > 0, 'the inbox');
    await page.waitForTimeout(300);
    await page.locator(`button[data-peer="${ERIN}"], [data-jid="${ERIN}"] button.main`).first().click();
    return { page, sockets };
  }

  it('resumes after the WebSocket is cut: no reload, every message once both ways', async () => {
    const { page, sockets } = await openPanel();
    await until(() => sockets.matching('received', '<enabled').length === 1, 'stream management enabled');
    expect(sockets.matching('sent', /<enable [^>]*resume=["']true/).length).toBe(1);
    await fromErin('b1', 'before the cut');
    await page.locator('.bubble', { hasText: 'before the cut' }).waitFor();

    // Alice writes and the network goes at once: the server may or may not have had it
    await page.getByRole('textbox', { name: /Message/ }).fill('sent as the network went');
    await page.getByRole('textbox', { name: /Message/ }).press('Enter');
    await sockets.cut();
    await page.locator('[data-connection="reconnecting"], [data-connection="connecting"]').first().waitFor();
    // while she is away the server keeps her session and what comes for it
    for (let i = 1; i <= 3; i++) await fromErin(`d${i}`, `during the cut ${i}`);
    await page.getByRole('textbox', { name: /Message/ }).fill('written while offline');
    await page.getByRole('textbox', { name: /Message/ }).press('Enter');

    await page.locator('.panel[data-status="online"]').waitFor({ timeout: 20_000 });
    expect(sockets.count()).toBe(2);
    expect(sockets.matching('sent', '<resume ', 1).length).toBe(1);
    expect(sockets.matching('received', '<resumed ', 1).length).toBe(1);
    // the resumed session needs no new binding, roster, presence or history
    expect(sockets.matching('sent', 'urn:ietf:params:xml:ns:xmpp-bind', 1)).toEqual([]);
    expect(sockets.matching('sent', 'urn:xmpp:mam:2', 1)).toEqual([]);
    expect(sockets.matching('sent', 'jabber:iq:roster', 1)).toEqual([]);

    for (let i = 1; i <= 3; i++) await page.locator('.bubble', { hasText: `during the cut ${i}` }).waitFor();
    await until(() => erinGot('written while offline') === 1 && erinGot('sent as the network went') === 1, 'Erin gets both messages');
    await fromErin('a1', 'after the cut');
    await page.locator('.bubble', { hasText: 'after the cut' }).waitFor();
    await new Promise((resolve) => setTimeout(resolve, 700)); // time for any duplicate to show
    for (const text of ['before the cut', 'during the cut 1', 'during the cut 2', 'during the cut 3', 'after the cut',
      'sent as the network went', 'written while offline']) {
      expect(await bubbles(page, text), text).toBe(1);
    }
    expect(erinGot('written while offline')).toBe(1);
    expect(erinGot('sent as the network went')).toBe(1);
    await page.close();
  });

  it('starts afresh when the session expired (item-not-found) and catches up from the archive', async () => {
    const { page, sockets } = await openPanel();
    await until(() => sockets.matching('received', '<enabled').length === 1, 'stream management enabled');
    await fromErin('e1', 'before the expiry');
    await page.locator('.bubble', { hasText: 'before the expiry' }).waitFor();
    // the network stays down (WebSocket and BOSH) until the server's 2 s window is over
    await sockets.networkDown();
    await sockets.cut();
    await page.locator('[data-connection="reconnecting"], [data-connection="connecting"]').first().waitFor();
    await fromErin('x1', 'while the session expired');
    await until(() => server.server.sessionTable.resources(ALICE).length === 0, 'the hibernated session expired', 15_000);
    // the browser says the network is back, as it does after an outage (the panel retries at once)
    await sockets.networkBack();
    await page.locator('.panel[data-status="online"]').waitFor({ timeout: 30_000 });
    const since = sockets.count() - 1;
    expect(sockets.matching('received', '<failed ', since).some((frame) => frame.text.includes('item-not-found'))).toBe(true);
    expect(sockets.matching('sent', 'urn:ietf:params:xml:ns:xmpp-bind', since).length).toBe(1);
    await page.locator('.bubble', { hasText: 'while the session expired' }).waitFor();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await bubbles(page, 'while the session expired')).toBe(1);
    expect(await bubbles(page, 'before the expiry')).toBe(1);
    await page.close();
  });

  it('ends the session when the page goes away: a closed tab is not a network blip', async () => {
    // no routed WebSocket here: the route would drop the last frames of a page being unloaded
    const page = await browser.newPage();
    await signIn(page, `http://127.0.0.1:${server.ports.http}/`, ALICE, 'alice-secret');
    await until(() => server.server.sessionTable.resources(ALICE).length === 1, 'one session');
    await page.goto('about:blank');
    // with resumption on, a socket gone without <close/> would leave the session waiting (hibernated)
    let hibernated = false;
    await until(() => {
      const entries = server.server.sessionTable.resources(ALICE);
      hibernated ||= entries.some((entry) => entry.hibernatedUntil !== null);
      return entries.length === 0;
    }, 'the session ended');
    expect(hibernated).toBe(false);
    await page.close();
  });

  it('says inactive while the tab is hidden and active when it shows again (XEP-0352)', async () => {
    const { page, sockets } = await openPanel();
    const inactive = () => server.server.sessionTable.resources(ALICE).some((entry) => entry.interests.has('csi-inactive'));
    const setHidden = (hidden: boolean) => page.evaluate((value) => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => value });
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (value ? 'hidden' : 'visible') });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
    expect(inactive()).toBe(false);
    await setHidden(true);
    await until(inactive, 'the session marked inactive');
    expect(sockets.matching('sent', /<inactive xmlns=["']urn:xmpp:csi:0/).length).toBe(1);
    await setHidden(false);
    await until(() => !inactive(), 'the session active again');
    await page.close();
  });
});

describe('stream management when the panel cannot keep up', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let erin: LoggedInClient;

  beforeAll(async () => {
    server = await startServer({
      users: { [ALICE]: 'alice-secret', [ERIN]: 'erin-secret' },
      // the floor: a session may keep 10 stanzas unacknowledged
      config: { http: { webClientDir }, modules: { 'stream-management': { maxUnacknowledged: 10 } } },
    });
    browser = await launchBrowser();
    erin = await login(server, ERIN, 'erin-secret');
  });

  afterAll(async () => {
    await erin?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('goes on without stream management after the server ended the session for lagging acks', async () => {
    const page = await browser.newPage();
    const sockets = await watchedWebSockets(page);
    await signIn(page, `http://127.0.0.1:${server.ports.http}/`, ALICE, 'alice-secret');
    // the panel's acks never reach the server, as when a busy page falls behind a flood
    sockets.dropSent(/<a xmlns="urn:xmpp:sm:3"/);
    for (let i = 1; i <= 20; i++) await erin.xmpp.send(xml('message', { to: ALICE, type: 'chat', id: `f${i}` }, xml('body', null, `flood ${i}`)));
    await until(() => sockets.matching('received', 'resource-constraint').length === 1, 'the server ending the session');
    sockets.dropSent(null);
    await until(() => sockets.count() === 2, 'a new connection');
    await page.locator('.panel[data-status="online"]').waitFor({ timeout: 20_000 });
    // a fresh session, without <enable/> this time, and nothing lost or doubled on the way
    expect(sockets.matching('sent', '<resume ', 1)).toEqual([]);
    expect(sockets.matching('sent', '<enable xmlns="urn:xmpp:sm:3"', 1)).toEqual([]);
    await page.locator('button[data-peer="erin@example.com"]').click();
    await page.locator('.bubble', { hasText: 'flood 20' }).waitFor();
    await page.waitForTimeout(500);
    for (let i = 1; i <= 20; i++) expect(await page.locator('.bubble', { hasText: new RegExp(`^flood ${i}\\b`) }).count(), `flood ${i}`).toBe(1);
    await page.close();
  });

  it('goes on without stream management when a resumption is refused before the session could have expired', async () => {
    // A server of its own with a long resumption window: with the file's 2 s one, the cut, the wait
    // for the session to hibernate and the panel's reconnection all had to fit in it (the panel tries
    // to resume only within the window, less a second), and on a busy machine they did not.
    const own = await startServer({
      users: { [ALICE]: 'alice-secret' },
      config: { http: { webClientDir }, modules: { 'stream-management': { resumptionTimeoutSeconds: 60, maxResumptionTimeoutSeconds: 60 } } },
    });
    const page = await browser.newPage();
    try {
      const sockets = await watchedWebSockets(page);
      await signIn(page, `http://127.0.0.1:${own.ports.http}/`, ALICE, 'alice-secret');
      await until(() => sockets.matching('received', '<enabled').length === 1, 'stream management enabled');
      // the connection goes, and the server ends the waiting session itself (its stream error lost on the way)
      await sockets.networkDown();
      await sockets.cut();
      await until(() => own.server.sessionTable.resources(ALICE).some((entry) => entry.hibernatedUntil !== null), 'the session waiting');
      for (const session of own.server.sessions.all()) if (session.jid.bare === ALICE) session.close();
      await sockets.networkBack();
      await page.locator('.panel[data-status="online"]').waitFor({ timeout: 20_000 });
      const since = sockets.count() - 1;
      expect(sockets.matching('received', 'item-not-found', since).length).toBe(1);
      expect(sockets.matching('sent', '<enable xmlns="urn:xmpp:sm:3"', since)).toEqual([]);
    } finally {
      await page.close();
      await own.stop();
    }
  });
});

