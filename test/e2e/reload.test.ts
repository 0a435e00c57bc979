// A reload keeps what the user had: the Chats list with each last message and unread count, and
// the drafts; the history itself comes back from the archive when a chat is opened.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/browser.ts';
import { baseUrl, seedRoster, startPanelServer } from '../helpers/panel.ts';
import type { TestServer } from '../helpers/server.ts';

describe('reload', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let bob: LoggedInClient;

  beforeAll(async () => {
    server = await startPanelServer({ 'alice@example.com': 'alice-secret', 'bob@example.com': 'pw', 'carol@example.com': 'pw' });
    await seedRoster(server, 'alice@example.com', [{ jid: 'bob@example.com', name: 'Bob' }, { jid: 'carol@example.com', name: 'Carol' }]);
    browser = await launchBrowser();
    bob = await login(server, 'bob@example.com', 'pw');
  });

  afterAll(async () => {
    await bob?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('shows the Chats list and drafts again after a reload and sign-in', async () => {
    const page = await browser.newPage();
    await signIn(page, baseUrl(server), 'alice@example.com', 'alice-secret');
    await page.locator('[data-jid="carol@example.com"] button.main').click();
    await page.getByLabel('Message Carol').pressSequentially('unfinished thought');
    await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat' }, xml('body', null, 'first')));
    await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat' }, xml('body', null, 'see you at 5')));
    await page.getByRole('tab', { name: /Chats/ }).locator('.badge', { hasText: '2' }).waitFor();
    await page.waitForTimeout(500); // the list is written shortly after it changes

    await page.reload();
    await signIn(page, baseUrl(server), 'alice@example.com', 'alice-secret');
    await page.getByRole('tab', { name: /Chats/ }).click();
    const bobChat = page.locator('[data-peer="bob@example.com"]');
    await bobChat.waitFor();
    expect(await bobChat.locator('.preview').textContent()).toContain('see you at 5');
    expect(await bobChat.locator('.badge').textContent()).toContain('2');
    await page.locator('[data-peer="carol@example.com"]').click();
    expect(await page.getByLabel('Message Carol').inputValue()).toBe('unfinished thought');
    await page.getByRole('tab', { name: /Chats/ }).click().catch(() => {}); // wide layout: the list is beside the chat
    await bobChat.click();
    await page.locator('.bubble', { hasText: 'see you at 5' }).waitFor();
    expect(await page.locator('.bubble', { hasText: 'first' }).count()).toBe(1);
  });
});
