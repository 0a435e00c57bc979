// RFC 6121 §3–§4 presence subscriptions and presence exchange, between real clients on TCP and
// WebSocket, written as the dialogue (helpers/dialogue.ts): what each party sends and receives.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { createUsers, dropConnection } from './helpers/im.ts';
import { befriend, enter, exactly, leaveAll, rosterPush, subscribeAndApprove, type Party } from './helpers/dialogue.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

/** The party's roster, as the server answers a roster get (RFC 6121 §2.2). */
async function rosterIs(party: Party, items: string, id: string): Promise<void> {
  await party.sends(`<iq type='get' id='${id}'><query xmlns='jabber:iq:roster'/></iq>`);
  await party.receives(exactly(`<iq type='result' id='${id}'><query xmlns='jabber:iq:roster' ver='{*}'>${items}</query></iq>`));
}

describe('subscription handshake (§3.1)', () => {
  it('Alice subscribes to Bob, Bob approves, then Bob subscribes back: both end with subscription=both', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!, { roster: true });
    const bob = await enter(server, bobJid!, { transport: 'websocket', roster: true, presence: '<presence><status>Writing tests</status></presence>' });

    // Bob receives the request from Alice's bare JID; Alice's roster push shows ask='subscribe'.
    await alice.sends(`<presence to='${bob.bare}' type='subscribe'/>`);
    await alice.receives(rosterPush(bob.bare, "subscription='none' ask='subscribe'"));
    await bob.receives(`<presence from='${alice.bare}' type='subscribe'/>`);

    // Bob approves: Alice's item becomes 'to', Bob's 'from'; Alice receives 'subscribed' and Bob's current presence.
    await bob.sends(`<presence to='${alice.bare}' type='subscribed'/>`);
    await bob.receives(rosterPush(alice.bare, "subscription='from' ask='{absent}'"));
    await alice.receives(
      rosterPush(bob.bare, "subscription='to' ask='{absent}'"),
      `<presence from='${bob.bare}' type='subscribed'/>`,
      `<presence from='${bob.jid}' type='{absent}'><status>Writing tests</status></presence>`);

    // Bob subscribes back and Alice approves: mutual subscription.
    await bob.sends(`<presence to='${alice.bare}' type='subscribe'/>`);
    await bob.receives(rosterPush(alice.bare, "subscription='from' ask='subscribe'"));
    await alice.receives(`<presence from='${bob.bare}' type='subscribe'/>`);
    await alice.sends(`<presence to='${bob.bare}' type='subscribed'/>`);
    await alice.receives(rosterPush(bob.bare, "subscription='both' ask='{absent}'"));
    await bob.receives(
      rosterPush(alice.bare, "subscription='both' ask='{absent}'"),
      `<presence from='${alice.bare}' type='subscribed'/>`,
      `<presence from='${alice.jid}' type='{absent}'/>`);

    await rosterIs(alice, `<item jid='${bob.bare}' subscription='both'/>`, 'roster-1');
    await rosterIs(bob, `<item jid='${alice.bare}' subscription='both'/>`, 'roster-2');
    await alice.receivesNothing();
    await bob.receivesNothing();
    await leaveAll(alice, bob);
  });

  it('delivers a request to an offline contact at each of their next logins until answered (§3.1.3)', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!, { roster: true });
    await alice.sends(`<presence to='${bobJid}' type='subscribe'/>`);
    await alice.receives(rosterPush(bobJid!, "subscription='none' ask='subscribe'"));

    // Bob logs in later and receives the request after his initial presence.
    const bob = await enter(server, bobJid!, { transport: 'websocket' });
    await bob.receives(`<presence from='${alice.bare}' to='${bob.bare}' type='subscribe'/>`);
    await bob.stop();
    const bobAgain = await enter(server, bobJid!);
    await bobAgain.receives(`<presence from='${alice.bare}' type='subscribe'/>`);

    await bobAgain.sends(`<presence to='${alice.bare}' type='subscribed'/>`);
    await alice.receives(
      rosterPush(bobJid!, "subscription='to' ask='{absent}'"),
      `<presence from='${bobJid}' type='subscribed'/>`,
      `<presence from='${bobAgain.jid}' type='{absent}'/>`);
    await bobAgain.stop();

    // Answered: no longer shown at login.
    const bobLater = await enter(server, bobJid!);
    await bobLater.receivesNothing();
    await leaveAll(alice, bobLater);
  });

  it("answers a request to a local user that does not exist with 'unsubscribed' (§3.1.3)", async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const alice = await enter(server, aliceJid!, { roster: true });
    const ghost = 'nobody-here@example.com';

    await alice.sends(`<presence to='${ghost}' type='subscribe'/>`);
    await alice.receives(rosterPush(ghost, "subscription='none' ask='subscribe'"));
    await alice.receives(rosterPush(ghost, "subscription='none' ask='{absent}'"), `<presence from='${ghost}' type='unsubscribed'/>`);
    await rosterIs(alice, `<item jid='${ghost}' subscription='none'/>`, 'roster-1');
    await alice.stop();
  });
});

