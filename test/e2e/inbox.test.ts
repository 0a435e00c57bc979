// The Chats list at sign-in comes from the server's inbox (XEP-0430): on a second device, with
// nothing remembered locally, Alice sees her conversations with their last messages, and what
// she read on the first device is read there too (XEP-0333 markers in the archive).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/browser.ts';
import { baseUrl, seedRoster, startPanelServer } from '../helpers/panel.ts';
import type { TestServer } from '../helpers/server.ts';

describe('inbox across devices', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let bob: LoggedInClient;
  let carol: LoggedInClient;

  beforeAll(async () => {
    server = await startPanelServer({ 'alice@example.com': 'alice-secret', 'bob@example.com': 'pw', 'carol@example.com': 'pw' }, { archive: { enabled: true } });
    await seedRoster(server, 'alice@example.com', [{ jid: 'bob@example.com', name: 'Bob' }, { jid: 'carol@example.com', name: 'Carol' }]);
    browser = await launchBrowser();
    bob = await login(server, 'bob@example.com', 'pw');
    carol = await login(server, 'carol@example.com', 'pw');
  });

  afterAll(async () => {
    await Promise.all([bob?.stop(), carol?.stop()]);
    await browser?.close();
    await server?.stop();
  });

  it('shows the same Chats list, last messages and unread counts on a second device', async () => {
    const laptop = await browser.newPage();
    await signIn(laptop, baseUrl(server), 'alice@example.com', 'alice-secret');
    const say = (from: LoggedInClient, id: string, body: string) => from.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat', id },
      xml('body', null, body), xml('markable', { xmlns: 'urn:xmpp:chat-markers:0' })));
    await say(bob, 'b1', 'are you coming?');
    await say(bob, 'b2', 'we start at 3');
    await laptop.getByRole('tab', { name: /Chats/ }).click();
    // (Bob and Carol are two connections: wait for Bob's message before Carol sends, to know the order)
    await laptop.locator('[data-peer="bob@example.com"]', { hasText: 'we start at 3' }).waitFor();
    await say(carol, 'c1', 'new slides are up');
    await laptop.locator('[data-peer="carol@example.com"]').waitFor();
    const marker = bob.next((s) => s.is('message') && s.getChild('displayed', 'urn:xmpp:chat-markers:0')?.attrs.id === 'b2');
    await laptop.locator('[data-peer="bob@example.com"]').click(); // read on the laptop: a displayed marker goes out
    await laptop.locator('.bubble', { hasText: 'we start at 3' }).waitFor();
    await marker;

    const phone = await browser.newPage({ width: 360, height: 700 }); // another profile: nothing stored
    await signIn(phone, baseUrl(server), 'alice@example.com', 'alice-secret');
    await phone.getByRole('tab', { name: /Chats/ }).click();
    const bobChat = phone.locator('[data-peer="bob@example.com"]');
    const carolChat = phone.locator('[data-peer="carol@example.com"]');
    await carolChat.waitFor();
    expect(await carolChat.locator('.preview').textContent()).toContain('new slides are up');
    expect(await carolChat.locator('.badge').textContent()).toContain('1');
    expect(await bobChat.locator('.preview').textContent()).toContain('we start at 3');
    expect(await bobChat.locator('.badge').count()).toBe(0);
    // newest activity first
    expect(await phone.locator('[data-peer]').evaluateAll((items) => items.map((item) => item.getAttribute('data-peer')))).toEqual(['carol@example.com', 'bob@example.com']);
  });
});
