// XEP-0045 §7.13 and §8.6 through real sockets: a visitor in a moderated room (slixmpp, its
// xep_0045 plugin's request_voice) asks for voice; the room sends the moderator (@xmpp/client) the
// approval form, and nobody else; the moderator submits it with muc#request_allow and everyone
// sees the visitor become a participant. The errors: a request from an occupant who has voice, from
// someone not in the room, a malformed form, an approval from a non-moderator, a flood of requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { createUsers, errorCondition, expectNothing, iq, online, passwordOf, stopAll, xml, type Element, type LoggedInClient } from './helpers/im.ts';
import { MUC_USER, createRoom, groupchat, isGroupchat, isPresenceOf, itemOf, join, newRoom } from './helpers/muc.ts';
import { startSlixmppOccupant, type SlixmppOccupant } from './helpers/slixmpp-occupant.ts';

const MUC_REQUEST = 'http://jabber.org/protocol/muc#request';
const DATA = 'jabber:x:data';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

async function users(...names: string[]): Promise<LoggedInClient[]> {
  const jids = await createUsers(server, names);
  return Promise.all(jids.map((jid) => online(server, jid)));
}

/** A muc#request form as a client submits it: the request (muc#role only) or an approval. */
function requestMessage(room: string, fields: Record<string, string>, type = 'submit'): Element {
  return xml('message', { to: room, id: `voice-${Math.random().toString(36).slice(2)}` }, xml('x', { xmlns: DATA, type },
    xml('field', { var: 'FORM_TYPE' }, xml('value', {}, MUC_REQUEST)),
    ...Object.entries(fields).map(([name, value]) => xml('field', { var: name }, xml('value', {}, value)))));
}

const isApprovalForm = (room: string) => (s: Element) => s.is('message') && s.attrs.from === room && s.attrs.type !== 'error'
  && s.getChild('x', DATA)?.attrs.type === 'form';

function fieldsOf(form: Element): Record<string, string | undefined> {
  return Object.fromEntries(form.getChildren('field').map((field) => [field.attrs.var, field.getChildText('value') ?? undefined]));
}

/** Sends a message that must bounce; resolves with its error condition. */
async function refused(client: LoggedInClient, message: Element): Promise<string | undefined> {
  const error = client.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === message.attrs.id);
  await client.xmpp.send(message);
  return errorCondition(await error);
}

