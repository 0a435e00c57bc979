// XEP-0045 Multi-User Chat through real sockets with @xmpp/client occupants: the service, creating
// rooms (locked until configured), entering with history and subject, nicknames, messages, private
// messages, invitations, and each refusal with the XEP's error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { createUsers, errorCondition, iq, iqError, onlineUsers, received, stopAll, xml, type LoggedInClient } from './helpers/im.ts';
import {
  MUC_USER, SERVICE, configure, createRoom, groupchat, isGroupchat, isPresenceOf, isSubject, itemOf, join, joinError,
  joinPresence, newRoom, statusCodes,
} from './helpers/muc.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

const users = (...names: string[]) => onlineUsers(server, ...names);

describe('the MUC service (XEP-0045 §6)', () => {
  it('is listed in the domain disco#items and is a conference/text service', async () => {
    const [alice] = await users('alice');
    const items = await iq(alice!, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }), 'example.com');
    expect(items.getChild('query')!.getChildren('item').map((item) => item.attrs.jid)).toContain(SERVICE);
    const info = await iq(alice!, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), SERVICE);
    const query = info.getChild('query')!;
    expect(query.getChild('identity')!.attrs).toMatchObject({ category: 'conference', type: 'text' });
    expect(query.getChildren('feature').map((f) => f.attrs.var)).toContain('http://jabber.org/protocol/muc');
    await stopAll(alice!);
  });

  it('serves domains added at run time', async () => {
    await server.server.hosts.add('late.example');
    const [alice] = await users('alice');
    const info = await iq(alice!, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), 'conference.late.example');
    expect(info.getChild('query')!.getChild('identity')!.attrs.category).toBe('conference');
    await stopAll(alice!);
  });
});

describe('creating and entering rooms', () => {
  it('a new room is locked (201) until its owner configures it; others get item-not-found meanwhile', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    const self = await join(alice!, room, 'Alice');
    expect(statusCodes(self)).toEqual(expect.arrayContaining(['110', '201']));
    expect(itemOf(self)).toMatchObject({ affiliation: 'owner', role: 'moderator' });
    expect(await joinError(bob!, room, 'Bob')).toBe('item-not-found');
    await configure(alice!, room, {});
    const bobSelf = await join(bob!, room, 'Bob');
    expect(itemOf(bobSelf)).toMatchObject({ affiliation: 'none', role: 'participant' });
    // Alice sees Bob arrive; as a moderator she sees his real JID (§7.2.3 semi-anonymous)
    const arrival = await received(alice!, isPresenceOf(`${room}/Bob`));
    expect(itemOf(arrival).jid).toBe(bob!.jid);
    // Bob got Alice's presence before his own, without her real JID
    const aliceSeen = bob!.received.find(isPresenceOf(`${room}/Alice`))!;
    expect(itemOf(aliceSeen)).toMatchObject({ affiliation: 'owner', role: 'moderator' });
    expect(itemOf(aliceSeen).jid).toBeUndefined();
    expect(bob!.received.indexOf(aliceSeen)).toBeLessThan(bob!.received.indexOf(bobSelf));
    await stopAll(alice!, bob!);
  });

  it('a join without <x/> creates an instant room (groupchat 1.0)', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    await join(alice!, room, 'Alice', { bare: true });
    await join(bob!, room, 'Bob');
    await stopAll(alice!, bob!);
  });

  it('refuses bad nicknames (RFC 8266) with jid-malformed and applies the Nickname profile', async () => {
    const [alice] = await users('alice');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    const [bob, carol] = await users('bob', 'carol');
    // only spaces: nothing is left of it (RFC 8266 §2.2 rule 1)
    expect(await joinError(bob!, room, '   ')).toBe('jid-malformed');
    // fullwidth letters and doubled spaces: the room assigns the enforced nickname (status 210)
    const self = carol!.next((s) => s.is('presence') && statusCodes(s).includes('110'));
    await carol!.xmpp.send(joinPresence(`${room}/\uFF23arol  Ann`));
    const presence = await self;
    expect(presence.attrs.from).toBe(`${room}/Carol Ann`);
    expect(statusCodes(presence)).toContain('210');
    await stopAll(alice!, bob!, carol!);
  });

  it('nickname conflicts (case-insensitive) get conflict; a nickname change goes through 303', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    expect(await joinError(bob!, room, 'alice')).toBe('conflict');
    await join(bob!, room, 'Bob');
    const unavailable = received(alice!, (s) => isPresenceOf(`${room}/Bob`, 'unavailable')(s) && statusCodes(s).includes('303'));
    const available = alice!.next(isPresenceOf(`${room}/Robert`));
    await bob!.xmpp.send(xml('presence', { to: `${room}/Robert` }));
    expect(itemOf(await unavailable).nick).toBe('Robert');
    await available;
    // changing to a nickname in use: conflict from the occupant JID asked for
    const error = bob!.next((s) => s.is('presence') && s.attrs.type === 'error' && s.attrs.from === `${room}/Alice`);
    await bob!.xmpp.send(xml('presence', { to: `${room}/Alice` }));
    expect(errorCondition(await error)).toBe('conflict');
    await stopAll(alice!, bob!);
  });

  it('sends history per maxstanzas/maxchars/seconds/since, with delay stamped by the room, then the subject', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    for (const body of ['one', 'two', 'three']) {
      const echo = alice!.next(isGroupchat(body));
      await alice!.xmpp.send(groupchat(room, body));
      await echo;
    }
    await join(bob!, room, 'Bob', { history: { maxstanzas: '2' } });
    const history = bob!.received.filter(isGroupchat());
    expect(history.map((m) => m.getChildText('body'))).toEqual(['two', 'three']);
    expect(history[0]!.getChild('delay', 'urn:xmpp:delay')!.attrs.from).toBe(room);
    const subjectAt = bob!.received.findIndex(isSubject(room));
    expect(subjectAt).toBeGreaterThan(bob!.received.indexOf(history[1]!));
    const [carol, dave, erin] = await users('carol', 'dave', 'erin');
    await join(carol!, room, 'Carol', { history: { maxchars: '0' } });
    expect(carol!.received.filter(isGroupchat())).toEqual([]);
    await join(dave!, room, 'Dave', { history: { since: new Date(Date.now() + 60_000).toISOString() } });
    expect(dave!.received.filter(isGroupchat())).toEqual([]);
    await join(erin!, room, 'Erin', { history: { seconds: '3600' } });
    expect(erin!.received.filter(isGroupchat()).length).toBe(3);
    await stopAll(alice!, bob!, carol!, dave!, erin!);
  });
});

