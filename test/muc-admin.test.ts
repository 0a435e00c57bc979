// XEP-0045 §8–§10 through real sockets: kicking, banning, voice, membership, moderator and admin
// lists, the owner's form with every muc#roomconfig field, members-only and password rooms,
// registration, destroy with an alternate venue; XEP-0313 on rooms with full-text search,
// XEP-0425 retraction, XEP-0410 self-ping; and the service's limits.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { testStorageBackend } from './helpers/test-storage.ts';
import { errorCondition, iq, iqError, onlineUsers, stopAll, xml, type Element, type LoggedInClient } from './helpers/im.ts';
import {
  MUC_ADMIN, MUC_OWNER, MUC_USER, SERVICE, adminItems, createRoom, groupchat, isGroupchat, isPresenceOf, itemOf, join, joinError,
  newRoom, statusCodes,
} from './helpers/muc.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ config: { modules: { muc: { maxRoomsPerUser: 3, messageBurst: 5, messagesPerSecond: 1, maxOccupants: 50 } } } });
});
afterAll(() => server.stop());

const users = (...names: string[]) => onlineUsers(server, ...names);
const bareOf = (client: LoggedInClient) => client.jid.split('/')[0]!;

const ROOMCONFIG_FIELDS = [
  'muc#roomconfig_roomname', 'muc#roomconfig_roomdesc', 'muc#roomconfig_lang', 'muc#roomconfig_enablelogging',
  'muc#roomconfig_changesubject', 'muc#roomconfig_allowinvites', 'muc#roomconfig_allowpm', 'muc#roomconfig_maxusers',
  'muc#roomconfig_presencebroadcast', 'muc#roomconfig_getmemberlist', 'muc#roomconfig_publicroom', 'muc#roomconfig_persistentroom',
  'muc#roomconfig_moderatedroom', 'muc#roomconfig_membersonly', 'muc#roomconfig_passwordprotectedroom', 'muc#roomconfig_roomsecret',
  'muc#roomconfig_whois', 'muc#maxhistoryfetch', 'muc#roomconfig_roomadmins', 'muc#roomconfig_roomowners', 'muc#roomconfig_pubsub',
];

