// RFC 6121 §2 roster management, spoken by real clients: get, set, pushes, versioning, removal,
// errors — written as the dialogue (helpers/dialogue.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { createUsers } from './helpers/im.ts';
import { enter, exactly, leaveAll, type Party } from './helpers/dialogue.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ config: { limits: { rosterItems: 10 } } });
});
afterAll(() => server.stop());

const get = (id: string, query = '', iq = '') => `<iq type='get' id='${id}' ${iq}><query xmlns='jabber:iq:roster' ${query}/></iq>`;
const set = (id: string, item: string, attributes = '') => `<iq type='set' id='${id}' ${attributes}><query xmlns='jabber:iq:roster'>${item}</query></iq>`;
const result = (id: string) => exactly(`<iq type='result' id='${id}'/>`);
/** A roster result or push carrying exactly these items; `envelope`: attributes of the iq itself. */
const roster = (type: 'result' | 'set', items: string, options: { ver?: string; id?: string; envelope?: string } = {}) =>
  exactly(`<iq type='${type}' id='${options.id ?? '{*}'}' ${options.envelope ?? ''}><query xmlns='jabber:iq:roster' ver='${options.ver ?? '{*}'}'>${items}</query></iq>`);
const stanzaError = (id: string, condition: string, type = '{*}') =>
  `<iq type='error' id='${id}'><error type='${type}'><${condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`;

/** Sessions of one account see each other come online (RFC 6121 §4.2.2): every pair, both ways. */
async function seeEachOther(...resources: Party[]): Promise<void> {
  for (const party of resources) {
    await party.receives(...resources.filter((other) => other !== party).map((other) => `<presence from='${other.jid}'/>`));
  }
}

describe('roster get (§2.2)', () => {
  it('answers a new account with an empty roster and a version', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const alice = await enter(server, aliceJid!, { transport: 'websocket' });

    await alice.sends(get('roster-1'));
    await alice.receives(roster('result', ''));
    await alice.stop();
  });

  it('lists the items with their name, groups and subscription state', async () => {
    const [aliceJid, bob, carol] = await createUsers(server, ['alice', 'bob', 'carol']);
    const alice = await enter(server, aliceJid!);
    await alice.sends(set('set-1', `<item jid='${bob}' name='Bob'><group>Friends</group><group>Work</group></item>`));
    await alice.receives(result('set-1'));
    await alice.sends(set('set-2', `<item jid='${carol}'/>`));
    await alice.receives(result('set-2'));

    await alice.sends(get('roster-1'));
    await alice.receives(roster('result',
      `<item jid='${bob}' name='Bob' subscription='none'><group>Friends</group><group>Work</group></item><item jid='${carol}' subscription='none'/>`));
    await alice.stop();
  });
});