describe('messages', () => {
  it('a groupchat message reaches every occupant from room/nick with the room stanza-id and an occupant id', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    await join(bob!, room, 'Bob');
    const atAlice = alice!.next(isGroupchat('hello'));
    const atBob = bob!.next(isGroupchat('hello'));
    await bob!.xmpp.send(groupchat(room, 'hello', 'm1'));
    const [a, b] = await Promise.all([atAlice, atBob]);
    for (const message of [a, b]) {
      expect(message.attrs.from).toBe(`${room}/Bob`);
      expect(message.attrs.id).toBe('m1');
      expect(message.getChild('stanza-id', 'urn:xmpp:sid:0')!.attrs.by).toBe(room);
      expect(message.getChild('occupant-id', 'urn:xmpp:occupant-id:0')!.attrs.id).toBeTruthy();
    }
    expect(a.attrs.to).toBe(alice!.jid);
    expect(b.attrs.to).toBe(bob!.jid);
    await stopAll(alice!, bob!);
  });

  it('a non-occupant gets not-acceptable; a visitor in a moderated room forbidden', async () => {
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice', { 'muc#roomconfig_moderatedroom': true });
    const error = carol!.next((s) => s.is('message') && s.attrs.type === 'error');
    await carol!.xmpp.send(groupchat(room, 'intruder'));
    expect(errorCondition(await error)).toBe('not-acceptable');
    const self = await join(bob!, room, 'Bob');
    expect(itemOf(self).role).toBe('visitor');
    const refused = bob!.next((s) => s.is('message') && s.attrs.type === 'error');
    await bob!.xmpp.send(groupchat(room, 'may I?'));
    expect(errorCondition(await refused)).toBe('forbidden');
    await stopAll(alice!, bob!, carol!);
  });

  it('private messages go to the occupant from the sender occupant JID', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    await join(bob!, room, 'Bob');
    const pm = alice!.next((s) => s.is('message') && s.getChildText('body') === 'psst');
    await bob!.xmpp.send(xml('message', { to: `${room}/Alice`, type: 'chat' }, xml('body', {}, 'psst')));
    const message = await pm;
    expect(message.attrs.from).toBe(`${room}/Bob`);
    expect(message.getChild('x', MUC_USER)).toBeDefined();
    const error = bob!.next((s) => s.is('message') && s.attrs.type === 'error');
    await bob!.xmpp.send(xml('message', { to: `${room}/Nobody`, type: 'chat' }, xml('body', {}, 'hello?')));
    expect(errorCondition(await error)).toBe('item-not-found');
    await stopAll(alice!, bob!);
  });

  it('subject changes: moderators may; participants only when the room allows it', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    await join(bob!, room, 'Bob');
    const refused = bob!.next((s) => s.is('message') && s.attrs.type === 'error');
    await bob!.xmpp.send(xml('message', { to: room, type: 'groupchat' }, xml('subject', {}, 'mine')));
    expect(errorCondition(await refused)).toBe('forbidden');
    const subject = bob!.next((s) => isSubject(room)(s) && s.getChildText('subject') === 'Plans');
    await alice!.xmpp.send(xml('message', { to: room, type: 'groupchat' }, xml('subject', {}, 'Plans')));
    expect((await subject).attrs.from).toBe(`${room}/Alice`);
    await stopAll(alice!, bob!);
  });

  it('mediated invitations reach the invitee from the room; declines reach the inviter', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    const invitation = bob!.next((s) => s.is('message') && s.getChild('x', MUC_USER)?.getChild('invite') !== undefined);
    await alice!.xmpp.send(xml('message', { to: room }, xml('x', { xmlns: MUC_USER }, xml('invite', { to: bob!.jid.split('/')[0] }, xml('reason', {}, 'join us')))));
    const invite = await invitation;
    expect(invite.attrs.from).toBe(room);
    expect(invite.getChild('x', MUC_USER)!.getChild('invite')!.attrs.from).toBe(alice!.jid.split('/')[0]);
    const decline = alice!.next((s) => s.is('message') && s.getChild('x', MUC_USER)?.getChild('decline') !== undefined);
    await bob!.xmpp.send(xml('message', { to: room }, xml('x', { xmlns: MUC_USER }, xml('decline', { to: alice!.jid.split('/')[0] }, xml('reason', {}, 'busy')))));
    expect((await decline).getChild('x', MUC_USER)!.getChild('decline')!.attrs.from).toBe(bob!.jid.split('/')[0]);
    await stopAll(alice!, bob!);
  });
});

