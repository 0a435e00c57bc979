// RFC 6121 §2 roster management, spoken by real clients: get, set, pushes, versioning, removal, errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import {
  NS_ROSTER, createUsers, getRoster, iq, iqError, isRosterPush, online, pushedItem, rosterItem, stopAll, sync, xml, receivedXml,
} from './helpers/im.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ config: { limits: { rosterItems: 10 } } });
});
afterAll(() => server.stop());

describe('roster get (§2.2)', () => {
  it('answers a new account with an empty roster and a version', async () => {
    const [alice] = await createUsers(server, ['alice']);
    const client = await online(server, alice!, { transport: 'websocket' });

    const roster = await getRoster(client);
    expect(roster).not.toBeNull();
    expect(roster!.items).toEqual([]);
    expect(roster!.ver).toBeDefined();
    await client.stop();
  });

  it('lists the items with their name, groups and subscription state', async () => {
    const [alice, bob, carol] = await createUsers(server, ['alice', 'bob', 'carol']);
    const client = await online(server, alice!);
    await iq(client, 'set', rosterItem(bob!, { name: 'Bob', groups: ['Friends', 'Work'] }));
    await iq(client, 'set', rosterItem(carol!));

    const roster = await getRoster(client);
    expect(roster!.items).toHaveLength(2);
    expect(roster!.items).toContainEqual({ jid: bob, name: 'Bob', subscription: 'none', groups: ['Friends', 'Work'] });
    expect(roster!.items).toContainEqual({ jid: carol, subscription: 'none', groups: [] });
    await client.stop();
  });
});

describe('roster set and pushes (§2.3, §2.4, §2.1.6)', () => {
  it('adds and updates an item; every interested resource gets a push with a growing version', async () => {
    const [alice, bob] = await createUsers(server, ['alice', 'bob']);
    const desk = await online(server, alice!, { resource: 'desk', roster: true });
    const phone = await online(server, alice!, { resource: 'phone', transport: 'websocket', roster: true });
    // A resource that never asked for the roster is not "interested" and gets no pushes.
    const bot = await online(server, alice!, { resource: 'bot' });
    const before = Number((await getRoster(desk))!.ver);

    // Alice (desk) adds Bob: desk gets the result, desk and phone get the push.
    const deskPush = desk.next(isRosterPush(bob));
    const phonePush = phone.next(isRosterPush(bob));
    const result = await iq(desk, 'set', rosterItem(bob!, { name: 'Bob', groups: ['Friends'] }));
    expect(result.attrs.type).toBe('result');
    const [added, addedOnPhone] = await Promise.all([deskPush, phonePush]);
    expect(pushedItem(added)).toEqual({ jid: bob, name: 'Bob', subscription: 'none', groups: ['Friends'] });
    expect(pushedItem(addedOnPhone)).toEqual(pushedItem(added));
    const addedVer = Number(added.getChild('query', NS_ROSTER)!.attrs.ver);
    expect(addedVer).toBeGreaterThan(before);
    expect(added.attrs.from === undefined || added.attrs.from === alice).toBe(true); // §2.1.6: from the account

    // Alice (phone) renames Bob and moves him to two other groups.
    const updatedPush = desk.next(isRosterPush(bob));
    await iq(phone, 'set', rosterItem(bob!, { name: 'Bobby', groups: ['Work', 'Chess'] }));
    const updated = await updatedPush;
    expect(pushedItem(updated)).toEqual({ jid: bob, name: 'Bobby', subscription: 'none', groups: ['Work', 'Chess'] });
    expect(Number(updated.getChild('query', NS_ROSTER)!.attrs.ver)).toBeGreaterThan(addedVer);

    await sync(bot);
    expect(receivedXml(bot, isRosterPush())).toEqual([]);
    await stopAll(desk, phone, bot);
  });

  it('answers a get with the current version by an empty result, an old version by the full roster (§2.6.3)', async () => {
    const [alice, bob, carol] = await createUsers(server, ['alice', 'bob', 'carol']);
    const client = await online(server, alice!, { transport: 'websocket' });
    await iq(client, 'set', rosterItem(bob!));
    const first = await getRoster(client);
    await iq(client, 'set', rosterItem(carol!, { name: 'Carol' }));
    const current = await getRoster(client);
    expect(current!.ver).not.toBe(first!.ver);

    // Nothing changed since `current`: the result carries no <query/>.
    const unchanged = await iq(client, 'get', xml('query', { xmlns: NS_ROSTER, ver: current!.ver }));
    expect(unchanged.attrs.type).toBe('result');
    expect(unchanged.getChild('query')).toBeUndefined();

    // An older version gets the whole roster with the current version.
    const full = await getRoster(client, first!.ver);
    expect(full!.ver).toBe(current!.ver);
    expect(full!.items.map((item) => item.jid).sort()).toEqual([bob, carol].sort());
    await client.stop();
  });
});

