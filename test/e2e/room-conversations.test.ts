// What people do inside a room in the panel, beyond messages to all (XEP-0045 on
// conference.example.com): Alice's phone (@xmpp/client) bookmarks rooms and her panel shows and
// enters them at once (XEP-0402 §3.4 notifications, autojoin); private messages with the slixmpp
// occupant and between the browser users where the room allows them (§7.5), with notifications;
// reactions by the room's stanza-id (XEP-0444 §4.1) and corrections by the message id (XEP-0308)
// both ways with slixmpp; voice requested from and given in the panel (§7.13, §8.6); a bookmark
// removed on the phone takes the room out of the list; axe over the new views, wide and light,
// narrow and dark.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/browser.ts';
import { baseUrl, startPanelServer } from '../helpers/panel.ts';
import type { TestServer } from '../helpers/server.ts';
import { login, type LoggedInClient } from '../helpers/clients.ts';
import { iq, received, xml } from '../helpers/im.ts';
import { createRoom } from '../helpers/muc.ts';
import { publish } from '../helpers/pep.ts';
import { startSlixmppOccupant, type SlixmppOccupant } from '../helpers/slixmpp-occupant.ts';
import { axeFindings, type AxeFinding } from '../helpers/axe.ts';

const ROOM = 'plaza@conference.example.com';
const QUIET = 'quiet@conference.example.com';
const STAGE = 'stage@conference.example.com';
const BOOKMARKS = 'urn:xmpp:bookmarks:1';
const BOOKMARK_OPTIONS = {
  'pubsub#persist_items': 'true', 'pubsub#max_items': 'max', 'pubsub#send_last_published_item': 'never', 'pubsub#access_model': 'whitelist',
};

/** The occupant list beside the room (the button toggles it; the room view keeps it open across rooms). */
async function showOccupants(page: Page): Promise<void> {
  const toggle = page.getByRole('button', { name: /(person|people) in the room/ });
  if (await toggle.getAttribute('aria-expanded') !== 'true') await toggle.click();
}

function bookmark(client: LoggedInClient, room: string, name: string, nick: string) {
  return publish(client, BOOKMARKS, xml('conference', { xmlns: BOOKMARKS, name, autojoin: 'true' }, xml('nick', {}, nick)),
    { id: room, publishOptions: BOOKMARK_OPTIONS });
}

