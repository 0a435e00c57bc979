// RFC 6121 §3–§4 presence subscriptions and presence exchange, between real clients on TCP and WebSocket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import {
  bare, befriend, createUsers, dropConnection, expectNothing, getRoster, iq, isPresenceFrom, isRosterPush, itemFor, online,
  presence, pushedItem, received, rosterItem, sendPresence, stopAll, subscribeAndApprove, sync, type Element, receivedXml,
} from './helpers/im.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

/** A roster push for `contact` whose item matches the expected subscription state. */
const pushOf = (contact: string, subscription: string, ask?: string) => (s: Element) =>
  isRosterPush(contact)(s) && pushedItem(s).subscription === subscription && pushedItem(s).ask === ask;

describe('subscription handshake (§3.1)', () => {
  it('Alice subscribes to Bob, Bob approves, then Bob subscribes back: both end with subscription=both', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!, { roster: true });
    const bob = await online(server, bobJid!, { transport: 'websocket', roster: true, presence: { status: 'Writing tests' } });

    // Alice sends: <presence to='bob' type='subscribe'/>
    // Bob receives the request from Alice's bare JID; Alice's roster push shows ask='subscribe'.
    const request = bob.next(isPresenceFrom(aliceJid!, 'subscribe'));
    const pending = alice.next(pushOf(bobJid!, 'none', 'subscribe'));
    await alice.xmpp.send(presence({ to: bobJid, type: 'subscribe' }));
    expect((await request).attrs.from).toBe(aliceJid);
    await pending;

    // Bob sends: <presence to='alice' type='subscribed'/>
    // Alice's item becomes 'to', Bob's 'from'; Alice receives 'subscribed' and Bob's current presence.
    const aliceTo = alice.next(pushOf(bobJid!, 'to'));
    const bobFrom = bob.next(pushOf(aliceJid!, 'from'));
    const approved = alice.next(isPresenceFrom(bobJid!, 'subscribed'));
    const bobsPresence = alice.next((s) => s.is('presence') && s.attrs.from === bob.jid && s.attrs.type === undefined);
    await bob.xmpp.send(presence({ to: aliceJid, type: 'subscribed' }));
    await Promise.all([aliceTo, bobFrom, approved]);
    expect((await bobsPresence).getChildText('status')).toBe('Writing tests');

    // Bob subscribes back and Alice approves: mutual subscription.
    const aliceBoth = alice.next(pushOf(bobJid!, 'both'));
    const bobBoth = bob.next(pushOf(aliceJid!, 'both'));
    const backRequest = alice.next(isPresenceFrom(bobJid!, 'subscribe'));
    await bob.xmpp.send(presence({ to: aliceJid, type: 'subscribe' }));
    await backRequest;
    const alicesPresence = bob.next((s) => s.is('presence') && s.attrs.from === alice.jid && s.attrs.type === undefined);
    await alice.xmpp.send(presence({ to: bobJid, type: 'subscribed' }));
    await Promise.all([aliceBoth, bobBoth, alicesPresence]);

    expect(await itemFor(alice, bobJid!)).toMatchObject({ subscription: 'both' });
    expect((await itemFor(alice, bobJid!))!.ask).toBeUndefined();
    expect(await itemFor(bob, aliceJid!)).toMatchObject({ subscription: 'both' });
    await stopAll(alice, bob);
  });

  it('delivers a request to an offline contact at each of their next logins until answered (§3.1.3)', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!, { roster: true });
    const pending = alice.next(pushOf(bobJid!, 'none', 'subscribe'));
    await alice.xmpp.send(presence({ to: bobJid, type: 'subscribe' }));
    await pending;

    // Bob logs in later and receives the request after his initial presence.
    const bob = await online(server, bobJid!, { transport: 'websocket' });
    expect((await received(bob, isPresenceFrom(aliceJid!, 'subscribe'))).attrs.to).toBe(bobJid);
    await bob.stop();
    const bobAgain = await online(server, bobJid!);
    await received(bobAgain, isPresenceFrom(aliceJid!, 'subscribe'));

    const approved = alice.next(pushOf(bobJid!, 'to'));
    await bobAgain.xmpp.send(presence({ to: aliceJid, type: 'subscribed' }));
    await approved;
    await bobAgain.stop();

    // Answered: no longer shown at login.
    const bobLater = await online(server, bobJid!);
    await sync(bobLater);
    expect(receivedXml(bobLater, isPresenceFrom(aliceJid!, 'subscribe'))).toEqual([]);
    await stopAll(alice, bobLater);
  });

  it("answers a request to a local user that does not exist with 'unsubscribed' (§3.1.3)", async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const alice = await online(server, aliceJid!, { roster: true });
    const ghost = 'nobody-here@example.com';

    const refused = alice.next(isPresenceFrom(ghost, 'unsubscribed'));
    const cleared = alice.next(pushOf(ghost, 'none'));
    await alice.xmpp.send(presence({ to: ghost, type: 'subscribe' }));
    await Promise.all([refused, cleared]);
    expect(await itemFor(alice, ghost)).toEqual({ jid: ghost, subscription: 'none', groups: [] });
    await alice.stop();
  });
});