describe('roster set and pushes (§2.3, §2.4, §2.1.6)', () => {
  it('adds and updates an item; every interested resource gets a push with a growing version', async () => {
    const [aliceJid, bob] = await createUsers(server, ['alice', 'bob']);
    const desk = await enter(server, aliceJid!, { resource: 'desk', roster: true });
    const phone = await enter(server, aliceJid!, { resource: 'phone', transport: 'websocket', roster: true });
    // A resource that never asked for the roster is not "interested" and gets no pushes.
    const bot = await enter(server, aliceJid!, { resource: 'bot' });
    await seeEachOther(desk, phone, bot);
    await desk.sends(get('roster-1'));
    const before = Number((await desk.receives(roster('result', '', { ver: '{ver}', id: 'roster-1' }))).ver);

    // Alice (desk) adds Bob: desk gets the result, desk and phone get the push, from the account or with no 'from'.
    await desk.sends(set('set-1', `<item jid='${bob}' name='Bob'><group>Friends</group></item>`));
    const added = `<item jid='${bob}' name='Bob' subscription='none'><group>Friends</group></item>`;
    const onDesk = await desk.receives(roster('set', added, { ver: '{ver}', envelope: "from='{?from}'" }), result('set-1'));
    const onPhone = await phone.receives(roster('set', added, { ver: '{ver}' }));
    expect(onPhone.ver).toBe(onDesk.ver);
    const addedVer = Number(onDesk.ver);
    expect(addedVer).toBeGreaterThan(before);
    expect([undefined, aliceJid]).toContain(onDesk.from); // §2.1.6

    // Alice (phone) renames Bob and moves him to two other groups.
    await phone.sends(set('set-2', `<item jid='${bob}' name='Bobby'><group>Work</group><group>Chess</group></item>`));
    const updated = `<item jid='${bob}' name='Bobby' subscription='none'><group>Work</group><group>Chess</group></item>`;
    const { ver } = await desk.receives(roster('set', updated, { ver: '{ver}' }));
    await phone.receives(roster('set', updated, { ver }), result('set-2'));
    expect(Number(ver)).toBeGreaterThan(addedVer);

    await bot.receivesNothing();
    await leaveAll(desk, phone, bot);
  });

  it('answers a get with the current version by an empty result, an old version by the full roster (§2.6.3)', async () => {
    const [aliceJid, bob, carol] = await createUsers(server, ['alice', 'bob', 'carol']);
    const alice = await enter(server, aliceJid!, { transport: 'websocket' });
    await alice.sends(set('set-1', `<item jid='${bob}'/>`));
    await alice.receives(result('set-1'));
    await alice.sends(get('roster-1'));
    const first = (await alice.receives(roster('result', `<item jid='${bob}' subscription='none'/>`, { ver: '{ver}' }))).ver!;
    // the get made Alice an interested resource: her own change comes back as a push
    await alice.sends(set('set-2', `<item jid='${carol}' name='Carol'/>`));
    await alice.receives(roster('set', `<item jid='${carol}' name='Carol' subscription='none'/>`), result('set-2'));
    await alice.sends(get('roster-2'));
    const items = `<item jid='${bob}' subscription='none'/><item jid='${carol}' name='Carol' subscription='none'/>`;
    const current = (await alice.receives(roster('result', items, { ver: '{ver}' }))).ver!;
    expect(current).not.toBe(first);

    // Nothing changed since `current`: the result carries no <query/>.
    await alice.sends(get('roster-3', `ver='${current}'`));
    await alice.receives(result('roster-3'));

    // An older version gets the whole roster with the current version.
    await alice.sends(get('roster-4', `ver='${first}'`));
    await alice.receives(roster('result', items, { ver: current, id: 'roster-4' }));
    await alice.stop();
  });
});

describe('roster delete (§2.5)', () => {
  it('removes an item and pushes subscription=remove', async () => {
    const [aliceJid, bob] = await createUsers(server, ['alice', 'bob']);
    const desk = await enter(server, aliceJid!, { roster: true });
    const phone = await enter(server, aliceJid!, { transport: 'websocket', roster: true });
    await seeEachOther(desk, phone);
    await desk.sends(set('set-1', `<item jid='${bob}' name='Bob'/>`));
    await desk.receives(roster('set', `<item jid='${bob}' name='Bob' subscription='none'/>`), result('set-1'));
    await phone.receives(roster('set', `<item jid='${bob}' name='Bob' subscription='none'/>`));
    await desk.sends(get('roster-1'));
    const { ver } = await desk.receives(roster('result', `<item jid='${bob}' name='Bob' subscription='none'/>`, { ver: '{ver}' }));

    await desk.sends(set('remove-1', `<item jid='${bob}' subscription='remove'/>`));
    const removed = `<item jid='${bob}' subscription='remove'/>`;
    const push = await phone.receives(roster('set', removed, { ver: '{removedVer}' }));
    await desk.receives(roster('set', removed), result('remove-1'));
    expect(Number(push.removedVer)).toBeGreaterThan(Number(ver));
    await desk.sends(get('roster-2'));
    await desk.receives(roster('result', ''));
    await leaveAll(desk, phone);
  });

  it('answers the removal of an unknown item with item-not-found', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const alice = await enter(server, aliceJid!);
    await alice.sends(set('remove-1', "<item jid='nobody@example.com' subscription='remove'/>"));
    await alice.receives(stanzaError('remove-1', 'item-not-found', 'cancel'));
    await alice.stop();
  });
});

