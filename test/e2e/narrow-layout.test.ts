// In a narrow webmail sidebar (< 640 px) the open chat is the whole panel: a lost connection
// shows there, and a peer's typing notice does not outlive the connection that carried it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/browser.ts';
import { baseUrl, cuttableWebSockets, seedRoster, startPanelServer } from '../helpers/panel.ts';
import type { TestServer } from '../helpers/server.ts';

describe('narrow layout', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let carol: LoggedInClient;

  beforeAll(async () => {
    server = await startPanelServer({ 'alice@example.com': 'alice-secret', 'carol@example.com': 'carol-secret' });
    await seedRoster(server, 'alice@example.com', [{ jid: 'carol@example.com', name: 'Carol' }]);
    browser = await launchBrowser();
    carol = await login(server, 'carol@example.com', 'carol-secret');
  });

  afterAll(async () => {
    await carol?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('shows the connection problem in the open chat and drops the typing notice', async () => {
    const alice = await browser.newPage({ width: 360, height: 640 });
    const sockets = await cuttableWebSockets(alice);
    await signIn(alice, baseUrl(server), 'alice@example.com', 'alice-secret');
    await alice.locator('[data-jid="carol@example.com"]').getByRole('img', { name: 'Available' }).waitFor();
    await alice.locator('[data-jid="carol@example.com"] button.main').click();
    await carol.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    const typing = alice.getByText('Carol is typing…');
    await typing.waitFor();

    await sockets.cut();
    const banner = alice.locator('[data-connection]').locator('visible=true');
    await banner.waitFor();
    expect(await alice.getByRole('textbox', { name: 'Message Carol' }).isVisible()).toBe(true);
    await typing.waitFor({ state: 'detached' });
    await alice.locator('.panel[data-status="online"]').waitFor({ timeout: 15_000 });
    await banner.waitFor({ state: 'detached' });
  });
});