describe('ending subscriptions (§3.2, §3.3)', () => {
  it('unsubscribe: Alice stops receiving Bob\'s presence and gets his unavailable', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!, { roster: true });
    const bob = await online(server, bobJid!, { transport: 'websocket', roster: true });
    await befriend(alice, bob);

    const aliceFrom = alice.next(pushOf(bobJid!, 'from'));
    const bobTo = bob.next(pushOf(aliceJid!, 'to'));
    const told = bob.next(isPresenceFrom(aliceJid!, 'unsubscribe'));
    const gone = alice.next(isPresenceFrom(bob.jid, 'unavailable'));
    await alice.xmpp.send(presence({ to: bobJid, type: 'unsubscribe' }));
    await Promise.all([aliceFrom, bobTo, told, gone]);

    // Bob's presence no longer reaches Alice; Alice's still reaches Bob.
    const toBob = bob.next(isPresenceFrom(alice.jid));
    const since = alice.received.length;
    await sendPresence(bob, { status: 'anyone there?' });
    await sendPresence(alice, { status: 'still here' });
    await toBob;
    await expectNothing(alice, isPresenceFrom(bob.jid), { since });
    await stopAll(alice, bob);
  });

  it('unsubscribed: Bob cancels Alice\'s subscription to him', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!, { transport: 'websocket', roster: true });
    const bob = await online(server, bobJid!, { roster: true });
    await befriend(alice, bob);

    const aliceFrom = alice.next(pushOf(bobJid!, 'from'));
    const bobTo = bob.next(pushOf(aliceJid!, 'to'));
    const cancelled = alice.next(isPresenceFrom(bobJid!, 'unsubscribed'));
    const gone = alice.next(isPresenceFrom(bob.jid, 'unavailable'));
    await bob.xmpp.send(presence({ to: aliceJid, type: 'unsubscribed' }));
    await Promise.all([aliceFrom, bobTo, cancelled, gone]);
    await stopAll(alice, bob);
  });

  it('unsubscribed: Bob denies a pending request, which is then forgotten', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!, { roster: true });
    const bob = await online(server, bobJid!, { transport: 'websocket' });

    const request = bob.next(isPresenceFrom(aliceJid!, 'subscribe'));
    await alice.xmpp.send(presence({ to: bobJid, type: 'subscribe' }));
    await request;
    const denied = alice.next(isPresenceFrom(bobJid!, 'unsubscribed'));
    const noAsk = alice.next(pushOf(bobJid!, 'none'));
    await bob.xmpp.send(presence({ to: aliceJid, type: 'unsubscribed' }));
    await Promise.all([denied, noAsk]);
    expect(await itemFor(bob, aliceJid!)).toBeUndefined();
    await bob.stop();

    const bobAgain = await online(server, bobJid!);
    await sync(bobAgain);
    expect(receivedXml(bobAgain, isPresenceFrom(aliceJid!, 'subscribe'))).toEqual([]);
    await stopAll(alice, bobAgain);
  });
});

