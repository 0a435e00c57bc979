// XEP-0280 in the panel: Alice has two panels open. What she sends on one shows on the other
// (a <sent/> carbon), what Erin sends to one of them shows on both (a <received/> carbon), each
// once — also after the archive's page of the same conversation is merged in (XEP-0313 ids).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { xml, type LoggedInClient, login } from '../helpers/clients.ts';
import { launchBrowser, signIn, webClientDir, type TestBrowser } from '../helpers/browser.ts';
import { seedRoster } from '../helpers/panel.ts';
import { until, watchedWebSockets, type WatchedSockets } from '../helpers/panel-sockets.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const ALICE = 'alice@example.com';
const ERIN = 'erin@example.com';

describe('carbons between two panels', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let erin: LoggedInClient;
  let first: Page;
  let second: Page;
  let secondSockets: WatchedSockets;

  beforeAll(async () => {
    server = await startServer({ users: { [ALICE]: 'alice-secret', [ERIN]: 'erin-secret' }, config: { http: { webClientDir } } });
    await seedRoster(server, ALICE, [{ jid: ERIN, name: 'Erin' }]);
    browser = await launchBrowser();
    erin = await login(server, ERIN, 'erin-secret');
    const base = `http://127.0.0.1:${server.ports.http}/`;
    first = await browser.newPage();
    second = await browser.newPage({ width: 360 });
    secondSockets = await watchedWebSockets(second);
    await signIn(first, base, ALICE, 'alice-secret');
    await signIn(second, base, ALICE, 'alice-secret');
    await until(() => server.server.sessionTable.resources(ALICE).filter((entry) => entry.interests.has('carbons')).length === 2,
      'both panels enabled carbons');
  });

  afterAll(async () => {
    await erin?.stop();
    await browser?.close();
    await server?.stop();
  });

  const bubbles = (page: Page, text: string) => page.locator('.bubble', { hasText: text }).count();
  const erinGot = (body: string) => erin.received.filter((s) => s.is('message') && s.getChildText('body') === body).length;

  it('shows on the second panel what Alice sends on the first, and what Erin sends to the first', async () => {
    await first.locator(`[data-jid="${ERIN}"] button.main`).click();
    await first.getByRole('textbox', { name: /Message/ }).fill('hello from the first panel');
    await first.getByRole('textbox', { name: /Message/ }).press('Enter');
    await until(() => erinGot('hello from the first panel') === 1, 'Erin gets the message');

    // Erin answers the resource that wrote to her (a full JID): the other panel gets a carbon
    const firstResource = erin.received.find((s) => s.is('message') && s.getChildText('body') === 'hello from the first panel')!.attrs.from as string;
    await erin.xmpp.send(xml('message', { to: firstResource, type: 'chat', id: 'answer-1' }, xml('body', null, 'answer to the first panel')));
    await first.locator('.bubble', { hasText: 'answer to the first panel' }).waitFor();

    // the second (narrow) panel lists the conversation as the copies came (its inbox was read at
    // sign-in, empty), with the last message as its preview
    await second.locator(`button[data-peer="${ERIN}"]`, { hasText: 'answer to the first panel' }).waitFor();
    expect(secondSockets.matching('sent', 'urn:xmpp:mam:2')).toEqual([]);
    await second.locator(`button[data-peer="${ERIN}"]`).click();
    await second.locator('.bubble', { hasText: 'hello from the first panel' }).waitFor();
    await second.locator('.bubble', { hasText: 'answer to the first panel' }).waitFor();
    expect(secondSockets.matching('received', '<sent xmlns="urn:xmpp:carbons:2"').length).toBeGreaterThanOrEqual(1);
    expect(secondSockets.matching('received', '<received xmlns="urn:xmpp:carbons:2"').length).toBeGreaterThanOrEqual(1);
    // opening it loaded the archive's page too: the same messages, merged, not doubled
    await until(() => secondSockets.matching('sent', 'urn:xmpp:mam:2').length > 0, 'the archive query');
    await second.waitForTimeout(700);
    expect(await bubbles(second, 'hello from the first panel')).toBe(1);
    expect(await bubbles(second, 'answer to the first panel')).toBe(1);
    expect(await second.locator('.out .bubble', { hasText: 'hello from the first panel' }).count()).toBe(1);
  });

  it('shows a reply written on the second panel on the first, once', async () => {
    await second.getByRole('textbox', { name: /Message/ }).fill('and from the second');
    await second.getByRole('textbox', { name: /Message/ }).press('Enter');
    await first.locator('.bubble', { hasText: 'and from the second' }).waitFor();
    await until(() => erinGot('and from the second') === 1, 'Erin gets the reply');
    await first.waitForTimeout(500);
    expect(await bubbles(first, 'and from the second')).toBe(1);
    expect(await bubbles(second, 'and from the second')).toBe(1);
    expect(erinGot('and from the second')).toBe(1);
  });
});
