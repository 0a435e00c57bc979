// The panel by keyboard alone: focus has a place after sign-in, opening a chat puts it in the
// composer, lists move with arrow keys, the menu opens onto its first item, moves with arrows
// and closes with Escape back onto its button; a conversation's bubbles are one Tab stop, moved
// with arrow keys, and Tab reaches the focused message's actions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/browser.ts';
import { baseUrl, seedRoster, startPanelServer } from '../helpers/panel.ts';
import type { TestServer } from '../helpers/server.ts';

const focused = (page: Page) => page.evaluate(() => {
  const el = document.activeElement;
  const name = el?.getAttribute('aria-label') ?? (el?.tagName === 'BUTTON' ? el.textContent?.replace(/\s+/g, ' ').trim() : '');
  return el ? `${el.tagName.toLowerCase()}${name ? ` "${name}"` : ''}${el.getAttribute('role') ? ` [${el.getAttribute('role')}]` : ''}` : 'none';
});

describe('keyboard', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let bob: LoggedInClient;

  beforeAll(async () => {
    const users: Record<string, string> = { 'alice@example.com': 'alice-secret', 'bob@example.com': 'pw' };
    server = await startPanelServer(users);
    await seedRoster(server, 'alice@example.com', Array.from({ length: 10 }, (_, i) => ({ jid: i === 0 ? 'bob@example.com' : `c${i}@example.com`, name: i === 0 ? 'Bob' : `Contact ${i}` })));
    browser = await launchBrowser();
    bob = await login(server, 'bob@example.com', 'pw');
  });

  afterAll(async () => {
    await bob?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('gives focus a place after sign-in and puts it in the composer when a chat opens', async () => {
    const page = await browser.newPage();
    await signIn(page, baseUrl(server), 'alice@example.com', 'alice-secret');
    await page.locator('[data-jid="bob@example.com"]').getByRole('img', { name: 'Available' }).waitFor();
    expect(await focused(page)).not.toBe('body');
    // Tab into the list (one stop), Enter opens Bob (online, first): the composer has focus.
    await page.getByRole('searchbox', { name: 'Search contacts' }).focus();
    await page.keyboard.press('Tab'); // the add button
    await page.keyboard.press('Tab'); // the list: its group header first
    expect(await page.evaluate(() => document.activeElement?.closest('[data-row]')?.getAttribute('data-row'))).toBe('group:');
    await page.keyboard.press('ArrowDown');
    expect(await focused(page)).toContain('Bob');
    await page.keyboard.press('ArrowDown');
    expect(await focused(page)).toContain('Contact');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    expect(await focused(page)).toContain('textarea');
    await page.keyboard.type('hello');
    const arrived = bob.next((s) => s.is('message') && s.getChildText('body') === 'hello');
    await page.keyboard.press('Enter');
    await arrived;
  });

  it('runs the menu with arrows and Escape', async () => {
    const page = await browser.newPage();
    await signIn(page, baseUrl(server), 'alice@example.com', 'alice-secret');
    const menuButton = page.getByRole('button', { name: 'Menu' });
    await menuButton.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('menu').waitFor();
    expect(await focused(page)).toContain('[menuitemcheckbox]');
    await page.keyboard.press('ArrowDown');
    expect(await focused(page)).toContain('Sound');
    await page.keyboard.press('End');
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Sign out');
    await page.keyboard.press('ArrowDown'); // wraps to the first
    expect(await focused(page)).toContain('[menuitemcheckbox]');
    await page.keyboard.press('Escape');
    await page.getByRole('menu').waitFor({ state: 'detached' });
    expect(await focused(page)).toContain('"Menu"');
  });

  it('moves through the chats list with arrows', async () => {
    const page = await browser.newPage();
    await signIn(page, baseUrl(server), 'alice@example.com', 'alice-secret');
    await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat' }, xml('body', null, 'ping')));
    await page.getByRole('tab', { name: /Chats/ }).locator('.badge').waitFor();
    await page.getByRole('tab', { name: /Contacts/ }).click();
    await page.locator('[data-jid="c1@example.com"] button.main').click();
    await page.getByRole('tab', { name: /Chats/ }).click();
    await page.locator('[data-peer="bob@example.com"]').waitFor();
    await page.getByRole('tab', { name: /Chats/ }).focus();
    await page.keyboard.press('Tab'); // the list's one Tab stop
    await page.keyboard.press('Home');
    const first = await focused(page);
    await page.keyboard.press('ArrowDown');
    const second = await focused(page);
    expect([first, second].sort().join(' / ')).toMatch(/Bob.* \/ .*Contact 1/);
    await page.keyboard.press('Enter');
    expect(await focused(page)).toContain('textarea');
  });

  it('reaches a message\'s actions: the bubbles are one Tab stop, arrows move between them', async () => {
    const page = await browser.newPage();
    await signIn(page, baseUrl(server), 'alice@example.com', 'alice-secret');
    await page.getByRole('tab', { name: /Contacts/ }).click();
    await page.locator('[data-jid="bob@example.com"] button.main').click();
    for (const body of ['first from Bob', 'second from Bob', 'third from Bob']) {
      await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat' }, xml('body', null, body)));
    }
    await page.locator('.bubble', { hasText: 'third from Bob' }).waitFor();
    const bubble = () => page.evaluate(() => (document.activeElement?.classList.contains('bubble') ? document.activeElement.querySelector('.body')?.textContent : null));
    await page.getByRole('log').focus();
    await page.keyboard.press('Tab'); // the newest message
    expect(await bubble()).toBe('third from Bob');
    await page.keyboard.press('ArrowUp');
    expect(await bubble()).toBe('second from Bob');
    await page.keyboard.press('Tab'); // into its actions
    expect(await focused(page)).toBe('button "Reply"');
    for (const reaction of ['👍', '❤️', '😂']) {
      await page.keyboard.press('Tab');
      expect(await focused(page)).toBe(`button "React with ${reaction}"`);
    }
    await page.keyboard.press('Tab'); // out of the conversation: no other bubble on the way
    expect(await page.evaluate(() => document.activeElement?.closest('[role="log"]'))).toBeNull();
    await page.keyboard.press('Shift+Tab'); // back onto the message chosen
    expect(await bubble()).toBe('second from Bob');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Replying to Bob' }).filter({ hasText: 'second from Bob' }).waitFor();
  });
});