describe('removing a contact from the roster (§2.5.2)', () => {
  it('cancels the subscriptions both ways: each side is told and sees the other go unavailable', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!, { roster: true });
    const bob = await online(server, bobJid!, { transport: 'websocket', roster: true });
    await befriend(alice, bob);

    const removed = alice.next(pushOf(bobJid!, 'remove'));
    const bobNone = bob.next(pushOf(aliceJid!, 'none'));
    const unsubscribe = bob.next(isPresenceFrom(aliceJid!, 'unsubscribe'));
    const unsubscribed = bob.next(isPresenceFrom(aliceJid!, 'unsubscribed'));
    const aliceGoneForBob = bob.next(isPresenceFrom(alice.jid, 'unavailable'));
    const bobGoneForAlice = alice.next(isPresenceFrom(bob.jid, 'unavailable'));
    await iq(alice, 'set', rosterItem(bobJid!, { subscription: 'remove' }));
    await Promise.all([removed, bobNone, unsubscribe, unsubscribed, aliceGoneForBob, bobGoneForAlice]);

    expect(await itemFor(alice, bobJid!)).toBeUndefined();
    expect(await itemFor(bob, aliceJid!)).toMatchObject({ subscription: 'none' });
    // Presence no longer flows either way.
    const [aliceSince, bobSince] = [alice.received.length, bob.received.length];
    await sendPresence(alice, { status: 'after' });
    await sendPresence(bob, { status: 'after' });
    await expectNothing(bob, isPresenceFrom(alice.jid), { since: bobSince });
    await expectNothing(alice, isPresenceFrom(bob.jid), { since: aliceSince });
    await stopAll(alice, bob);
  });
});

describe('pre-approval (§3.4)', () => {
  it("Bob approves Alice before she asks; her later request is accepted without asking Bob", async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const bob = await online(server, bobJid!, { roster: true, presence: { show: 'chat' } });
    const alice = await online(server, aliceJid!, { transport: 'websocket', roster: true });

    const preApproved = bob.next((s) => isRosterPush(aliceJid)(s) && pushedItem(s).approved === 'true');
    await bob.xmpp.send(presence({ to: aliceJid, type: 'subscribed' }));
    expect(pushedItem(await preApproved)).toMatchObject({ subscription: 'none', approved: 'true' });

    const accepted = alice.next(isPresenceFrom(bobJid!, 'subscribed'));
    const aliceTo = alice.next(pushOf(bobJid!, 'to'));
    const bobFrom = bob.next(pushOf(aliceJid!, 'from'));
    const bobsPresence = alice.next((s) => s.is('presence') && s.attrs.from === bob.jid && s.attrs.type === undefined);
    await alice.xmpp.send(presence({ to: bobJid, type: 'subscribe' }));
    await Promise.all([accepted, aliceTo, bobFrom]);
    expect((await bobsPresence).getChildText('show')).toBe('chat');
    expect((await itemFor(bob, aliceJid!))!.approved).toBeUndefined();
    expect(receivedXml(bob, isPresenceFrom(aliceJid!, 'subscribe'))).toEqual([]);
    await stopAll(alice, bob);
  });
});