describe('the owner (§10)', () => {
  it('gets a form with every standard muc#roomconfig field; others get forbidden', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    const form = await iq(alice!, 'get', xml('query', { xmlns: MUC_OWNER }), room);
    const fields = form.getChild('query')!.getChild('x', 'jabber:x:data')!.getChildren('field').map((field) => field.attrs.var);
    expect(fields).toEqual(expect.arrayContaining(ROOMCONFIG_FIELDS));
    expect((await iqError(bob!, 'get', xml('query', { xmlns: MUC_OWNER }), room)).condition).toBe('forbidden');
    // a bad value is not-acceptable
    const bad = await iqError(alice!, 'set', xml('query', { xmlns: MUC_OWNER }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'muc#roomconfig_whois' }, xml('value', {}, 'everybody')))), room);
    expect(bad.condition).toBe('not-acceptable');
    await stopAll(alice!, bob!);
  });

  it('password-protected rooms: not-authorized without or with a wrong password', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice', { 'muc#roomconfig_passwordprotectedroom': true, 'muc#roomconfig_roomsecret': 'sesame' });
    expect(await joinError(bob!, room, 'Bob')).toBe('not-authorized');
    expect(await joinError(bob!, room, 'Bob', { password: 'wrong' })).toBe('not-authorized');
    await join(bob!, room, 'Bob', { password: 'sesame' });
    await stopAll(alice!, bob!);
  });

  it('members-only rooms: registration-required for non-members; an admin invitation makes a member', async () => {
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice', { 'muc#roomconfig_membersonly': true });
    expect(await joinError(bob!, room, 'Bob')).toBe('registration-required');
    await iq(alice!, 'set', adminItems({ jid: bareOf(bob!), affiliation: 'member' }), room);
    await join(bob!, room, 'Bob');
    const invite = carol!.next((s) => s.is('message') && s.getChild('x', MUC_USER)?.getChild('invite') !== undefined);
    await alice!.xmpp.send(xml('message', { to: room }, xml('x', { xmlns: MUC_USER }, xml('invite', { to: bareOf(carol!) }))));
    await invite;
    await join(carol!, room, 'Carol');
    const members = await iq(alice!, 'get', adminItems({ affiliation: 'member' }), room);
    expect(members.getChild('query')!.getChildren('item').map((item) => item.attrs.jid).sort()).toEqual([bareOf(bob!), bareOf(carol!)].sort());
    // removing a member from a members-only room removes them from it (321)
    const removed = bob!.next((s) => isPresenceOf(`${room}/Bob`, 'unavailable')(s) && statusCodes(s).includes('321'));
    await iq(alice!, 'set', adminItems({ jid: bareOf(bob!), affiliation: 'none' }), room);
    await removed;
    await stopAll(alice!, bob!, carol!);
  });

  it('destroys a room: occupants get <destroy/> with the alternate venue and reason', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    await join(bob!, room, 'Bob');
    expect((await iqError(bob!, 'set', xml('query', { xmlns: MUC_OWNER }, xml('destroy')), room)).condition).toBe('forbidden');
    const gone = bob!.next((s) => isPresenceOf(`${room}/Bob`, 'unavailable')(s));
    await iq(alice!, 'set', xml('query', { xmlns: MUC_OWNER }, xml('destroy', { jid: `elsewhere@${SERVICE}` }, xml('reason', {}, 'moved'))), room);
    const destroy = (await gone).getChild('x', MUC_USER)!.getChild('destroy')!;
    expect(destroy.attrs.jid).toBe(`elsewhere@${SERVICE}`);
    expect(destroy.getChildText('reason')).toBe('moved');
    expect((await iqError(bob!, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), room)).condition).toBe('item-not-found');
    await stopAll(alice!, bob!);
  });

  it('room info: muc#roominfo form and features; the directory lists public rooms only', async () => {
    const [alice] = await users('alice');
    const open = newRoom('open');
    const hidden = newRoom('hidden');
    await createRoom(alice!, open, 'Alice', { 'muc#roomconfig_roomname': 'Open plan', 'muc#roomconfig_roomdesc': 'for all' });
    await createRoom(alice!, hidden, 'Alice', { 'muc#roomconfig_publicroom': false });
    const info = (await iq(alice!, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), open)).getChild('query')!;
    expect(info.getChild('identity')!.attrs).toMatchObject({ category: 'conference', type: 'text', name: 'Open plan' });
    const features = info.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining(['http://jabber.org/protocol/muc', 'muc_public', 'muc_temporary', 'muc_open', 'muc_semianonymous', 'urn:xmpp:mam:2', 'urn:xmpp:occupant-id:0']));
    const form = info.getChild('x', 'jabber:x:data')!;
    const value = (name: string) => form.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value');
    expect(value('FORM_TYPE')).toBe('http://jabber.org/protocol/muc#roominfo');
    expect(value('muc#roominfo_description')).toBe('for all');
    expect(value('muc#roominfo_occupants')).toBe('1');
    const items = (await iq(alice!, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }), SERVICE)).getChild('query')!;
    const listed = items.getChildren('item').map((item) => item.attrs.jid);
    expect(listed).toContain(open);
    expect(listed).not.toContain(hidden);
    await stopAll(alice!);
  });
});