describe('ending subscriptions (§3.2, §3.3)', () => {
  it('unsubscribe: Alice stops receiving Bob\'s presence and gets his unavailable', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!, { roster: true });
    const bob = await enter(server, bobJid!, { transport: 'websocket', roster: true });
    await befriend(alice, bob);

    await alice.sends(`<presence to='${bob.bare}' type='unsubscribe'/>`);
    await alice.receives(rosterPush(bob.bare, "subscription='from' ask='{absent}'"));
    await bob.receives(rosterPush(alice.bare, "subscription='to' ask='{absent}'"), `<presence from='${alice.bare}' type='unsubscribe'/>`);
    await alice.receives(`<presence from='${bob.jid}' type='unavailable'/>`);

    // Bob's presence no longer reaches Alice; Alice's still reaches Bob.
    await bob.sends('<presence><status>anyone there?</status></presence>');
    await bob.receives(`<presence from='${bob.jid}'><status>anyone there?</status></presence>`);
    await alice.sends('<presence><status>still here</status></presence>');
    await alice.receives(`<presence from='${alice.jid}'><status>still here</status></presence>`);
    await bob.receives(`<presence from='${alice.jid}'><status>still here</status></presence>`);
    await alice.receivesNothing();
    await leaveAll(alice, bob);
  });

  it('unsubscribed: Bob cancels Alice\'s subscription to him', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!, { transport: 'websocket', roster: true });
    const bob = await enter(server, bobJid!, { roster: true });
    await befriend(alice, bob);

    await bob.sends(`<presence to='${alice.bare}' type='unsubscribed'/>`);
    await bob.receives(rosterPush(alice.bare, "subscription='to' ask='{absent}'"));
    await alice.receives(
      rosterPush(bob.bare, "subscription='from' ask='{absent}'"),
      `<presence from='${bob.bare}' type='unsubscribed'/>`,
      `<presence from='${bob.jid}' type='unavailable'/>`);
    await leaveAll(alice, bob);
  });

  it('unsubscribed: Bob denies a pending request, which is then forgotten', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!, { roster: true });
    const bob = await enter(server, bobJid!, { transport: 'websocket' });

    await alice.sends(`<presence to='${bob.bare}' type='subscribe'/>`);
    await alice.receives(rosterPush(bob.bare, "subscription='none' ask='subscribe'"));
    await bob.receives(`<presence from='${alice.bare}' type='subscribe'/>`);
    await bob.sends(`<presence to='${alice.bare}' type='unsubscribed'/>`);
    await alice.receives(rosterPush(bob.bare, "subscription='none' ask='{absent}'"), `<presence from='${bob.bare}' type='unsubscribed'/>`);
    await rosterIs(bob, '', 'roster-1');
    await bob.stop();

    const bobAgain = await enter(server, bobJid!);
    await bobAgain.receivesNothing();
    await leaveAll(alice, bobAgain);
  });
});