describe('presence broadcast and probes (§4.2–§4.5)', () => {
  it('broadcasts to subscribed contacts only, with show, status and priority intact', async () => {
    const [aliceJid, bobJid, carolJid] = await createUsers(server, ['alice', 'bob', 'carol']);
    const alice = await online(server, aliceJid!, { resource: 'desk' });
    const alicePhone = await online(server, aliceJid!, { resource: 'phone', transport: 'websocket' });
    const bob = await online(server, bobJid!, { transport: 'websocket' });
    // Alice is subscribed to Carol's presence, not Carol to Alice's: Carol must not see Alice's presence.
    const carol = await online(server, carolJid!);
    await subscribeAndApprove(alice, carol);
    await befriend(alice, bob);

    const atBob = bob.next(isPresenceFrom(alice.jid));
    const atPhone = alicePhone.next(isPresenceFrom(alice.jid));
    const carolSince = carol.received.length;
    await alice.xmpp.send(presence({ show: 'dnd', status: 'In a meeting', priority: 7 }));
    for (const stanza of [await atBob, await atPhone]) {
      expect(stanza.getChildText('show')).toBe('dnd');
      expect(stanza.getChildText('status')).toBe('In a meeting');
      expect(stanza.getChildText('priority')).toBe('7');
    }
    await expectNothing(carol, isPresenceFrom(alice.jid), { since: carolSince });
    expect(receivedXml(carol, isPresenceFrom(aliceJid!))).toEqual([]);
    await stopAll(alice, alicePhone, bob, carol);
  });

  it("shows a new resource the presence of the user's other available resources (§4.2.2)", async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const desk = await online(server, aliceJid!, { resource: 'desk', presence: { status: 'at my desk' } });
    const phone = await online(server, aliceJid!, { resource: 'phone', transport: 'websocket' });
    expect((await received(phone, isPresenceFrom(desk.jid))).getChildText('status')).toBe('at my desk');
    await received(desk, isPresenceFrom(phone.jid));
    await stopAll(desk, phone);
  });

  it("probes on login: Alice logs in after Bob and gets Bob's presence", async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!);
    const bob = await online(server, bobJid!, { transport: 'websocket', presence: { show: 'away', status: 'Lunch' } });
    await befriend(alice, bob);
    await alice.stop();

    const aliceAgain = await online(server, aliceJid!, { transport: 'websocket' });
    const bobs = await received(aliceAgain, isPresenceFrom(bob.jid));
    expect(bobs.getChildText('show')).toBe('away');
    expect(bobs.getChildText('status')).toBe('Lunch');
    await stopAll(aliceAgain, bob);
  });

  it('tells contacts when a session ends, cleanly or by a dropped connection (§4.5.2)', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!, { transport: 'websocket' });
    const bob = await online(server, bobJid!);
    await befriend(alice, bob);

    const closed = alice.next(isPresenceFrom(bob.jid, 'unavailable'));
    await bob.stop();
    await closed;

    const bobAgain = await online(server, bobJid!, { resource: 'laptop' });
    await received(alice, isPresenceFrom(bobAgain.jid));
    const dropped = alice.next(isPresenceFrom(bobAgain.jid, 'unavailable'));
    dropConnection(bobAgain);
    await dropped;
    await stopAll(alice, bobAgain);
  });

  it('explicit unavailable presence reaches contacts and ends availability (§4.5.1)', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!);
    const bob = await online(server, bobJid!, { transport: 'websocket' });
    await befriend(alice, bob);

    const goodbye = bob.next(isPresenceFrom(alice.jid, 'unavailable'));
    await alice.xmpp.send(presence({ type: 'unavailable', status: 'Gone fishing' }));
    expect((await goodbye).getChildText('status')).toBe('Gone fishing');
    // Nothing more when the stream then closes: the session was no longer available.
    const since = bob.received.length;
    await alice.stop();
    await expectNothing(bob, (s) => s.is('presence') && s.attrs.from === alice.jid, { since, waitMs: 100 });
    await bob.stop();
  });
});

describe('probes for a contact that no longer exists (§4.3.2)', () => {
  it("answers with 'unsubscribed', which clears Alice's stale subscription", async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!);
    const bob = await online(server, bobJid!, { transport: 'websocket' });
    await subscribeAndApprove(alice, bob);
    await stopAll(alice, bob);
    await server.server.storage.accounts.delete(bobJid!);

    // Alice's initial presence probes Bob; Bob's server has no subscription for her and says so.
    const aliceAgain = await online(server, aliceJid!, { roster: true });
    await received(aliceAgain, isPresenceFrom(bobJid!, 'unsubscribed'));
    await received(aliceAgain, pushOf(bobJid!, 'none'));
    await aliceAgain.stop();
  });
});

describe('directed presence (§4.6)', () => {
  it('reaches a non-contact, who is also told when the sender goes offline', async () => {
    const [aliceJid, carolJid, daveJid] = await createUsers(server, ['alice', 'carol', 'dave']);
    const alice = await online(server, aliceJid!);
    const carol = await online(server, carolJid!, { transport: 'websocket' });
    const dave = await online(server, daveJid!);

    const directed = carol.next(isPresenceFrom(alice.jid));
    await alice.xmpp.send(presence({ to: carolJid, status: 'Hi Carol' }));
    expect((await directed).getChildText('status')).toBe('Hi Carol');

    const unavailable = carol.next(isPresenceFrom(alice.jid, 'unavailable'));
    await alice.stop();
    await unavailable;
    await expectNothing(dave, (s) => s.is('presence') && bare(s.attrs.from ?? '') === aliceJid, { since: 0 });
    expect((await getRoster(carol))!.items).toEqual([]);
    await stopAll(carol, dave);
  });
});
