// Limits on presence subscriptions (RFC 6121 §3; XEP-0205 §3): the roster cap holds for items that
// subscriptions create, a pending request is not delivered again (§3.1.3), and requests per sender
// are rate-limited. Real clients (@xmpp/client) over TCP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import {
  bare, createUsers, errorCondition, getRoster, iq, isError, online, presence, received, receivedXml, rosterItem, stopAll, sync,
  type Element, type LoggedInClient,
} from './helpers/im.ts';

const ROSTER_ITEMS = 10;

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ config: { limits: { rosterItems: ROSTER_ITEMS } } });
});
afterAll(() => server.stop());

const isSubscribeFrom = (from: string) => (s: Element) => s.is('presence') && s.attrs.type === 'subscribe' && s.attrs.from === from;

async function rosterSize(client: LoggedInClient): Promise<number> {
  return (await getRoster(client))!.items.length;
}

/** Fill a roster with roster sets up to the cap. */
async function fillRoster(client: LoggedInClient, contacts: string[]): Promise<void> {
  for (const contact of contacts) await iq(client, 'set', rosterItem(contact));
}

describe('the roster cap (limits.rosterItems) on every path that adds an item', () => {
  it('outgoing subscription requests: the one past the cap gets not-allowed and adds nothing', async () => {
    const [aliceJid, ...contacts] = await createUsers(server, ['alice', ...Array.from({ length: ROSTER_ITEMS + 2 }, (_, i) => `c${i}-`)]);
    const alice = await online(server, aliceJid!);
    for (const contact of contacts.slice(0, ROSTER_ITEMS)) await alice.xmpp.send(presence({ to: contact, type: 'subscribe' }));
    await sync(alice);
    expect(await rosterSize(alice)).toBe(ROSTER_ITEMS);

    const refused = alice.next(isError('presence'));
    await alice.xmpp.send(presence({ to: contacts[ROSTER_ITEMS]!, type: 'subscribe' }));
    const error = await refused;
    expect(error.attrs.from).toBe(contacts[ROSTER_ITEMS]);
    expect(errorCondition(error)).toBe('not-allowed');
    expect(await rosterSize(alice)).toBe(ROSTER_ITEMS);
    // a request to a contact already on the roster needs no room
    await alice.xmpp.send(presence({ to: contacts[0]!, type: 'subscribe' }));
    await sync(alice);
    expect(receivedXml(alice, isError('presence'))).toHaveLength(1);
    await alice.stop();
  });

  it('approving an incoming request with a full roster: not-allowed, the request stays pending', async () => {
    const [bobJid, carolJid, ...others] = await createUsers(server, ['bob', 'carol', ...Array.from({ length: ROSTER_ITEMS }, (_, i) => `o${i}-`)]);
    const bob = await online(server, bobJid!);
    const carol = await online(server, carolJid!);
    await fillRoster(bob, others);
    const request = bob.next(isSubscribeFrom(carolJid!));
    await carol.xmpp.send(presence({ to: bobJid!, type: 'subscribe' }));
    await request;

    const refused = bob.next(isError('presence'));
    await bob.xmpp.send(presence({ to: carolJid!, type: 'subscribed' }));
    expect(errorCondition(await refused)).toBe('not-allowed');
    expect(await rosterSize(bob)).toBe(ROSTER_ITEMS);
    await sync(carol);
    expect(receivedXml(carol, (s) => s.is('presence') && s.attrs.type === 'subscribed')).toEqual([]);
    expect(await server.server.storage.subscriptionRequests.get(bobJid!, carolJid!)).not.toBeNull();

    // with room again, the same approval goes through
    await iq(bob, 'set', rosterItem(others[0]!, { subscription: 'remove' }));
    const approved = carol.next((s) => s.is('presence') && s.attrs.type === 'subscribed');
    await bob.xmpp.send(presence({ to: carolJid!, type: 'subscribed' }));
    expect((await approved).attrs.from).toBe(bobJid);
    await stopAll(bob, carol);
  });

  it('pre-approving a contact (RFC 6121 §3.4) with a full roster: not-allowed', async () => {
    const [daveJid, strangerJid, ...others] = await createUsers(server, ['dave', 'stranger', ...Array.from({ length: ROSTER_ITEMS }, (_, i) => `p${i}-`)]);
    const dave = await online(server, daveJid!);
    await fillRoster(dave, others);
    const refused = dave.next(isError('presence'));
    await dave.xmpp.send(presence({ to: strangerJid!, type: 'subscribed' }));
    expect(errorCondition(await refused)).toBe('not-allowed');
    expect(await rosterSize(dave)).toBe(ROSTER_ITEMS);
    await dave.stop();
  });

  it('pending requests to one account are bounded too: the requester past the cap gets resource-constraint', async () => {
    const [erinJid, ...senders] = await createUsers(server, ['erin', ...Array.from({ length: ROSTER_ITEMS + 1 }, (_, i) => `s${i}-`)]);
    for (const sender of senders.slice(0, ROSTER_ITEMS)) {
      const client = await online(server, sender);
      await client.xmpp.send(presence({ to: erinJid!, type: 'subscribe' }));
      await sync(client);
      await client.stop();
    }
    const last = await online(server, senders[ROSTER_ITEMS]!);
    const refused = last.next(isError('presence'));
    await last.xmpp.send(presence({ to: erinJid!, type: 'subscribe' }));
    const error = await refused;
    expect(errorCondition(error)).toBe('resource-constraint');
    expect(error.attrs.from).toBe(erinJid);
    expect(await server.server.storage.subscriptionRequests.count(erinJid!)).toBe(ROSTER_ITEMS);
    await last.stop();
  });
});