describe('moderators and admins (§8, §9)', () => {
  it('kick (307) with actor and reason; a moderator cannot kick an owner (not-allowed); participants cannot kick (forbidden)', async () => {
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    await join(bob!, room, 'Bob');
    await join(carol!, room, 'Carol');
    expect((await iqError(bob!, 'set', adminItems({ nick: 'Carol', role: 'none' }), room)).condition).toBe('forbidden');
    await iq(alice!, 'set', adminItems({ nick: 'Bob', role: 'moderator' }), room).catch(() => undefined);
    const kicked = carol!.next((s) => isPresenceOf(`${room}/Carol`, 'unavailable')(s) && statusCodes(s).includes('307'));
    const seen = alice!.next((s) => isPresenceOf(`${room}/Carol`, 'unavailable')(s) && statusCodes(s).includes('307'));
    await iq(alice!, 'set', adminItems({ nick: 'Carol', role: 'none', reason: 'enough' }), room);
    const presence = await kicked;
    expect(presence.getChild('x', MUC_USER)!.getChild('item')!.getChildText('reason')).toBe('enough');
    expect(presence.getChild('x', MUC_USER)!.getChild('item')!.getChild('actor')!.attrs.nick).toBe('Alice');
    await seen;
    expect((await iqError(bob!, 'set', adminItems({ nick: 'Alice', role: 'none' }), room)).condition).toBe('not-allowed');
    await stopAll(alice!, bob!, carol!);
  });

  it('ban (301): the banned user leaves and cannot come back (forbidden); the outcast list shows them', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    await join(bob!, room, 'Bob');
    const banned = bob!.next((s) => isPresenceOf(`${room}/Bob`, 'unavailable')(s) && statusCodes(s).includes('301'));
    await iq(alice!, 'set', adminItems({ jid: bareOf(bob!), affiliation: 'outcast', reason: 'spam' }), room);
    expect(itemOf(await banned).affiliation).toBe('outcast');
    expect(await joinError(bob!, room, 'Bob')).toBe('forbidden');
    const outcasts = await iq(alice!, 'get', adminItems({ affiliation: 'outcast' }), room);
    expect(outcasts.getChild('query', MUC_ADMIN)!.getChildren('item').map((item) => item.attrs.jid)).toEqual([bareOf(bob!)]);
    await stopAll(alice!, bob!);
  });

  it('voice: revoking makes a visitor who may not speak; granting gives it back', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    await join(bob!, room, 'Bob');
    const revoked = bob!.next((s) => isPresenceOf(`${room}/Bob`)(s) && itemOf(s).role === 'visitor');
    await iq(alice!, 'set', adminItems({ nick: 'Bob', role: 'visitor' }), room);
    await revoked;
    const refused = bob!.next((s) => s.is('message') && s.attrs.type === 'error');
    await bob!.xmpp.send(groupchat(room, 'hello?'));
    expect(errorCondition(await refused)).toBe('forbidden');
    await iq(alice!, 'set', adminItems({ nick: 'Bob', role: 'participant' }), room);
    const echo = bob!.next(isGroupchat('back'));
    await bob!.xmpp.send(groupchat(room, 'back'));
    await echo;
    await stopAll(alice!, bob!);
  });

  it('the last owner cannot step down (conflict); admins cannot touch owners (not-allowed)', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    expect((await iqError(alice!, 'set', adminItems({ jid: bareOf(alice!), affiliation: 'admin' }), room)).condition).toBe('conflict');
    await iq(alice!, 'set', adminItems({ jid: bareOf(bob!), affiliation: 'admin' }), room);
    await join(bob!, room, 'Bob');
    expect((await iqError(bob!, 'set', adminItems({ jid: bareOf(alice!), affiliation: 'none' }), room)).condition).toBe('not-allowed');
    const admins = await iq(alice!, 'get', adminItems({ affiliation: 'admin' }), room);
    expect(admins.getChild('query')!.getChildren('item').map((item) => item.attrs.jid)).toEqual([bareOf(bob!)]);
    await stopAll(alice!, bob!);
  });
});

describe('registration (§7.10)', () => {
  it('reserves a nickname: others get conflict for it; the registered user sees it in x-roomuser-item', async () => {
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    const form = await iq(bob!, 'get', xml('query', { xmlns: 'jabber:iq:register' }), room);
    expect(form.getChild('query')!.getChild('x', 'jabber:x:data')).toBeDefined();
    await iq(bob!, 'set', xml('query', { xmlns: 'jabber:iq:register' }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'http://jabber.org/protocol/muc#register')),
      xml('field', { var: 'muc#register_roomnick' }, xml('value', {}, 'Bobby')))), room);
    expect(await joinError(carol!, room, 'bobby')).toBe('conflict');
    const reserved = await iq(bob!, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'x-roomuser-item' }), room);
    expect(reserved.getChild('query')!.getChild('identity')!.attrs.name).toBe('Bobby');
    const registered = await iq(bob!, 'get', xml('query', { xmlns: 'jabber:iq:register' }), room);
    expect(registered.getChild('query')!.getChild('registered')).toBeDefined();
    await stopAll(alice!, bob!, carol!);
  });
});

