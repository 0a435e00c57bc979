// No WebSocket endpoint where the panel looks for one (as behind a proxy that refuses upgrades):
// the panel signs in over BOSH (XEP-0124/0206) instead and chats as usual.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.ts';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, signIn, webClientDir, type TestBrowser } from '../helpers/browser.ts';

describe('BOSH fallback', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let dave: LoggedInClient;

  beforeAll(async () => {
    server = await startServer({
      users: { 'alice@example.com': 'alice-secret', 'dave@example.com': 'dave-secret' },
      // The panel asks for /xmpp-websocket; the server only answers WebSocket elsewhere.
      config: { http: { webClientDir, websocketPath: '/somewhere-else' } },
    });
    browser = await launchBrowser();
    dave = await login(server, 'dave@example.com', 'dave-secret');
  });

  afterAll(async () => {
    await dave?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('signs in over BOSH and chats both ways', async () => {
    const alice = await browser.newPage();
    await signIn(alice, `http://127.0.0.1:${server.ports.http}/`, 'alice@example.com', 'alice-secret');
    expect(await alice.locator('.panel').getAttribute('data-transport')).toBe('bosh');

    await dave.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat', id: 'b1' }, xml('body', null, 'Hello over BOSH')));
    await alice.locator('[data-peer="dave@example.com"]').click();
    await alice.locator('.bubble[data-direction="in"]', { hasText: 'Hello over BOSH' }).waitFor();

    const reply = dave.next((s) => s.is('message') && s.getChildText('body') === 'Long polling works');
    await alice.getByLabel('Message dave').fill('Long polling works');
    await alice.getByLabel('Message dave').press('Enter');
    const message = await reply;
    await dave.xmpp.send(xml('message', { to: message.attrs.from, id: 'ack' }, xml('received', { xmlns: 'urn:xmpp:receipts', id: message.attrs.id })));
    await alice.locator('.bubble[data-direction="out"][data-delivery="delivered"]').waitFor();
  });
});