describe('leaving', () => {
  it('an unavailable presence leaves: everyone gets it, the leaver with 110; the temporary room goes with its last occupant', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    await join(bob!, room, 'Bob');
    const seen = alice!.next(isPresenceOf(`${room}/Bob`, 'unavailable'));
    const self = bob!.next((s) => isPresenceOf(`${room}/Bob`, 'unavailable')(s) && statusCodes(s).includes('110'));
    await bob!.xmpp.send(xml('presence', { to: `${room}/Bob`, type: 'unavailable' }));
    await Promise.all([seen, self]);
    await alice!.xmpp.send(xml('presence', { to: `${room}/Alice`, type: 'unavailable' }));
    await received(alice!, (s) => isPresenceOf(`${room}/Alice`, 'unavailable')(s));
    const info = await iqError(bob!, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), room);
    expect(info.condition).toBe('item-not-found');
    await stopAll(alice!, bob!);
  });

  it('a client that disconnects leaves the room', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    await join(bob!, room, 'Bob');
    const gone = alice!.next(isPresenceOf(`${room}/Bob`, 'unavailable'));
    await bob!.xmpp.stop();
    await gone;
    await stopAll(alice!);
  });
});


describe('with slixmpp as an occupant (its xep_0045 plugin)', () => {
  it('enters with history, hears and speaks in the room, gets not-authorized for a wrong password, leaves', async () => {
    const { spawn } = await import('node:child_process');
    const { passwordOf } = await import('./helpers/im.ts');
    const [alice] = await users('alice');
    const [sliJid] = await createUsers(server, ['sli']);
    const room = newRoom();
    const locked = newRoom('locked');
    await createRoom(alice!, room, 'Alice');
    await createRoom(alice!, locked, 'Alice', { 'muc#roomconfig_passwordprotectedroom': true, 'muc#roomconfig_roomsecret': 'right' });
    const before = alice!.next(isGroupchat('before you came'));
    await alice!.xmpp.send(groupchat(room, 'before you came'));
    await before;
    const child = spawn('/usr/bin/python3', [new URL('./helpers/slixmpp_muc.py', import.meta.url).pathname, JSON.stringify({
      jid: sliJid, password: passwordOf(sliJid!), host: '127.0.0.1', port: server.ports.c2s,
      room, nick: 'Sli', wait_for: 'hello slixmpp', say: 'hello from slixmpp', locked_room: locked, timeout: 20,
    })], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let buffer = '';
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      lines.push(...parts.filter(Boolean));
    });
    // Alice sees Sli arrive, then speaks to it
    await received(alice!, isPresenceOf(`${room}/Sli`), 20_000);
    const answer = alice!.next(isGroupchat('hello from slixmpp'), 20_000);
    await alice!.xmpp.send(groupchat(room, 'hello slixmpp'));
    expect((await answer).attrs.from).toBe(`${room}/Sli`);
    await received(alice!, isPresenceOf(`${room}/Sli`, 'unavailable'), 20_000);
    expect(await exited).toBe(0);
    const result = JSON.parse(lines.at(-1)!);
    expect(result).toMatchObject({
      joined: `${room}/Sli`, role: 'participant', occupants: ['Alice', 'Sli'], history: ['before you came'],
      heard_from: `${room}/Alice`, locked_error: 'not-authorized',
    });
    expect(result.status).toContain(110);
    await stopAll(alice!);
  }, 60_000);
});

describe('XEP-0249 direct invitations', () => {
  it('reach the invitee as sent, from the inviter', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    const invitation = bob!.next((s) => s.is('message') && s.getChild('x', 'jabber:x:conference') !== undefined);
    await alice!.xmpp.send(xml('message', { to: bob!.jid.split('/')[0] }, xml('x', { xmlns: 'jabber:x:conference', jid: room, reason: 'our room' })));
    const message = await invitation;
    expect(message.attrs.from).toBe(alice!.jid);
    expect(message.getChild('x', 'jabber:x:conference')!.attrs).toMatchObject({ jid: room, reason: 'our room' });
    await join(bob!, room, 'Bob');
    await stopAll(alice!, bob!);
  });
});