describe('removing a contact from the roster (§2.5.2)', () => {
  it('cancels the subscriptions both ways: each side is told and sees the other go unavailable', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!, { roster: true });
    const bob = await enter(server, bobJid!, { transport: 'websocket', roster: true });
    await befriend(alice, bob);

    await alice.sends(`<iq type='set' id='remove-1'><query xmlns='jabber:iq:roster'><item jid='${bob.bare}' subscription='remove'/></query></iq>`);
    await alice.receives(
      `<presence from='${bob.jid}' type='unavailable'/>`,
      rosterPush(bob.bare, "subscription='remove'"),
      `<iq type='result' id='remove-1'/>`);
    await bob.receives(
      rosterPush(alice.bare, "subscription='to'"),
      `<presence from='${alice.bare}' type='unsubscribe'/>`,
      rosterPush(alice.bare, "subscription='none' ask='{absent}'"),
      `<presence from='${alice.bare}' type='unsubscribed'/>`,
      `<presence from='${alice.jid}' type='unavailable'/>`);

    await rosterIs(alice, '', 'roster-1');
    await rosterIs(bob, `<item jid='${alice.bare}' subscription='none'/>`, 'roster-2');
    // Presence no longer flows either way.
    await alice.sends('<presence><status>after</status></presence>');
    await alice.receives(`<presence from='${alice.jid}'><status>after</status></presence>`);
    await bob.sends('<presence><status>after</status></presence>');
    await bob.receives(`<presence from='${bob.jid}'><status>after</status></presence>`);
    await bob.receivesNothing();
    await alice.receivesNothing();
    await leaveAll(alice, bob);
  });
});

describe('pre-approval (§3.4)', () => {
  it("Bob approves Alice before she asks; her later request is accepted without asking Bob", async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const bob = await enter(server, bobJid!, { roster: true, presence: '<presence><show>chat</show></presence>' });
    const alice = await enter(server, aliceJid!, { transport: 'websocket', roster: true });

    await bob.sends(`<presence to='${alice.bare}' type='subscribed'/>`);
    await bob.receives(rosterPush(alice.bare, "subscription='none' approved='true'"));

    await alice.sends(`<presence to='${bob.bare}' type='subscribe'/>`);
    await alice.receives(rosterPush(bob.bare, "subscription='none' ask='subscribe'"));
    await bob.receives(rosterPush(alice.bare, "subscription='from' ask='{absent}' approved='{absent}'"));
    await alice.receives(
      rosterPush(bob.bare, "subscription='to' ask='{absent}'"),
      `<presence from='${bob.bare}' type='subscribed'/>`,
      `<presence from='${bob.jid}' type='{absent}'><show>chat</show></presence>`);
    await rosterIs(bob, `<item jid='${alice.bare}' subscription='from'/>`, 'roster-1');
    // Bob was never asked.
    await bob.receivesNothing();
    await leaveAll(alice, bob);
  });
});