describe('repeated subscription requests (RFC 6121 §3.1.3)', () => {
  it('50 identical requests reach the contact once, and once more at the next login', async () => {
    const [frankJid, ginaJid] = await createUsers(server, ['frank', 'gina']);
    const gina = await online(server, ginaJid!);
    const frank = await online(server, frankJid!);
    const first = gina.next(isSubscribeFrom(frankJid!));
    for (let i = 0; i < 50; i++) await frank.xmpp.send(presence({ to: ginaJid!, type: 'subscribe' }));
    await first;
    await sync(frank);
    await sync(gina);
    expect(receivedXml(gina, isSubscribeFrom(frankJid!))).toHaveLength(1);
    expect(receivedXml(frank, isError('presence'))).toEqual([]);
    await gina.stop();

    const again = await online(server, ginaJid!);
    await received(again, isSubscribeFrom(frankJid!));
    await sync(again);
    expect(receivedXml(again, isSubscribeFrom(frankJid!))).toHaveLength(1);
    await stopAll(again, frank);
  });
});

describe('subscription requests per sender (limits.subscriptionRequestsPerMinute)', () => {
  const PER_MINUTE = 5;
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startServer({ config: { limits: { subscriptionRequestsPerMinute: PER_MINUTE } } });
  });
  afterAll(() => limited.stop());

  it(`the request past ${PER_MINUTE} in a minute gets policy-violation (wait) and reaches nobody`, async () => {
    const [hankJid, ...contacts] = await createUsers(limited, ['hank', ...Array.from({ length: PER_MINUTE + 1 }, (_, i) => `r${i}-`)]);
    const hank = await online(limited, hankJid!);
    const target = await online(limited, contacts[PER_MINUTE]!);
    for (const contact of contacts.slice(0, PER_MINUTE)) await hank.xmpp.send(presence({ to: contact, type: 'subscribe' }));
    await sync(hank);
    expect(receivedXml(hank, isError('presence'))).toEqual([]);

    const refused = hank.next(isError('presence'));
    await hank.xmpp.send(presence({ to: contacts[PER_MINUTE]!, type: 'subscribe' }));
    const error = await refused;
    expect(errorCondition(error)).toBe('policy-violation');
    expect(error.getChild('error')!.attrs.type).toBe('wait');
    await sync(target);
    expect(receivedXml(target, isSubscribeFrom(hankJid!))).toEqual([]);
    expect(bare(error.attrs.from!)).toBe(contacts[PER_MINUTE]);
    await stopAll(hank, target);
  });
});
