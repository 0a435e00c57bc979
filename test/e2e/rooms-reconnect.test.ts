// Rooms across a lost connection, and by keyboard: a new session is in no room (XEP-0045 occupancy
// belongs to the session), so the panel enters its rooms again once it is back online and the room's
// messages reach it again. The Rooms tab, a room and its composer are reached with the keyboard;
// leaving forgets the room on every device.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/browser.ts';
import { baseUrl, cuttableWebSockets, startPanelServer } from '../helpers/panel.ts';
import type { TestServer } from '../helpers/server.ts';
import { login, type LoggedInClient } from '../helpers/clients.ts';
import { groupchat, isGroupchat, join } from '../helpers/muc.ts';

const ROOM = 'lobby@conference.example.com';

describe('rooms after a reconnection, and by keyboard', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let page: Page;
  let carol: LoggedInClient | undefined;

  beforeAll(async () => {
    server = await startPanelServer({ 'alice@example.com': 'alice-secret', 'carol@example.com': 'carol-secret' });
    browser = await launchBrowser();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await carol?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('enters its rooms again after the connection came back, and gets their messages', async () => {
    const sockets = await cuttableWebSockets(page);
    await signIn(page, baseUrl(server), 'alice@example.com', 'alice-secret');
    await page.getByRole('tab', { name: /Rooms/ }).click();
    await page.getByRole('button', { name: 'New room' }).click();
    await page.getByLabel('Room name').fill('Lobby');
    await page.getByRole('button', { name: 'Create room' }).click();
    await page.locator(`[data-room="${ROOM}"][data-status="in"]`).waitFor();
    carol = await login(server, 'carol@example.com', 'carol-secret');
    await join(carol, ROOM, 'carol');

    await sockets.cut();
    // (the room may not see the old session go: when the new one enters first, one occupant has two
    // sessions for a moment, §7.2; what counts is that the new session is in the room)
    await page.locator('.panel[data-status="reconnecting"], .panel[data-status="connecting"]').first().waitFor();
    await page.locator('.panel[data-status="online"]').waitFor({ timeout: 20_000 });
    await page.locator(`[data-room="${ROOM}"][data-status="in"]`).waitFor({ timeout: 15_000 });
    await carol.xmpp.send(groupchat(ROOM, 'welcome back'));
    await page.locator('.bubble[data-nick="carol"]', { hasText: 'welcome back' }).waitFor({ timeout: 15_000 });
    // and Alice's messages reach the room
    const heard = carol.next(isGroupchat('thanks'), 15_000);
    await page.getByLabel('Message Lobby').fill('thanks');
    await page.getByLabel('Message Lobby').press('Enter');
    await heard;
  });

  it('reaches the Rooms tab, a room and its composer with the keyboard', async () => {
    await page.getByRole('tab', { name: /Chats/ }).click();
    await page.getByRole('tab', { name: /Chats/ }).focus();
    await page.keyboard.press('ArrowRight');
    const tab = page.getByRole('tab', { name: /Rooms/ });
    expect(await tab.getAttribute('aria-selected')).toBe('true');
    expect(await tab.evaluate((element) => element === document.activeElement)).toBe(true);
    await page.locator(`[data-room="${ROOM}"]`).waitFor();
    // Tab: New room, Join a room, then the list's one Tab stop
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.room)).toBe(ROOM);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.tagName === 'TEXTAREA');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe(`composer-${ROOM}`);
    // ArrowLeft from Rooms goes back to Chats, once more to Contacts (wrapping)
    await tab.focus();
    await page.keyboard.press('ArrowLeft');
    expect(await page.getByRole('tab', { name: /Chats/ }).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowLeft');
    expect(await page.getByRole('tab', { name: /Contacts/ }).getAttribute('aria-selected')).toBe('true');
  });

  it('leaving a room forgets it: gone from the list, and from the bookmarks (not back after a reload)', async () => {
    const left = carol!.next((s) => s.is('presence') && s.attrs.from === `${ROOM}/alice` && s.attrs.type === 'unavailable', 15_000);
    await page.locator(`[data-room-view="${ROOM}"]`).getByRole('button', { name: 'Leave the room' }).click();
    await left;
    await page.locator(`[data-room="${ROOM}"]`).waitFor({ state: 'detached' });
    await page.reload();
    await page.getByLabel('Address').fill('alice@example.com');
    await page.getByLabel('Password').fill('alice-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.panel[data-status="online"]').waitFor({ timeout: 10_000 });
    await page.getByRole('tab', { name: /Rooms/ }).click();
    await page.getByText('No rooms yet').waitFor();
  });
});