describe('the room archive (XEP-0313) and XEP-0425, XEP-0410', () => {
  it('archives each message once; occupants page it and search it; a moderator retracts a message', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    await join(bob!, room, 'Bob');
    const ids: string[] = [];
    for (const body of ['the blue whale', 'a red fox', 'blue skies']) {
      const echo = bob!.next(isGroupchat(body));
      await alice!.xmpp.send(groupchat(room, body));
      ids.push((await echo).getChild('stanza-id', 'urn:xmpp:sid:0')!.attrs.id as string);
    }
    await server.server.archive!.store.flush();
    const results = (client: LoggedInClient, queryid: string) => client.received.filter((s) => s.getChild('result', 'urn:xmpp:mam:2')?.attrs.queryid === queryid);
    const fin = await iq(bob!, 'set', xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: 'all' }, xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('max', {}, '2'))), room);
    expect(fin.getChild('fin')!.getChild('set')!.getChildText('count')).toBe('3');
    const page = results(bob!, 'all');
    expect(page.map((m) => m.getChild('result')!.attrs.id)).toEqual(ids.slice(0, 2));
    const forwarded = page[0]!.getChild('result')!.getChild('forwarded')!.getChild('message')!;
    expect(forwarded.attrs.from).toBe(`${room}/Alice`);
    expect(page[0]!.attrs.from).toBe(room);
    // XEP-0431 full-text search in the room
    await iq(bob!, 'set', xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: 'blue' }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'urn:xmpp:mam:2')),
      xml('field', { var: '{urn:xmpp:fulltext:0}fulltext' }, xml('value', {}, 'blue')))), room);
    expect(results(bob!, 'blue').map((m) => m.getChild('result')!.getChild('forwarded')!.getChild('message')!.getChildText('body'))).toEqual(['the blue whale', 'blue skies']);
    // XEP-0425: participants may not retract; moderators may, and everyone is told
    const moderate = (id: string) => xml('moderate', { xmlns: 'urn:xmpp:message-moderate:1', id }, xml('retract', { xmlns: 'urn:xmpp:message-retract:1' }), xml('reason', {}, 'off topic'));
    expect((await iqError(bob!, 'set', moderate(ids[1]!), room)).condition).toBe('forbidden');
    expect((await iqError(alice!, 'set', moderate('no-such-id'), room)).condition).toBe('item-not-found');
    const told = bob!.next((s) => s.is('message') && s.getChild('retract', 'urn:xmpp:message-retract:1') !== undefined);
    await iq(alice!, 'set', moderate(ids[1]!), room);
    const retract = (await told).getChild('retract', 'urn:xmpp:message-retract:1')!;
    expect(retract.attrs.id).toBe(ids[1]);
    expect(retract.getChild('moderated', 'urn:xmpp:message-moderate:1')!.attrs.by).toBe(`${room}/Alice`);
    await stopAll(alice!, bob!);
  });

  it('self-ping: result for an occupant, not-acceptable for anyone else', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    await iq(alice!, 'get', xml('ping', { xmlns: 'urn:xmpp:ping' }), `${room}/Alice`);
    expect((await iqError(bob!, 'get', xml('ping', { xmlns: 'urn:xmpp:ping' }), `${room}/Alice`)).condition).toBe('not-acceptable');
    await stopAll(alice!, bob!);
  });
});

