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
import { expectShownInOrder } from '../helpers/panel-log.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const ALICE = 'alice@example.com';
const ERIN = 'erin@example.com';
const FRANK = 'frank@example.com';
/** Unacknowledged stanzas a session may keep: room for signing in, not for the burst. */
const MAX_UNACKNOWLEDGED = 50;
/** Far more than that, than a history page (30) and than the offline queue (5) holds. */
const BURST = 150;

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
    await sockets.networkDown();
    for (let i = 1; i <= BURST; i++) await say(erin, `burst ${i} of ${BURST}`);
    await until(() => sockets.matching('received', 'resource-constraint').length === 1, 'the server ending the session');
    await say(frank, 'frank during the gap');
    await until(async () => (await server.server.storage.offline.list(ALICE)).length === 5, 'a full offline queue');
    sockets.dropSent(null);
    await sockets.networkBack();
    await page.locator('.panel[data-status="online"]').waitFor({ timeout: 20_000 });
    // a fresh session: not resumed (the server ended the old one)
    expect(sockets.matching('sent', '<resume ', 1)).toEqual([]);
    await say(erin, 'erin after the gap');
    await page.locator('.bubble', { hasText: 'erin after the gap' }).waitFor();

    const expected = ['erin before the gap', ...Array.from({ length: BURST }, (_, i) => `burst ${i + 1} of ${BURST}`), 'erin after the gap'];
    await expectShownInOrder(page, expected);

    await page.getByRole('tab', { name: /Chats/ }).click();
    await page.locator(`button[data-peer="${FRANK}"]`, { hasText: 'frank during the gap' }).waitFor();
    await page.close();
  });
});

// The same catch-up when a message comes while the new session starts, before the panel has asked
// the archive: here one to the panel's own resource (RFC 6121 §8.5.3.1 delivers it before initial
// presence), as a carbon (XEP-0280) or a slow sender's tail would. The catch-up starts from the
// newest message the panel had before that session, not from this newer one, which would skip
// what the old session missed.
describe('a message that comes while the new session starts', () => {
  const MISSED = 12;
  let server: TestServer;
  let browser: TestBrowser;
  let frank: LoggedInClient;

  beforeAll(async () => {
    server = await startServer({
      users: { [ALICE]: 'alice-secret', [FRANK]: 'frank-secret' },
      config: { http: { webClientDir }, limits: { offlineMessages: 5 } },
    });
    await seedRoster(server, ALICE, [{ jid: FRANK, name: 'Frank' }]);
    browser = await launchBrowser();
    frank = await login(server, FRANK, 'frank-secret');
  });

  afterAll(async () => {
    await frank?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('catches up from the newest message of the old session', async () => {
    const page = await browser.newPage({ width: 1280, height: 800 });
    const sockets = await watchedWebSockets(page);
    await signIn(page, `http://127.0.0.1:${server.ports.http}/`, ALICE, 'alice-secret');
    await until(() => sockets.matching('received', '<enabled').length === 1, 'stream management enabled');
    await page.locator(`[data-jid="${FRANK}"] button.main`).click();
    await frank.xmpp.send(xml('message', { to: ALICE, type: 'chat' }, xml('body', null, 'before the cut')));
    await page.locator('.bubble', { hasText: 'before the cut' }).waitFor();

    // The network goes and the server ends the session that waited for it: what Frank writes
    // meanwhile is archived, and stored offline until the queue (5) is full, then bounced
    await sockets.networkDown();
    await sockets.cut();
    await until(() => server.server.sessionTable.resources(ALICE).some((entry) => entry.hibernatedUntil !== null), 'the session waiting');
    for (const session of server.server.sessions.all()) if (session.jid.bare === ALICE) session.close();
    await until(() => server.server.sessionTable.resources(ALICE).length === 0, 'the session ended');
    for (let i = 1; i <= MISSED; i++) await frank.xmpp.send(xml('message', { to: ALICE, type: 'chat', id: `missed-${i}` }, xml('body', null, `missed ${i} of ${MISSED}`)));
    // each in offline storage or bounced off it (the queue also has what the old session left unacknowledged), and archived first
    const handled = async () => {
      const stored = (await server.server.storage.offline.list(ALICE)).map((message) => message.stanza).join('');
      const bounced = frank.received.filter((stanza) => stanza.attrs.type === 'error').map((stanza) => stanza.attrs.id);
      return Array.from({ length: MISSED }, (_, i) => `missed-${i + 1}`).every((id) => bounced.includes(id) || stored.includes(`id="${id}"`));
    };
    await until(handled, 'every missed message stored offline or bounced');

    // The next session is bound, and the answers to what the panel asks then are slow to come
    // (roster, own vCard, carbons): meanwhile Frank writes to the new resource
    const next = sockets.count();
    sockets.holdReceived((frame) => frame.socket >= next && frame.text.startsWith('<iq') && !frame.text.includes('urn:ietf:params:xml:ns:xmpp-bind'));
    await sockets.networkBack();
    await until(() => sockets.matching('received', '<jid>', next).length > 0, 'the new session bound', 20_000);
    const resource = /<jid>([^<]+)<\/jid>/.exec(sockets.matching('received', '<jid>', next)[0]!.text)![1]!;
    await frank.xmpp.send(xml('message', { to: resource, type: 'chat' }, xml('body', null, 'while the session starts')));
    await page.locator('.bubble', { hasText: 'while the session starts' }).waitFor();
    sockets.holdReceived(null);

    const expected = ['before the cut', ...Array.from({ length: MISSED }, (_, i) => `missed ${i + 1} of ${MISSED}`), 'while the session starts'];
    await expectShownInOrder(page, expected);
    await page.close();
  });
});
