// The tab the panel starts on: with messages waiting at sign-in (offline storage, RFC 6121 §8.5.2.1.1,
// and the XEP-0430 inbox's unread counts) it opens the Chats tab, once; a tab the user picked before
// those answers came stays picked (the inbox answers after the panel is shown, later on a slower store).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/browser.ts';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { baseUrl, seedRoster, startPanelServer } from '../helpers/panel.ts';
import { until, watchedWebSockets } from '../helpers/panel-sockets.ts';
import type { TestServer } from '../helpers/server.ts';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
/** Signs in for the second case: nothing of the first case's panel or inbox carries over. */
const DAVE = 'dave@example.com';

describe('the tab at sign-in', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let bob: LoggedInClient;

  beforeAll(async () => {
    server = await startPanelServer({ [ALICE]: 'alice-secret', [BOB]: 'bob-secret', [DAVE]: 'dave-secret' });
    await seedRoster(server, ALICE, [{ jid: BOB, name: 'Bob' }]);
    await seedRoster(server, DAVE, [{ jid: BOB, name: 'Bob' }]);
    browser = await launchBrowser();
    bob = await login(server, BOB, 'bob-secret');
  });

  afterAll(async () => {
    await bob?.stop();
    await browser?.close();
    await server?.stop();
  });

  /** A message from Bob while `to` has no session: offline storage keeps it for the next one. */
  async function waitingFor(to: string, body: string): Promise<void> {
    await bob.xmpp.send(xml('message', { to, type: 'chat' }, xml('body', null, body)));
    await until(async () => (await server.server.storage.offline.list(to)).some((m) => m.stanza.includes(body)), 'the message in offline storage');
  }

  const selected = async (page: import('playwright-core').Page, name: RegExp) =>
    (await page.getByRole('tab', { name }).getAttribute('aria-selected')) === 'true';

  it('opens the Chats tab when messages wait', async () => {
    await waitingFor(ALICE, 'while you were away');
    const page = await browser.newPage({ width: 1280, height: 800 });
    await signIn(page, baseUrl(server), ALICE, 'alice-secret');
    await page.locator(`button[data-peer="${BOB}"]`, { hasText: 'while you were away' }).waitFor();
    expect(await selected(page, /Chats/)).toBe(true);
    await page.close();
  });

  it('keeps the tab the user picked before the unread messages came', async () => {
    await waitingFor(DAVE, 'another one');
    const page = await browser.newPage({ width: 1280, height: 800 });
    const sockets = await watchedWebSockets(page);
    // the inbox's answer and the offline message come late
    sockets.holdReceived((frame) => frame.text.includes('urn:xmpp:inbox:1') || frame.text.includes('another one'));
    await signIn(page, baseUrl(server), DAVE, 'dave-secret');
    await page.getByRole('tab', { name: /Contacts/ }).click();
    await page.locator(`[data-jid="${BOB}"] button.main`).waitFor();
    sockets.holdReceived(null);
    // the Chats tab shows the unread count, and the Contacts tab stays (the switch, when it was
    // made, came a few frames after the count: watched for a second)
    await page.getByRole('tab', { name: /Chats/ }).locator('.badge').waitFor();
    for (const deadline = Date.now() + 1000; Date.now() < deadline;) {
      expect(await selected(page, /Contacts/)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await page.close();
  });
});