describe('limits', () => {
  it('rooms per user (resource-constraint), message rate per occupant (resource-constraint), unknown rooms (item-not-found)', async () => {
    const [alice] = await users('alice');
    for (let i = 0; i < 3; i++) await createRoom(alice!, newRoom('mine'), 'Alice', { 'muc#roomconfig_persistentroom': true });
    expect(await joinError(alice!, newRoom('mine'), 'Alice')).toBe('resource-constraint');
    const [bob] = await users('bob');
    const room = newRoom();
    await createRoom(bob!, room, 'Bob');
    const errors: Element[] = [];
    const limited = bob!.next((s) => s.is('message') && s.attrs.type === 'error');
    for (let i = 0; i < 8; i++) await bob!.xmpp.send(groupchat(room, `burst ${i}`));
    errors.push(await limited);
    expect(errorCondition(errors[0]!)).toBe('resource-constraint');
    const unknown = bob!.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.from === `nowhere@${SERVICE}`);
    await bob!.xmpp.send(groupchat(`nowhere@${SERVICE}`, 'hello?'));
    expect(errorCondition(await unknown)).toBe('item-not-found');
    await stopAll(alice!, bob!);
  });

  // A room's write goes to the store after the owner's configuration result. On PostgreSQL the count
  // of a user's rooms can be read on another pooled connection before that write is done; SQLite's
  // one connection takes them in order, so only PostgreSQL can show it.
  it.runIf(testStorageBackend === 'postgres')('rooms per user counts a room whose write is still on its way', async () => {
    const [carol] = await users('carol');
    for (let i = 0; i < 2; i++) await createRoom(carol!, newRoom('hers'), 'Carol', { 'muc#roomconfig_persistentroom': true });
    // the key-value table refuses writes (reads go on) until released: the third room's write waits
    const blocker = new pg.Client({ connectionString: server.storage.postgres!.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE key_values IN EXCLUSIVE MODE');
      await createRoom(carol!, newRoom('hers'), 'Carol', { 'muc#roomconfig_persistentroom': true });
      const fourth = newRoom('hers');
      const answer = carol!.next((s) => s.is('presence') && s.attrs.from === `${fourth}/Carol`);
      await carol!.xmpp.send(xml('presence', { to: `${fourth}/Carol` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
      // the fourth room is not created while the third one's write waits
      const early = await Promise.race([answer.then(() => 'answered'), new Promise((resolve) => setTimeout(resolve, 500, 'waiting'))]);
      expect(early).toBe('waiting');
      await blocker.query('COMMIT');
      const refusal = await answer;
      expect(refusal.attrs.type).toBe('error');
      expect(errorCondition(refusal)).toBe('resource-constraint');
    } finally {
      await blocker.end();
    }
    await stopAll(carol!);
  });

  it('the room is full: service-unavailable, admins still enter', async () => {
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice', { 'muc#roomconfig_maxusers': '2' });
    await join(bob!, room, 'Bob');
    expect(await joinError(carol!, room, 'Carol')).toBe('service-unavailable');
    await iq(alice!, 'set', adminItems({ jid: bareOf(carol!), affiliation: 'admin' }), room);
    await join(carol!, room, 'Carol');
    await stopAll(alice!, bob!, carol!);
  });
});


describe('room avatars (XEP-0486)', () => {
  it('owners set the room vCard; occupants get the hash in a presence from the room and in muc#roominfo', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice', { 'muc#roomconfig_persistentroom': true });
    await join(bob!, room, 'Bob');
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const vcard = xml('vCard', { xmlns: 'vcard-temp' }, xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, png.toString('base64'))));
    expect((await iqError(bob!, 'set', vcard, room)).condition).toBe('forbidden');
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha1').update(png).digest('hex');
    const announced = bob!.next((s) => s.is('presence') && s.attrs.from === room && s.getChild('x', 'vcard-temp:x:update')?.getChildText('photo') === hash);
    await iq(alice!, 'set', vcard, room);
    await announced;
    const fetched = await iq(bob!, 'get', xml('vCard', { xmlns: 'vcard-temp' }), room);
    expect(fetched.getChild('vCard')!.getChild('PHOTO')!.getChildText('BINVAL')).toBe(png.toString('base64'));
    const info = (await iq(bob!, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), room)).getChild('query')!;
    const field = info.getChild('x', 'jabber:x:data')!.getChildren('field').find((f) => f.attrs.var === 'muc#roominfo_avatarhash');
    expect(field!.getChildText('value')).toBe(hash);
    expect(info.getChildren('feature').map((f) => f.attrs.var)).toContain('vcard-temp');
    await stopAll(alice!, bob!);
  });
});
