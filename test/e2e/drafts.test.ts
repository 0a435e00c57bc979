// What is being typed survives what happens around it: the peer's presence and profile changing,
// the connection dropping and coming back; the draft is then sent as written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/browser.ts';
import { baseUrl, cuttableWebSockets, seedRoster, startPanelServer } from '../helpers/panel.ts';
import type { TestServer } from '../helpers/server.ts';

describe('drafts', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let bob: LoggedInClient;

  beforeAll(async () => {
    server = await startPanelServer({ 'alice@example.com': 'alice-secret', 'bob@example.com': 'bob-secret' });
    await seedRoster(server, 'alice@example.com', [{ jid: 'bob@example.com', name: 'Bob' }]);
    browser = await launchBrowser();
    bob = await login(server, 'bob@example.com', 'bob-secret');
  });

  afterAll(async () => {
    await bob?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('keeps the draft through presence and profile changes and a lost connection, then sends it', async () => {
    const alice = await browser.newPage();
    const sockets = await cuttableWebSockets(alice);
    await signIn(alice, baseUrl(server), 'alice@example.com', 'alice-secret');
    const row = alice.locator('[data-jid="bob@example.com"]');
    await row.getByRole('img', { name: 'Available' }).waitFor();
    await row.locator('button.main').click();
    const composer = alice.getByLabel('Message Bob');
    await composer.pressSequentially('half a sentence');

    await bob.xmpp.send(xml('presence', null, xml('show', null, 'away'), xml('status', null, 'Lunch')));
    await row.getByText('Lunch').waitFor();
    expect(await composer.inputValue()).toBe('half a sentence');

    // A new avatar hash (XEP-0153): the panel fetches Bob's new vCard.
    await bob.xmpp.iqCaller.set(xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', null, 'Robert')));
    await bob.xmpp.send(xml('presence', null, xml('x', { xmlns: 'vcard-temp:x:update' }, xml('photo', null, 'da39a3ee5e6b4b0d3255bfef95601890afd80709'))));
    await row.getByRole('img', { name: 'Available' }).waitFor();
    expect(await composer.inputValue()).toBe('half a sentence');

    await sockets.cut();
    await alice.locator('.panel[data-status="reconnecting"], .panel[data-status="connecting"]').first().waitFor();
    expect(await composer.inputValue()).toBe('half a sentence');
    await composer.pressSequentially(', finished offline');
    await alice.locator('.panel[data-status="online"]').waitFor({ timeout: 15_000 });
    expect(await composer.inputValue()).toBe('half a sentence, finished offline');

    const arrived = bob.next((s) => s.is('message') && s.getChildText('body') !== null);
    await composer.press('Enter');
    expect((await arrived).getChildText('body')).toBe('half a sentence, finished offline');
    expect(await composer.inputValue()).toBe('');
  });
});
