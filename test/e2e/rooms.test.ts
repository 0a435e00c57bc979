// Group chat in the panel (XEP-0045 on conference.example.com): Alice (wide) creates a configured
// room, a slixmpp occupant enters and talks, Alice invites Bob (narrow), Bob accepts, scrolls
// back through the room's archive, is mentioned while the room is not on screen, Alice searches
// the room's archive, removes a message as moderator, kicks Sli and bans Bob; errors in words;
// the room comes back from the bookmarks after a reload; a suite group's room is in its members' lists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/browser.ts';
import { baseUrl, startPanelServer } from '../helpers/panel.ts';
import type { TestServer } from '../helpers/server.ts';
import { login, type LoggedInClient } from '../helpers/clients.ts';
import { iq, xml } from '../helpers/im.ts';
import { createRoom } from '../helpers/muc.ts';
import { startSlixmppOccupant, type SlixmppOccupant } from '../helpers/slixmpp-occupant.ts';
import { ADMIN_TOKEN, api } from '../helpers/suite.ts';

const ROOM = 'team-room@conference.example.com';
const SECRET_ROOM = 'vault@conference.example.com';

describe('rooms in the panel', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let alice: Page;
  let bob: Page;
  let sli: SlixmppOccupant | undefined;
  let carol: LoggedInClient | undefined;

  beforeAll(async () => {
    server = await startPanelServer({
      'alice@example.com': 'alice-secret', 'bob@example.com': 'bob-secret', 'sli@example.com': 'sli-secret', 'carol@example.com': 'carol-secret',
    }, { admin: { token: ADMIN_TOKEN } });
    browser = await launchBrowser();
    alice = await browser.newPage();
    bob = await browser.newPage({ width: 360, height: 700 });
    // desktop notifications as the browser would show them, recorded (permission granted)
    await bob.addInitScript(() => {
      const shown: { title: string; body?: string }[] = [];
      (window as unknown as { shownNotifications: typeof shown }).shownNotifications = shown;
      class RecordedNotification {
        static permission = 'granted';
        static requestPermission = async () => 'granted';
        onclick: (() => void) | null = null;
        constructor(title: string, options: { body?: string } = {}) { shown.push({ title, body: options.body }); }
        close() {}
      }
      (window as unknown as { Notification: unknown }).Notification = RecordedNotification;
    });
    await Promise.all([
      signIn(alice, baseUrl(server), 'alice@example.com', 'alice-secret'),
      signIn(bob, baseUrl(server), 'bob@example.com', 'bob-secret'),
    ]);
  });

  afterAll(async () => {
    await sli?.stop();
    await carol?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('Alice creates a configured room: its address from the name, persistent and members-only', async () => {
    await alice.getByRole('tab', { name: /Rooms/ }).click();
    await alice.getByText('No rooms yet').waitFor();
    await alice.getByRole('button', { name: 'New room' }).click();
    await alice.getByLabel('Room name').fill('Team Room');
    await alice.getByText(`Address: ${ROOM}`).waitFor();
    await alice.getByLabel('Choose the settings').check();
    await alice.getByLabel('Members only').check();
    await alice.getByRole('button', { name: 'Create room' }).click();
    await alice.locator(`[data-room-view="${ROOM}"]`).waitFor();
    await alice.locator(`[data-room="${ROOM}"][data-status="in"]`).waitFor();
    await alice.getByRole('button', { name: /(person|people) in the room/ }).click();
    const me = alice.locator('[data-occupant="alice"]');
    await me.getByText('Owner').waitFor();

    // what the service keeps: the configuration submitted, and the XEP-0402 bookmark with autojoin
    carol = await login(server, 'carol@example.com', 'carol-secret');
    const info = await iq(carol, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), ROOM);
    const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining(['muc_persistent', 'muc_membersonly', 'muc_public']));
  });

  it('Alice makes Sli a member; the slixmpp occupant enters and they talk both ways', async () => {
    // members-only: Alice invites Sli's address, which makes it a member (§9.3)
    await alice.getByRole('button', { name: 'Invite people' }).click();
    await alice.getByLabel('Or an address').fill('sli@example.com');
    await alice.getByRole('button', { name: 'Send invitations' }).click();
    sli = await startSlixmppOccupant(server.ports.c2s, 'sli@example.com', 'sli-secret');
    sli.send({ cmd: 'join', room: ROOM, nick: 'Sli' });
    await sli.waitFor((e) => e.event === 'joined');
    await alice.locator('[data-occupant="Sli"]').getByText('Member').waitFor();

    await alice.getByLabel('Message Team Room').fill('hello everyone');
    await alice.getByLabel('Message Team Room').press('Enter');
    const heard = await sli.waitFor((e) => e.event === 'message' && e.body === 'hello everyone');
    expect(heard.nick).toBe('alice');
    await alice.locator('.bubble[data-direction="out"][data-delivery="delivered"]', { hasText: 'hello everyone' }).waitFor();

    sli.send({ cmd: 'say', room: ROOM, body: 'hi from sli' });
    await alice.locator('.bubble[data-direction="in"][data-nick="Sli"]', { hasText: 'hi from sli' }).waitFor();
    await alice.locator('.group.in .sender', { hasText: 'Sli' }).first().waitFor();
  });

  it('Sli fills the room with 45 more messages (the history to scroll back through)', async () => {
    sli!.send({ cmd: 'say_many', room: ROOM, prefix: 'line', count: 45, interval: 0.12 });
    await sli!.waitFor((e) => e.event === 'sent' && e.count === 45, 30_000);
    await alice.locator('.bubble', { hasText: 'line 45' }).waitFor({ timeout: 15_000 });
  });

  it('Alice invites Bob; Bob accepts in his Rooms list and enters', async () => {
    await alice.getByRole('button', { name: 'Invite people' }).click();
    await alice.getByLabel('Or an address').fill('bob@example.com');
    await alice.getByLabel(/^Message/).last().fill('our team room');
    await alice.getByRole('button', { name: 'Send invitations' }).click();

    await bob.getByRole('tab', { name: /Rooms/ }).click();
    const invitation = bob.locator(`[data-invitation="${ROOM}"]`);
    await invitation.getByText('our team room').waitFor();
    await bob.getByRole('button', { name: `Accept the invitation to ${ROOM}` }).click();
    await bob.locator(`[data-room-view="${ROOM}"]`).waitFor();
    await alice.locator('[data-occupant="bob"]').waitFor();
    await expect(invitation.count()).resolves.toBe(0);
  });

  it('Alice, a moderator, changes the subject; Bob sees it and, as a participant of this room, may not change it (§8.1)', async () => {
    await alice.getByRole('button', { name: 'Change the subject' }).click();
    await alice.getByLabel('Subject').fill('Q3 planning');
    await alice.getByLabel('Subject').press('Enter');
    await alice.locator(`[data-room-view="${ROOM}"] .subject`, { hasText: 'Q3 planning' }).waitFor();
    await bob.locator(`[data-room-view="${ROOM}"] .subject`, { hasText: 'Q3 planning' }).waitFor();
    await expect(bob.getByRole('button', { name: 'Change the subject' }).count()).resolves.toBe(0);
  });

  it('Bob scrolls back through the room archive to its first message', async () => {
    const scroller = bob.locator(`[data-room-view="${ROOM}"] .scroller`);
    await bob.locator('.bubble', { hasText: 'line 45' }).waitFor();
    // the join's history and the archive's newest page hold the end; the beginning is older pages
    expect(await bob.locator('.bubble', { hasText: 'hello everyone' }).count()).toBe(0);
    for (let attempt = 0; attempt < 20; attempt++) {
      if (await bob.locator('.bubble', { hasText: 'hello everyone' }).count() > 0) break;
      await scroller.evaluate((element) => { element.scrollTop = 0; element.dispatchEvent(new Event('scroll')); });
      await bob.waitForTimeout(250);
    }
    await bob.locator('.bubble', { hasText: 'hello everyone' }).waitFor();
    await bob.locator('.bubble', { hasText: 'line 01' }).waitFor();
  });

  it('a mention of Bob while the room is not on screen: unread count, @ marker, title, notification; highlighted when read', async () => {
    await bob.getByRole('button', { name: 'Back to list' }).click();
    await bob.getByRole('button', { name: 'Menu' }).click();
    await bob.getByRole('menuitemcheckbox', { name: /Desktop notifications/ }).click();
    sli!.send({ cmd: 'say', room: ROOM, body: '@bob please look at the zebra report' });
    const row = bob.locator(`[data-room="${ROOM}"]`);
    await row.locator('.mention').waitFor();
    await bob.getByRole('tab', { name: /Rooms/ }).locator('.badge', { hasText: '1' }).waitFor();
    expect(await bob.title()).toMatch(/^\(1\) /);
    const notes = await bob.evaluate(() => (window as unknown as { shownNotifications: { title: string; body?: string }[] }).shownNotifications);
    expect(notes).toContainEqual({ title: 'Team Room', body: 'Sli: @bob please look at the zebra report' });
    // a message that does not name Bob counts as unread, without the marker
    await row.click();
    await bob.locator('.bubble.mention', { hasText: '@bob please look' }).waitFor();
    await bob.getByRole('button', { name: 'Back to list' }).click();
    await row.locator('.badge').waitFor({ state: 'detached' });
    await row.locator('.mention').waitFor({ state: 'detached' });
  });

  it('Alice searches the room archive (XEP-0431 at the room) and opens the result', async () => {
    await alice.getByRole('searchbox', { name: /Search messages/ }).fill('zebra');
    await alice.getByRole('group', { name: 'Search in' }).getByRole('button', { name: 'Team Room' }).click();
    const result = alice.locator(`.result[data-peer="${ROOM}"]`, { hasText: 'zebra report' });
    await result.waitFor();
    await expect(result.textContent()).resolves.toContain('Sli:');
    await result.click();
    await alice.locator('.bubble.flash', { hasText: 'zebra report' }).waitFor();
    await alice.getByRole('button', { name: 'Clear search' }).click();
  });

  it('Alice, a moderator, removes one of Sli\'s messages for everyone (XEP-0425)', async () => {
    const bubble = alice.locator('.bubble[data-nick="Sli"]', { hasText: 'hi from sli' });
    await bubble.hover();
    await bubble.getByRole('button', { name: 'Remove for everyone (moderator)' }).click();
    await alice.locator('.bubble.retracted[data-nick="Sli"]').waitFor();
    await expect(alice.locator('.bubble', { hasText: 'hi from sli' }).count()).resolves.toBe(0);
  });

  it('Alice kicks Sli and bans Bob; Bob is told in words and cannot enter again', async () => {
    await alice.getByRole('button', { name: 'Remove Sli from the room' }).click();
    await sli!.waitFor((e) => e.event === 'presence' && e.type === 'unavailable' && e.nick === 'Sli' && (e.codes ?? []).includes(307));
    await alice.locator('[data-occupant="Sli"]').waitFor({ state: 'detached' });

    await alice.getByRole('button', { name: 'Ban bob from the room' }).click();
    const row = bob.locator(`[data-room="${ROOM}"][data-status="failed"]`);
    await row.getByText(/banned you from this room/).waitFor();
    await alice.locator('[data-occupant="bob"]').waitFor({ state: 'detached' });
    await row.click();
    await bob.getByRole('button', { name: 'Enter the room' }).click();
    await bob.locator(`[data-room-view="${ROOM}"] .state`).getByText('You are banned from this room.').waitFor();
  });

  it('says in words when a room does not exist, when the nickname is taken, and asks for the password', async () => {
    await createRoom(carol!, SECRET_ROOM, 'carol', {
      'muc#roomconfig_passwordprotectedroom': true, 'muc#roomconfig_roomsecret': 'open sesame', 'muc#roomconfig_persistentroom': true,
    });
    await bob.getByRole('button', { name: 'Back to list' }).click();
    await bob.getByRole('button', { name: 'Join a room' }).click();
    const dialog = bob.getByRole('dialog');
    await dialog.getByLabel('Room address').fill('nowhere@conference.example.com');
    await dialog.getByRole('button', { name: 'Join', exact: true }).click();
    await dialog.getByText('This room does not exist. Check the address.').waitFor();

    // §7.2: the nickname is checked before the password
    await dialog.getByLabel('Room address').fill(SECRET_ROOM);
    await dialog.getByLabel('Your nickname').fill('carol');
    await dialog.getByRole('button', { name: 'Join', exact: true }).click();
    await dialog.getByText(/already uses this nickname/).waitFor();
    await dialog.getByLabel('Your nickname').fill('bob');
    await dialog.getByRole('button', { name: 'Join', exact: true }).click();
    await dialog.getByText('This room needs a password.').waitFor();
    await dialog.getByLabel('Room password').fill('wrong');
    await dialog.getByRole('button', { name: 'Join', exact: true }).click();
    await dialog.getByText('Wrong password for this room.').waitFor();
    await dialog.getByLabel('Room password').fill('open sesame');
    await dialog.getByRole('button', { name: 'Join', exact: true }).click();
    await bob.locator(`[data-room-view="${SECRET_ROOM}"]`).waitFor();
    await bob.locator(`[data-room-view="${SECRET_ROOM}"]`).getByRole('button', { name: /people in the room/ }).click();
    await bob.locator('[data-occupant="carol"]').waitFor();
  });

  it('after a reload, Alice is back in the room from her bookmarks (XEP-0402 autojoin)', async () => {
    await alice.reload();
    await alice.getByLabel('Address').fill('alice@example.com');
    await alice.getByLabel('Password').fill('alice-secret');
    await alice.getByRole('button', { name: 'Sign in' }).click();
    await alice.locator('.panel[data-status="online"]').waitFor({ timeout: 10_000 });
    await alice.getByRole('tab', { name: /Rooms/ }).click();
    await alice.locator(`[data-room="${ROOM}"][data-status="in"]`).getByText('Team Room').waitFor();
  });

  it('a suite group\'s room is in the Rooms list of its members (a bookmark the server gives), entered at sign-in', async () => {
    const staff = 'staff@conference.example.com';
    expect((await api(server, 'POST', 'groups', { name: 'staff' })).status).toBeLessThan(300);
    expect((await api(server, 'POST', 'groups/staff/members', { jid: 'bob@example.com' })).status).toBe(200);
    expect((await api(server, 'PUT', 'groups/staff/room', { room: staff })).status).toBe(200);
    await bob.reload();
    await bob.getByLabel('Address').fill('bob@example.com');
    await bob.getByLabel('Password').fill('bob-secret');
    await bob.getByRole('button', { name: 'Sign in' }).click();
    await bob.locator('.panel[data-status="online"]').waitFor({ timeout: 10_000 });
    await bob.getByRole('tab', { name: /Rooms/ }).click();
    await bob.locator(`[data-room="${staff}"][data-status="in"]`).getByText('staff').waitFor();
    // and the rooms kept before: the one Bob was banned from says so
    await bob.locator(`[data-room="${ROOM}"][data-status="failed"]`).getByText('You are banned from this room.').waitFor();
  });
});