describe('roster delete (§2.5)', () => {
  it('removes an item and pushes subscription=remove', async () => {
    const [alice, bob] = await createUsers(server, ['alice', 'bob']);
    const desk = await online(server, alice!, { roster: true });
    const phone = await online(server, alice!, { transport: 'websocket', roster: true });
    await iq(desk, 'set', rosterItem(bob!, { name: 'Bob' }));
    const ver = (await getRoster(desk))!.ver;

    const removedOnPhone = phone.next((s) => isRosterPush(bob)(s) && pushedItem(s).subscription === 'remove');
    const result = await iq(desk, 'set', rosterItem(bob!, { subscription: 'remove' }));
    expect(result.attrs.type).toBe('result');
    const push = await removedOnPhone;
    expect(Number(push.getChild('query', NS_ROSTER)!.attrs.ver)).toBeGreaterThan(Number(ver));
    expect((await getRoster(desk))!.items).toEqual([]);
    await stopAll(desk, phone);
  });

  it('answers the removal of an unknown item with item-not-found', async () => {
    const [alice] = await createUsers(server, ['alice']);
    const client = await online(server, alice!);
    expect(await iqError(client, 'set', rosterItem('nobody@example.com', { subscription: 'remove' })))
      .toEqual({ condition: 'item-not-found', type: 'cancel' });
    await client.stop();
  });
});

describe('bad roster sets and other people\'s rosters (§2.3.3)', () => {
  it('rejects what a client may not set, and changes nothing', async () => {
    const [alice, bob, carol] = await createUsers(server, ['alice', 'bob', 'carol']);
    const client = await online(server, alice!, { roster: true });

    const twoItems = xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: bob }), xml('item', { jid: carol }));
    expect((await iqError(client, 'set', twoItems)).condition).toBe('bad-request');
    expect((await iqError(client, 'set', rosterItem(bob!, { groups: ['Friends', 'Friends'] }))).condition).toBe('bad-request');
    expect((await iqError(client, 'set', rosterItem(bob!, { groups: [''] }))).condition).toBe('not-acceptable');
    expect((await iqError(client, 'set', rosterItem(bob!, { name: 'B'.repeat(5000) }))).condition).toBe('not-acceptable');
    expect((await iqError(client, 'set', rosterItem(alice!))).condition).toBe('not-allowed');

    expect((await getRoster(client))!.items).toEqual([]);
    expect(receivedXml(client, isRosterPush())).toEqual([]);
    await client.stop();
  });

  it("ignores a subscription state set by the client: the server owns it (§2.1.2.5)", async () => {
    const [alice, bob] = await createUsers(server, ['alice', 'bob']);
    const client = await online(server, alice!, { roster: true });

    const push = client.next(isRosterPush(bob));
    const result = await iq(client, 'set', rosterItem(bob!, { name: 'Bob', subscription: 'both' }));
    expect(result.attrs.type).toBe('result');
    expect(pushedItem(await push)).toEqual({ jid: bob, name: 'Bob', subscription: 'none', groups: [] });
    expect((await getRoster(client))!.items).toEqual([{ jid: bob, name: 'Bob', subscription: 'none', groups: [] }]);
    await client.stop();
  });

  it("refuses to show or change someone else's roster with forbidden", async () => {
    const [alice, bob, carol] = await createUsers(server, ['alice', 'bob', 'carol']);
    const bobClient = await online(server, bob!);
    const aliceClient = await online(server, alice!, { transport: 'websocket' });
    await iq(bobClient, 'set', rosterItem(carol!));

    expect(await iqError(aliceClient, 'get', xml('query', { xmlns: NS_ROSTER }), bob))
      .toEqual({ condition: 'forbidden', type: 'auth' });
    expect((await iqError(aliceClient, 'set', rosterItem(carol!, { subscription: 'remove' }), bob)).condition).toBe('forbidden');
    expect((await getRoster(bobClient))!.items.map((item) => item.jid)).toEqual([carol]);
    await stopAll(aliceClient, bobClient);
  });
});

describe('roster size limit (limits.rosterItems)', () => {
  it('refuses an eleventh contact with not-allowed, still updates existing ones', async () => {
    const [alice] = await createUsers(server, ['alice']);
    const client = await online(server, alice!, { transport: 'websocket' });
    for (let i = 0; i < 10; i++) await iq(client, 'set', rosterItem(`contact${i}@example.com`));

    expect((await iqError(client, 'set', rosterItem('one-too-many@example.com'))).condition).toBe('not-allowed');
    await iq(client, 'set', rosterItem('contact3@example.com', { name: 'Still editable' }));
    expect((await getRoster(client))!.items).toHaveLength(10);

    // Room again after a removal.
    await iq(client, 'set', rosterItem('contact0@example.com', { subscription: 'remove' }));
    await iq(client, 'set', rosterItem('one-more@example.com'));
    expect((await getRoster(client))!.items).toHaveLength(10);
    await client.stop();
  });
});
