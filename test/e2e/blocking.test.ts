// XEP-0191 in the panel: a stranger's message offers Block and Report spam (XEP-0377); a contact
// is blocked from the chat header; the Blocked contacts list (settings) follows the server's
// pushes, so a block or unblock on one panel shows on the other at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { xml, type LoggedInClient, login } from '../helpers/clients.ts';
import { launchBrowser, signIn, webClientDir, type TestBrowser } from '../helpers/browser.ts';
import { seedRoster } from '../helpers/panel.ts';
import { until } from '../helpers/panel-sockets.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const ALICE = 'alice@example.com';
const ERIN = 'erin@example.com';
const MALLORY = 'mallory@example.com';

describe('blocking in the panel', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let mallory: LoggedInClient;
  let first: Page;
  let second: Page;

  beforeAll(async () => {
    server = await startServer({
      users: { [ALICE]: 'alice-secret', [ERIN]: 'erin-secret', [MALLORY]: 'mallory-secret' },
      config: { http: { webClientDir } },
      captureLogs: true,
    });
    await seedRoster(server, ALICE, [{ jid: ERIN, name: 'Erin' }]);
    browser = await launchBrowser();
    mallory = await login(server, MALLORY, 'mallory-secret');
    const base = `http://127.0.0.1:${server.ports.http}/`;
    first = await browser.newPage();
    second = await browser.newPage();
    await signIn(first, base, ALICE, 'alice-secret');
    await signIn(second, base, ALICE, 'alice-secret');
    // both panels asked for the list, so both get the pushes (§3.2)
    await until(() => server.server.sessionTable.resources(ALICE).filter((entry) => entry.interests.has('blocklist')).length === 2, 'both panels subscribed');
  });

  afterAll(async () => {
    await mallory?.stop();
    await browser?.close();
    await server?.stop();
  });

  const blockList = () => server.server.storage.blockLists.list(ALICE);
  const openBlockedList = async (page: Page) => {
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('menuitem', { name: 'Blocked contacts' }).click();
    return page.getByRole('dialog', { name: 'Blocked contacts' });
  };

  it('blocks a stranger from their message, with a spam report, and shows it on the other panel', async () => {
    await mallory.xmpp.send(xml('message', { to: ALICE, type: 'chat', id: 'spam-1' }, xml('body', null, 'cheap watches')));
    await first.locator(`button[data-peer="${MALLORY}"]`).click();
    await first.locator('.bubble', { hasText: 'cheap watches' }).waitFor();
    await first.getByText(/is not in your contacts\./).waitFor();
    await first.getByRole('button', { name: 'Report spam and block' }).click();
    await first.getByText(/^You blocked /).waitFor();
    expect(await first.getByRole('textbox', { name: /Message/ }).count()).toBe(0);
    expect(await blockList()).toEqual([MALLORY]);
    // XEP-0377: the report reached the admin's log
    expect(server.logs.filter((record) => record.event === 'abuse-report'))
      .toMatchObject([{ reporter: ALICE, reported: MALLORY, reason: 'urn:xmpp:reporting:spam' }]);

    // the other panel learns of it from the server's push
    const dialog = await openBlockedList(second);
    await dialog.locator(`[data-blocked="${MALLORY}"]`).waitFor();

    // what Mallory sends now never arrives
    await mallory.xmpp.send(xml('message', { to: ALICE, type: 'chat', id: 'spam-2' }, xml('body', null, 'more cheap watches')));
    await first.waitForTimeout(700);
    expect(await first.locator('.bubble', { hasText: 'more cheap watches' }).count()).toBe(0);
  });

  it('unblocks from the list on one panel; the chat on the other follows', async () => {
    const dialog = second.getByRole('dialog', { name: 'Blocked contacts' });
    await dialog.getByRole('button', { name: `Unblock ${MALLORY}` }).click();
    await dialog.getByText('You have not blocked anyone.').waitFor();
    await first.getByRole('textbox', { name: /Message/ }).waitFor();
    await first.getByRole('button', { name: 'Report spam and block' }).waitFor();
    expect(await blockList()).toEqual([]);
    await second.keyboard.press('Escape');
  });

  it('blocks and unblocks a contact from the chat header, by keyboard', async () => {
    await first.getByRole('tab', { name: /Contacts/ }).click();
    await first.locator(`[data-jid="${ERIN}"] button.main`).click();
    const block = first.getByRole('button', { name: 'Block Erin' });
    await block.focus();
    await first.keyboard.press('Enter');
    const unblock = first.getByRole('button', { name: 'Unblock Erin', exact: true });
    await unblock.waitFor();
    expect(await unblock.getAttribute('aria-pressed')).toBe('true');
    await until(async () => (await blockList()).includes(ERIN), 'Erin on the block list');
    const dialog = await openBlockedList(second);
    await dialog.locator(`[data-blocked="${ERIN}"]`).getByText('Erin', { exact: true }).waitFor();
    await second.keyboard.press('Escape');
    await unblock.focus();
    await first.keyboard.press('Enter');
    await first.getByRole('button', { name: 'Block Erin' }).waitFor();
    await until(async () => (await blockList()).length === 0, 'an empty block list');
  });
});