describe('bad roster sets and other people\'s rosters (§2.3.3)', () => {
  it('rejects what a client may not set, and changes nothing', async () => {
    const [aliceJid, bob, carol] = await createUsers(server, ['alice', 'bob', 'carol']);
    const alice = await enter(server, aliceJid!, { roster: true });

    await alice.sends(set('bad-1', `<item jid='${bob}'/><item jid='${carol}'/>`));
    await alice.receives(stanzaError('bad-1', 'bad-request'));
    await alice.sends(set('bad-2', `<item jid='${bob}'><group>Friends</group><group>Friends</group></item>`));
    await alice.receives(stanzaError('bad-2', 'bad-request'));
    await alice.sends(set('bad-3', `<item jid='${bob}'><group></group></item>`));
    await alice.receives(stanzaError('bad-3', 'not-acceptable'));
    await alice.sends(set('bad-4', `<item jid='${bob}' name='${'B'.repeat(5000)}'/>`));
    await alice.receives(stanzaError('bad-4', 'not-acceptable'));
    await alice.sends(set('bad-5', `<item jid='${aliceJid}'/>`));
    await alice.receives(stanzaError('bad-5', 'not-allowed'));

    await alice.sends(get('roster-1'));
    await alice.receives(roster('result', ''));
    await alice.receivesNothing();
    await alice.stop();
  });

  it("ignores a subscription state set by the client: the server owns it (§2.1.2.5)", async () => {
    const [aliceJid, bob] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!, { roster: true });

    await alice.sends(set('set-1', `<item jid='${bob}' name='Bob' subscription='both'/>`));
    await alice.receives(roster('set', `<item jid='${bob}' name='Bob' subscription='none'/>`), result('set-1'));
    await alice.sends(get('roster-1'));
    await alice.receives(roster('result', `<item jid='${bob}' name='Bob' subscription='none'/>`));
    await alice.stop();
  });

  it("refuses to show or change someone else's roster with forbidden", async () => {
    const [aliceJid, bobJid, carol] = await createUsers(server, ['alice', 'bob', 'carol']);
    const bob = await enter(server, bobJid!);
    const alice = await enter(server, aliceJid!, { transport: 'websocket' });
    await bob.sends(set('set-1', `<item jid='${carol}'/>`));
    await bob.receives(result('set-1'));

    await alice.sends(get('peek-1', '', `to='${bobJid}'`));
    await alice.receives(stanzaError('peek-1', 'forbidden', 'auth'));
    await alice.sends(set('change-1', `<item jid='${carol}' subscription='remove'/>`, `to='${bobJid}'`));
    await alice.receives(stanzaError('change-1', 'forbidden'));
    await bob.sends(get('roster-1'));
    await bob.receives(roster('result', `<item jid='${carol}' subscription='none'/>`));
    await leaveAll(alice, bob);
  });
});

describe('roster size limit (limits.rosterItems)', () => {
  it('refuses an eleventh contact with not-allowed, still updates existing ones', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const alice = await enter(server, aliceJid!, { transport: 'websocket' });
    for (let i = 0; i < 10; i++) {
      await alice.sends(set(`add-${i}`, `<item jid='contact${i}@example.com'/>`));
      await alice.receives(result(`add-${i}`));
    }

    await alice.sends(set('add-11', "<item jid='one-too-many@example.com'/>"));
    await alice.receives(stanzaError('add-11', 'not-allowed'));
    await alice.sends(set('rename-3', "<item jid='contact3@example.com' name='Still editable'/>"));
    await alice.receives(result('rename-3'));
    const item = (i: number) => `<item jid='contact${i}@example.com' ${i === 3 ? "name='Still editable' " : ''}subscription='none'/>`;
    await alice.sends(get('roster-1'));
    await alice.receives(roster('result', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(item).join('')));

    // Room again after a removal (Alice is an interested resource now: her changes come back as pushes).
    await alice.sends(set('remove-0', "<item jid='contact0@example.com' subscription='remove'/>"));
    await alice.receives(roster('set', "<item jid='contact0@example.com' subscription='remove'/>"), result('remove-0'));
    await alice.sends(set('add-12', "<item jid='one-more@example.com'/>"));
    await alice.receives(roster('set', "<item jid='one-more@example.com' subscription='none'/>"), result('add-12'));
    await alice.sends(get('roster-2'));
    await alice.receives(roster('result', [1, 2, 3, 4, 5, 6, 7, 8, 9].map(item).join('') + "<item jid='one-more@example.com' subscription='none'/>"));
    await alice.stop();
  });
});