describe('presence broadcast and probes (§4.2–§4.5)', () => {
  it('broadcasts to subscribed contacts only, with show, status and priority intact', async () => {
    const [aliceJid, bobJid, carolJid] = await createUsers(server, ['alice', 'bob', 'carol']);
    const alice = await enter(server, aliceJid!, { resource: 'desk' });
    const alicePhone = await enter(server, aliceJid!, { resource: 'phone', transport: 'websocket' });
    await alice.receives(`<presence from='${alicePhone.jid}'/>`);
    await alicePhone.receives(`<presence from='${alice.jid}'/>`);
    const bob = await enter(server, bobJid!, { transport: 'websocket' });
    // Alice is subscribed to Carol's presence, not Carol to Alice's: Carol must not see Alice's presence.
    const carol = await enter(server, carolJid!);
    await subscribeAndApprove([alice, alicePhone], carol);
    await befriend([alice, alicePhone], bob);

    await alice.sends('<presence><show>dnd</show><status>In a meeting</status><priority>7</priority></presence>');
    const intact = `<presence from='${alice.jid}'><show>dnd</show><status>In a meeting</status><priority>7</priority></presence>`;
    await bob.receives(intact);
    await alicePhone.receives(intact);
    await alice.receives(intact);
    await carol.receivesNothing();
    await leaveAll(alice, alicePhone, bob, carol);
  });

  it("shows a new resource the presence of the user's other available resources (§4.2.2)", async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const desk = await enter(server, aliceJid!, { resource: 'desk', presence: '<presence><status>at my desk</status></presence>' });
    const phone = await enter(server, aliceJid!, { resource: 'phone', transport: 'websocket' });
    await phone.receives(`<presence from='${desk.jid}'><status>at my desk</status></presence>`);
    await desk.receives(`<presence from='${phone.jid}'/>`);
    await leaveAll(desk, phone);
  });

  it("probes on login: Alice logs in after Bob and gets Bob's presence", async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!);
    const bob = await enter(server, bobJid!, { transport: 'websocket', presence: '<presence><show>away</show><status>Lunch</status></presence>' });
    await befriend(alice, bob);
    await alice.stop();

    const aliceAgain = await enter(server, aliceJid!, { transport: 'websocket' });
    await aliceAgain.receives(`<presence from='${bob.jid}'><show>away</show><status>Lunch</status></presence>`);
    await leaveAll(aliceAgain, bob);
  });

  it('tells contacts when a session ends, cleanly or by a dropped connection (§4.5.2)', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!, { transport: 'websocket' });
    const bob = await enter(server, bobJid!);
    await befriend(alice, bob);

    await bob.stop();
    await alice.receives(`<presence from='${bob.jid}' type='unavailable'/>`);

    const bobAgain = await enter(server, bobJid!, { resource: 'laptop' });
    await alice.receives(`<presence from='${bobAgain.jid}' type='{absent}'/>`);
    dropConnection(bobAgain.client);
    await alice.receives(`<presence from='${bobAgain.jid}' type='unavailable'/>`);
    await leaveAll(alice, bobAgain);
  });

  it('explicit unavailable presence reaches contacts and ends availability (§4.5.1)', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!);
    const bob = await enter(server, bobJid!, { transport: 'websocket' });
    await befriend(alice, bob);

    await alice.sends("<presence type='unavailable'><status>Gone fishing</status></presence>");
    await bob.receives(`<presence from='${alice.jid}' type='unavailable'><status>Gone fishing</status></presence>`);
    // Nothing more when the stream then closes: the session was no longer available.
    await alice.stop();
    await bob.receivesNothing({ waitMs: 100 });
    await bob.stop();
  });
});

describe('probes for a contact without available resources (§4.3.2)', () => {
  it('answers a prober on this server with nothing: its fresh session already sees the contact offline', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!);
    const bob = await enter(server, bobJid!, { transport: 'websocket' });
    await befriend(alice, bob);
    await leaveAll(alice, bob);

    // her initial presence probes Bob (§4.3.1); the answer would have come before her own reflection
    const aliceAgain = await enter(server, aliceJid!);
    await aliceAgain.receivesNothing({ waitMs: 500 });
    await aliceAgain.stop();
  });
});

describe('probes for a contact that no longer exists (§4.3.2)', () => {
  it("answers with 'unsubscribed', which clears Alice's stale subscription", async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!);
    const bob = await enter(server, bobJid!, { transport: 'websocket' });
    await subscribeAndApprove(alice, bob);
    await leaveAll(alice, bob);
    await server.server.storage.accounts.delete(bobJid!);

    // Alice's initial presence probes Bob; Bob's server has no subscription for her and says so.
    const aliceAgain = await enter(server, aliceJid!, { roster: true });
    await aliceAgain.receives(rosterPush(bobJid!, "subscription='none' ask='{absent}'"), `<presence from='${bobJid}' type='unsubscribed'/>`);
    await aliceAgain.stop();
  });
});

describe('directed presence (§4.6)', () => {
  it('reaches a non-contact, who is also told when the sender goes offline', async () => {
    const [aliceJid, carolJid, daveJid] = await createUsers(server, ['alice', 'carol', 'dave']);
    const alice = await enter(server, aliceJid!);
    const carol = await enter(server, carolJid!, { transport: 'websocket' });
    const dave = await enter(server, daveJid!);

    await alice.sends(`<presence to='${carol.bare}'><status>Hi Carol</status></presence>`);
    await carol.receives(`<presence from='${alice.jid}' type='{absent}'><status>Hi Carol</status></presence>`);

    await alice.stop();
    await carol.receives(`<presence from='${alice.jid}' type='unavailable'/>`);
    await dave.receivesNothing();
    await rosterIs(carol, '', 'roster-1');
    await leaveAll(carol, dave);
  });
});
