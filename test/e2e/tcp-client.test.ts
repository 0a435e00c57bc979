// A browser user and a desktop-style client (@xmpp/client over TCP + STARTTLS): offline messages
// arrive with their original time, both ways with receipts and typing notifications.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server.ts';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, signIn, webClientDir, type TestBrowser } from '../helpers/browser.ts';

describe('browser user with a TCP client', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let carol: LoggedInClient;
  let alice: Page;
  let sentOffline: Date;

  beforeAll(async () => {
    server = await startServer({
      users: { 'alice@example.com': 'alice-secret', 'carol@example.com': 'carol-secret' },
      config: { http: { webClientDir } },
    });
    browser = await launchBrowser();
    carol = await login(server, 'carol@example.com', 'carol-secret');
  });

  afterAll(async () => {
    await carol?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('Carol writes while Alice is offline; Alice sees it at its original time (XEP-0203)', async () => {
    sentOffline = new Date();
    await carol.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat', id: 'offline-1' }, xml('body', null, 'Are you there?')));
    await new Promise((resolve) => setTimeout(resolve, 1500));

    alice = await browser.newPage({ width: 320, height: 640 });
    await signIn(alice, `http://127.0.0.1:${server.ports.http}/`, 'alice@example.com', 'alice-secret');
    await alice.getByRole('tab', { name: /Chats/ }).locator('.badge', { hasText: '1' }).waitFor();
    await alice.locator('[data-peer="carol@example.com"]').click();
    const bubble = alice.locator('.bubble[data-direction="in"]', { hasText: 'Are you there?' });
    await bubble.getByLabel('delivered later').waitFor();
    const shown = new Date((await bubble.locator('time').getAttribute('datetime'))!);
    expect(Math.abs(shown.getTime() - sentOffline.getTime())).toBeLessThan(1500);
  });

  it('Carol and Alice chat both ways with receipts and typing', async () => {
    const receipt = carol.next((s) => s.is('message') && s.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 'live-1');
    await carol.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat', id: 'live-1' },
      xml('body', null, 'Lunch at 12? 🍜'), xml('request', { xmlns: 'urn:xmpp:receipts' })));
    await alice.locator('.bubble[data-direction="in"]', { hasText: 'Lunch at 12? 🍜' }).waitFor();
    await receipt;

    await carol.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    await alice.getByText('carol is typing…').waitFor();

    const reply = carol.next((s) => s.is('message') && s.getChildText('body') === 'Sounds good!');
    const composing = carol.next((s) => s.is('message') && s.getChild('composing', 'http://jabber.org/protocol/chatstates') !== undefined);
    await alice.getByLabel('Message carol').fill('Sounds good!');
    await composing;
    await alice.getByRole('button', { name: 'Send', exact: true }).click();
    const message = await reply;
    expect(message.getChild('request', 'urn:xmpp:receipts')).toBeDefined();
    expect(message.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id).toBe(message.attrs.id);

    // Carol acknowledges: Alice's message shows as delivered.
    await carol.xmpp.send(xml('message', { to: message.attrs.from, id: 'ack-1' }, xml('received', { xmlns: 'urn:xmpp:receipts', id: message.attrs.id })));
    await alice.locator('.bubble[data-direction="out"][data-delivery="delivered"]', { hasText: 'Sounds good!' }).waitFor();
  });
});