describe('inside a room in the panel', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let alice: Page;
  let bob: Page;
  let sli: SlixmppOccupant | undefined;
  let carol: LoggedInClient | undefined;
  let alicePhone: LoggedInClient | undefined;
  const findings: AxeFinding[] = [];

  beforeAll(async () => {
    server = await startPanelServer({
      'alice@example.com': 'alice-secret', 'bob@example.com': 'bob-secret', 'sli@example.com': 'sli-secret', 'carol@example.com': 'carol-secret',
    });
    browser = await launchBrowser();
    alice = await browser.newPage();
    bob = await browser.newPage({ width: 360, height: 700, colorScheme: 'dark' }); // axe sees the dark colours here
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
    // Carol owns the rooms: one with the defaults (private messages for anyone), one without private messages
    carol = await login(server, 'carol@example.com', 'carol-secret');
    await createRoom(carol, ROOM, 'carol', { 'muc#roomconfig_roomname': 'Plaza' });
    await createRoom(carol, QUIET, 'carol', { 'muc#roomconfig_roomname': 'Quiet', 'muc#roomconfig_allowpm': 'none' });
    // a moderated room where Alice, an admin, moderates
    await createRoom(carol, STAGE, 'carol', { 'muc#roomconfig_roomname': 'Stage', 'muc#roomconfig_moderatedroom': true });
    await iq(carol, 'set', xml('query', { xmlns: 'http://jabber.org/protocol/muc#admin' }, xml('item', { jid: 'alice@example.com', affiliation: 'admin' })), STAGE);
    sli = await startSlixmppOccupant(server.ports.c2s, 'sli@example.com', 'sli-secret');
    sli.send({ cmd: 'join', room: ROOM, nick: 'Sli' });
    await sli.waitFor((e) => e.event === 'joined' && e.room === ROOM);
    await Promise.all([
      signIn(alice, baseUrl(server), 'alice@example.com', 'alice-secret'),
      signIn(bob, baseUrl(server), 'bob@example.com', 'bob-secret'),
    ]);
    alicePhone = await login(server, 'alice@example.com', 'alice-secret', { resource: 'phone' });
  });

  afterAll(async () => {
    await sli?.stop();
    await carol?.stop();
    await alicePhone?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('a room Alice bookmarks on her phone appears in her Rooms list at once, and she is in it (autojoin)', async () => {
    await alice.getByRole('tab', { name: /Rooms/ }).click();
    await alice.getByText('No rooms yet').waitFor();
    await bookmark(alicePhone!, ROOM, 'Plaza', 'alice');
    await alice.locator(`[data-room="${ROOM}"][data-status="in"]`).getByText('Plaza').waitFor({ timeout: 10_000 });
    await sli!.waitFor((e) => e.event === 'presence' && e.room === ROOM && e.nick === 'alice' && e.type !== 'unavailable');
    await bookmark(alicePhone!, QUIET, 'Quiet', 'alice');
    await alice.locator(`[data-room="${QUIET}"][data-status="in"]`).waitFor({ timeout: 10_000 });
  });

  it('Alice writes to Sli privately from the occupant list; Sli (slixmpp) answers; no private messages where the room forbids them', async () => {
    await alice.locator(`[data-room="${QUIET}"]`).click();
    await showOccupants(alice);
    await alice.locator('[data-occupant="carol"]').waitFor();
    await expect(alice.getByRole('button', { name: 'Message carol privately' }).count()).resolves.toBe(0);

    await alice.locator(`[data-room="${ROOM}"]`).click();
    await showOccupants(alice);
    await alice.locator('[data-occupant="Sli"]').waitFor();
    findings.push(...await axeFindings(alice, 'occupants with private messages, wide'));
    await alice.getByRole('button', { name: 'Message Sli privately' }).click();
    const view = alice.locator(`[data-private-view="${ROOM}/Sli"]`);
    await view.getByRole('heading', { name: 'Sli' }).waitFor();
    await view.getByText('Private conversation in Plaza').waitFor();
    await alice.getByLabel('Message Sli').fill('psst, Sli');
    await alice.getByLabel('Message Sli').press('Enter');
    const heard = await sli!.waitFor((e) => e.event === 'private' && e.body === 'psst, Sli');
    expect(heard).toMatchObject({ room: ROOM, nick: 'alice', muc_x: true });
    // not to the room
    expect(sli!.events.some((e) => e.event === 'message' && e.body === 'psst, Sli')).toBe(false);

    sli!.send({ cmd: 'say_private', to: `${ROOM}/alice`, body: 'hello privately' });
    await view.locator('.bubble[data-direction="in"]', { hasText: 'hello privately' }).waitFor();
    await alice.locator(`[data-private="${ROOM}/Sli"]`).getByText('Sli in Plaza').waitFor();
    findings.push(...await axeFindings(alice, 'private conversation, wide'));
  });

  it('Bob enters the room; Sli writes to him privately while he looks elsewhere: the conversation opens in his list, with a notification', async () => {
    await bob.getByRole('tab', { name: /Rooms/ }).click();
    await bob.getByRole('button', { name: 'Join a room' }).click();
    const dialog = bob.getByRole('dialog');
    await dialog.getByLabel('Room address').fill(ROOM);
    await dialog.getByLabel('Your nickname').fill('bob');
    await dialog.getByRole('button', { name: 'Join', exact: true }).click();
    await bob.locator(`[data-room-view="${ROOM}"]`).waitFor();
    await sli!.waitFor((e) => e.event === 'presence' && e.room === ROOM && e.nick === 'bob');
    await bob.getByRole('button', { name: 'Back to list' }).click();
    await bob.getByRole('button', { name: 'Menu' }).click();
    await bob.getByRole('menuitemcheckbox', { name: /Desktop notifications/ }).click();

    sli!.send({ cmd: 'say_private', to: `${ROOM}/bob`, body: 'a word in private' });
    const row = bob.locator(`[data-private="${ROOM}/Sli"]`);
    await row.locator('.badge', { hasText: '1' }).waitFor();
    await row.getByText('a word in private').waitFor();
    const notes = await bob.evaluate(() => (window as unknown as { shownNotifications: { title: string; body?: string }[] }).shownNotifications);
    expect(notes).toContainEqual({ title: 'Sli in Plaza', body: 'a word in private' });
    await row.click();
    const view = bob.locator(`[data-private-view="${ROOM}/Sli"]`);
    await view.locator('.bubble', { hasText: 'a word in private' }).waitFor();
    await bob.getByLabel('Message Sli').fill('thanks');
    await bob.getByLabel('Message Sli').press('Enter');
    await sli!.waitFor((e) => e.event === 'private' && e.nick === 'bob' && e.body === 'thanks');
    findings.push(...await axeFindings(bob, 'private conversation, narrow'));
    await bob.getByRole('button', { name: 'Back to list' }).click();
    await row.locator('.badge').waitFor({ state: 'detached' });
  });

  it('reactions name the room\'s stanza-id (XEP-0444 §4.1): Alice and Bob react to Sli\'s message, Sli sees it, each reaction counted once', async () => {
    sli!.send({ cmd: 'say', room: ROOM, body: 'lunch at noon?' });
    const original = await sli!.waitFor((e) => e.event === 'message' && e.body === 'lunch at noon?');
    expect(original.stanza_id).toBeTruthy();
    await alice.locator(`[data-room="${ROOM}"]`).click();
    const bubble = alice.locator('.bubble[data-nick="Sli"]', { hasText: 'lunch at noon?' });
    await bubble.hover();
    await bubble.getByRole('button', { name: 'React with 👍' }).click();
    const seen = await sli!.waitFor((e) => e.event === 'reactions' && e.nick === 'alice');
    expect(seen).toMatchObject({ target: original.stanza_id, reactions: ['👍'] });
    await bubble.getByRole('button', { name: '👍 1' }).waitFor();

    await bob.locator(`[data-room="${ROOM}"]`).click();
    const bobBubble = bob.locator('.bubble[data-nick="Sli"]', { hasText: 'lunch at noon?' });
    await bobBubble.getByRole('button', { name: '👍 1' }).waitFor();
    await bobBubble.getByRole('button', { name: '👍 1' }).click(); // the chip adds Bob's own
    await bobBubble.getByRole('button', { name: '👍 2', pressed: true }).waitFor();
    await bubble.getByRole('button', { name: '👍 2', pressed: true }).waitFor();
    await sli!.waitFor((e) => e.event === 'reactions' && e.nick === 'bob' && e.target === original.stanza_id);
    // Alice takes hers back: Bob's stays
    await bubble.getByRole('button', { name: '👍 2' }).click();
    await bubble.getByRole('button', { name: '👍 1', pressed: false }).waitFor();
    await bobBubble.getByRole('button', { name: '👍 1', pressed: true }).waitFor();
  });

  it('corrections name the message id (XEP-0308): Sli corrects his, Alice edits hers; everyone sees the new text, marked edited', async () => {
    sli!.send({ cmd: 'say', room: ROOM, body: 'teh meeting moved' });
    await alice.locator('.bubble[data-nick="Sli"]', { hasText: 'teh meeting moved' }).waitFor();
    sli!.send({ cmd: 'correct', room: ROOM, body: 'the meeting moved' });
    const corrected = alice.locator('.bubble[data-nick="Sli"]', { hasText: 'the meeting moved' });
    await corrected.getByText('edited').waitFor();
    await expect(alice.locator('.bubble', { hasText: 'teh meeting moved' }).count()).resolves.toBe(0);
    await bob.locator('.bubble[data-nick="Sli"]', { hasText: 'the meeting moved' }).getByText('edited').waitFor();

    const composer = alice.getByLabel('Message Plaza');
    await composer.fill('see you at 5');
    await composer.press('Enter');
    const sent = await sli!.waitFor((e) => e.event === 'message' && e.nick === 'alice' && e.body === 'see you at 5');
    const mine = alice.locator('.bubble[data-direction="out"]', { hasText: 'see you at 5' });
    await mine.hover();
    await mine.getByRole('button', { name: 'Edit' }).click();
    await alice.getByText('Editing your message').waitFor();
    findings.push(...await axeFindings(alice, 'room with reactions, editing'));
    await composer.fill('see you at 6');
    await composer.press('Enter');
    const correction = await sli!.waitFor((e) => e.event === 'message' && e.nick === 'alice' && e.body === 'see you at 6');
    expect(correction.replace).toBe(sent.id);
    await alice.locator('.bubble[data-direction="out"]', { hasText: 'see you at 6' }).getByText('edited').waitFor();
    await bob.locator('.bubble[data-nick="alice"]', { hasText: 'see you at 6' }).getByText('edited').waitFor();
    await expect(bob.locator('.bubble', { hasText: 'see you at 5' }).count()).resolves.toBe(0);
    findings.push(...await axeFindings(bob, 'room with reactions, narrow'));
  });

  it('in a moderated room Bob, a visitor, asks for voice (§7.13); Alice, a moderator, gives it (§8.6) and Bob writes', async () => {
    await bookmark(alicePhone!, STAGE, 'Stage', 'alice');
    await alice.locator(`[data-room="${STAGE}"][data-status="in"]`).click();
    await bob.getByRole('button', { name: 'Back to list' }).click();
    await bob.getByRole('button', { name: 'Join a room' }).click();
    const dialog = bob.getByRole('dialog');
    await dialog.getByLabel('Room address').fill(STAGE);
    await dialog.getByLabel('Your nickname').fill('bob');
    await dialog.getByRole('button', { name: 'Join', exact: true }).click();
    const stage = bob.locator(`[data-room-view="${STAGE}"]`);
    await stage.getByText('You can read this room; only people with voice write in it.').waitFor();
    // a visitor's composer does not send (§7.4: no voice)
    await bob.getByLabel('Message Stage').fill('may I?');
    await expect(stage.getByRole('button', { name: 'Send', exact: true }).isDisabled()).resolves.toBe(true);
    await stage.getByRole('button', { name: 'Ask for voice' }).click();
    await stage.getByText('You asked the moderators for voice.').waitFor();
    findings.push(...await axeFindings(bob, 'visitor, narrow'));

    const request = alice.locator(`[data-room-view="${STAGE}"] [data-voice-request="bob"]`);
    await request.getByText('bob asks for voice').waitFor();
    findings.push(...await axeFindings(alice, 'voice request, wide'));
    await request.getByRole('button', { name: 'Give voice to bob' }).click();
    await request.waitFor({ state: 'detached' });
    await stage.getByText('You asked the moderators for voice.').waitFor({ state: 'detached' });
    await bob.getByLabel('Message Stage').fill('thanks for the floor');
    await bob.getByLabel('Message Stage').press('Enter');
    await alice.locator('.bubble[data-nick="bob"]', { hasText: 'thanks for the floor' }).waitFor();
  });

  it('a bookmark removed on the phone takes the room out of Alice\'s list at once, and her out of the room', async () => {
    await iq(alicePhone!, 'set', xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' },
      xml('retract', { node: BOOKMARKS, notify: 'true' }, xml('item', { id: QUIET }))));
    await alice.locator(`[data-room="${QUIET}"]`).waitFor({ state: 'detached', timeout: 10_000 });
    await alice.locator(`[data-room="${ROOM}"]`).waitFor();
    await received(carol!, (s) => s.is('presence') && s.attrs.from === `${QUIET}/alice` && s.attrs.type === 'unavailable');
  });

  it('has no serious accessibility finding in these views', () => {
    expect(findings, JSON.stringify(findings, null, 1)).toEqual([]);
  });
});
