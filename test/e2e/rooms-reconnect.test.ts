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
import { startServer } from '../helpers/server.ts';
import { webClientDir } from '../helpers/browser.ts';
import { until, watchedWebSockets } from '../helpers/panel-sockets.ts';
import { expectShownInOrder } from '../helpers/panel-log.ts';

const ROOM = 'lobby@conference.example.com';

/** Alice creates the Lobby in the panel (an instant room) and is in it. */
async function createLobby(page: Page): Promise<void> {
  await page.getByRole('tab', { name: /Rooms/ }).click();
  await page.getByRole('button', { name: 'New room' }).click();
  await page.getByLabel('Room name').fill('Lobby');
  await page.getByRole('button', { name: 'Create room' }).click();
  await page.locator(`[data-room="${ROOM}"][data-status="in"]`).waitFor();
}

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
    await createLobby(page);
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

// A new session is in no room, and the room's history on entering (XEP-0045 §7.2.15: 20 messages
// here) and the newest page of its archive cover the last few messages only. What the old session
// missed before them comes from the room's archive (XEP-0313 at the room's JID), paged forward from
// the newest message the panel showed before the new session entered the room again.
describe('a room after a session that stream management gave up', () => {
  /** Unacknowledged stanzas a session may keep: room for signing in and entering, not for the burst. */
  const MAX_UNACKNOWLEDGED = 50;
  /** Far more than that, than the history on entering (20) and than an archive page (30). */
  const BURST = 120;
  let server: TestServer;
  let browser: TestBrowser;
  let carol: LoggedInClient | undefined;

  beforeAll(async () => {
    server = await startServer({
      users: { 'alice@example.com': 'alice-secret', 'carol@example.com': 'carol-secret' },
      // (Carol's burst within the room's flood control)
      config: { http: { webClientDir }, modules: { 'stream-management': { maxUnacknowledged: MAX_UNACKNOWLEDGED }, muc: { messageBurst: BURST + 10 } } },
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await carol?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('shows every message of the room once, in order', async () => {
    const page = await browser.newPage({ width: 1280, height: 800 });
    const sockets = await watchedWebSockets(page);
    await signIn(page, baseUrl(server), 'alice@example.com', 'alice-secret');
    await until(() => sockets.matching('received', '<enabled').length === 1, 'stream management enabled');
    await createLobby(page);
    carol = await login(server, 'carol@example.com', 'carol-secret');
    await join(carol, ROOM, 'carol');
    await carol.xmpp.send(groupchat(ROOM, 'before the gap'));
    await page.locator('.bubble[data-nick="carol"]', { hasText: 'before the gap' }).waitFor();

    // the panel's acks stop reaching the server, which ends the session past the limit; the network
    // stays down meanwhile, so the rest of the burst reaches the room's archive only
    const aliceLeft = carol.next((s) => s.is('presence') && s.attrs.from === `${ROOM}/alice` && s.attrs.type === 'unavailable', 30_000);
    sockets.dropSent(/<a xmlns="urn:xmpp:sm:3"/);
    await sockets.networkDown();
    for (let i = 1; i <= BURST; i++) await carol.xmpp.send(groupchat(ROOM, `burst ${i} of ${BURST}`));
    await until(() => sockets.matching('received', 'resource-constraint').length === 1, 'the server ending the session');
    await aliceLeft;
    sockets.dropSent(null);
    await sockets.networkBack();
    await page.locator('.panel[data-status="online"]').waitFor({ timeout: 20_000 });
    expect(sockets.matching('sent', '<resume ', 1)).toEqual([]); // a fresh session
    await page.locator(`[data-room="${ROOM}"][data-status="in"]`).waitFor({ timeout: 15_000 });
    await carol.xmpp.send(groupchat(ROOM, 'after the gap'));
    await page.locator('.bubble[data-nick="carol"]', { hasText: 'after the gap' }).waitFor();

    const expected = ['before the gap', ...Array.from({ length: BURST }, (_, i) => `burst ${i + 1} of ${BURST}`), 'after the gap'];
    await expectShownInOrder(page, expected);
    await page.close();
  });
});