describe('voice requests in a moderated room (§7.13, §8.6)', () => {
  let sli: SlixmppOccupant | undefined;
  afterAll(async () => {
    await sli?.stop();
  });

  it('a slixmpp visitor asks; only the moderator gets the approval form; approving makes the visitor a participant for all', async () => {
    const [alice, carol] = await users('alice', 'carol');
    const [sliJid] = await createUsers(server, ['sli']);
    const room = newRoom('moderated');
    await createRoom(alice!, room, 'Alice', { 'muc#roomconfig_moderatedroom': true });
    const info = await iq(alice!, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), room);
    expect(info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var)).toContain(MUC_REQUEST);
    // Carol, a member, speaks (participant) but does not moderate
    await iq(alice!, 'set', xml('query', { xmlns: 'http://jabber.org/protocol/muc#admin' }, xml('item', { jid: carol!.jid.split('/')[0], affiliation: 'member' })), room);
    expect(itemOf(await join(carol!, room, 'Carol')).role).toBe('participant');

    sli = await startSlixmppOccupant(server.ports.c2s, sliJid!, passwordOf(sliJid!));
    sli.send({ cmd: 'join', room, nick: 'Sli' });
    expect((await sli.waitFor((e) => e.event === 'joined' && e.room === room)).role).toBe('visitor');
    // a visitor has no voice (§7.4)
    sli.send({ cmd: 'say', room, body: 'may I speak?' });
    expect((await sli.waitFor((e) => e.event === 'message_error' && e.room === room)).error).toBe('forbidden');

    const carolSince = carol!.received.length;
    const form = alice!.next(isApprovalForm(room));
    sli.send({ cmd: 'request_voice', room });
    const approval = (await form).getChild('x', DATA)!;
    const fields = fieldsOf(approval);
    expect(fields).toMatchObject({ FORM_TYPE: MUC_REQUEST, 'muc#role': 'participant', 'muc#roomnick': 'Sli', 'muc#request_allow': 'false' });
    expect(fields['muc#jid']!.split('/')[0]).toBe(sliJid);
    expect(approval.getChildText('title')).toBe('Voice request');
    expect(approval.getChildren('field').find((f) => f.attrs.var === 'muc#request_allow')!.attrs.type).toBe('boolean');
    await expectNothing(carol!, isApprovalForm(room), { since: carolSince });

    // the moderator grants it: Sli's new role in presence to everyone, Alice named as the actor
    const seenByCarol = carol!.next((s) => isPresenceOf(`${room}/Sli`)(s) && itemOf(s).role === 'participant');
    await alice!.xmpp.send(requestMessage(room, {
      'muc#role': 'participant', 'muc#jid': fields['muc#jid']!, 'muc#roomnick': 'Sli', 'muc#request_allow': 'true',
    }));
    await sli.waitFor((e) => e.event === 'presence' && e.nick === 'Sli' && e.role === 'participant' && (e.codes ?? []).includes(110));
    const presence = await seenByCarol;
    expect(presence.getChild('x', MUC_USER)!.getChild('item')!.getChild('actor')?.attrs.nick).toBe('Alice');
    // and Sli speaks
    const heard = alice!.next(isGroupchat('thank you'));
    sli.send({ cmd: 'say', room, body: 'thank you' });
    expect((await heard).attrs.from).toBe(`${room}/Sli`);

    // a participant asking again has voice already
    sli.send({ cmd: 'request_voice', room });
    await sli.waitFor((e) => e.event === 'message_error' && e.room === room && e.error === 'not-acceptable');
    await stopAll(alice!, carol!);
  });

  it('a moderator who answers false (or cancels) leaves the visitor without voice', async () => {
    const [alice, bob] = await users('alice', 'bob');
    const room = newRoom('moderated');
    await createRoom(alice!, room, 'Alice', { 'muc#roomconfig_moderatedroom': true });
    await join(bob!, room, 'Bob');
    const form = alice!.next(isApprovalForm(room));
    await bob!.xmpp.send(requestMessage(room, { 'muc#role': 'participant' }));
    const fields = fieldsOf((await form).getChild('x', DATA)!);
    const since = bob!.received.length;
    await alice!.xmpp.send(requestMessage(room, { 'muc#jid': fields['muc#jid']!, 'muc#roomnick': 'Bob', 'muc#request_allow': 'false' }));
    await alice!.xmpp.send(xml('message', { to: room }, xml('x', { xmlns: DATA, type: 'cancel' },
      xml('field', { var: 'FORM_TYPE' }, xml('value', {}, MUC_REQUEST)))));
    await expectNothing(bob!, (s) => isPresenceOf(`${room}/Bob`)(s) || s.attrs.type === 'error', { since });
    expect(await refused(bob!, groupchat(room, 'still a visitor', 'v1'))).toBe('forbidden');
    await stopAll(alice!, bob!);
  });

  it('errors: not in the room (not-acceptable), already has voice (not-acceptable), malformed forms (bad-request), approvals by others (forbidden), floods (resource-constraint)', async () => {
    const [alice, bob, dave] = await users('alice', 'bob', 'dave');
    const room = newRoom('moderated');
    await createRoom(alice!, room, 'Alice', { 'muc#roomconfig_moderatedroom': true });
    // not an occupant
    expect(await refused(dave!, requestMessage(room, { 'muc#role': 'participant' }))).toBe('not-acceptable');
    // a moderator has voice
    expect(await refused(alice!, requestMessage(room, { 'muc#role': 'participant' }))).toBe('not-acceptable');
    await join(bob!, room, 'Bob');
    // malformed: no role, another role, a form that is not submitted
    expect(await refused(bob!, requestMessage(room, {}))).toBe('bad-request');
    expect(await refused(bob!, requestMessage(room, { 'muc#role': 'moderator' }))).toBe('bad-request');
    expect(await refused(bob!, requestMessage(room, { 'muc#role': 'participant' }, 'form'))).toBe('bad-request');
    // a visitor cannot approve (its own request or anyone's)
    expect(await refused(bob!, requestMessage(room, { 'muc#roomnick': 'Bob', 'muc#request_allow': 'true' }))).toBe('forbidden');
    // an approval must name someone in the room, with a boolean
    expect(await refused(alice!, requestMessage(room, { 'muc#request_allow': 'true' }))).toBe('bad-request');
    expect(await refused(alice!, requestMessage(room, { 'muc#roomnick': 'Nobody', 'muc#request_allow': 'true' }))).toBe('item-not-found');
    expect(await refused(alice!, requestMessage(room, { 'muc#roomnick': 'Bob', 'muc#request_allow': 'perhaps' }))).toBe('not-acceptable');
    // one request reaches the moderators; the next one within the interval is refused
    const form = alice!.next(isApprovalForm(room));
    await bob!.xmpp.send(requestMessage(room, { 'muc#role': 'participant' }));
    await form;
    expect(await refused(bob!, requestMessage(room, { 'muc#role': 'participant' }))).toBe('resource-constraint');
    // in an unmoderated room everyone has voice
    const open = newRoom('open');
    await createRoom(alice!, open, 'Alice');
    await join(dave!, open, 'Dave');
    expect(await refused(dave!, requestMessage(open, { 'muc#role': 'participant' }))).toBe('not-acceptable');
    await stopAll(alice!, bob!, dave!);
  });
});
