// The room service against a scripted server: entering settles on the self-presence (status 110)
// or the room's error, our nickname follows the room (210, 303), messages and invitations become
// events, declines go back through the room, and a lost connection ends every pending entry.
import { describe, expect, it } from 'vitest';
import { StanzaError, parseJid, parseStanza, type Element } from '@parley/shared';
import { Emitter } from './emitter.ts';
import type { ClientEvents, XmppClient } from './client.ts';
import { EntrySuperseded, RoomService } from './muc.ts';
import type { ChatMessage } from './chat.ts';

const ROOM = 'team@conference.example.com';
const parse = (text: string) => parseStanza(text) as Element;

function scripted() {
  const sent: Element[] = [];
  const client = new (class extends Emitter<ClientEvents> {
    account = parseJid('bob@example.com');
    online = true;
    send(stanza: Element): boolean { sent.push(stanza); return true; }
    async iq(request: Element): Promise<Element> { sent.push(request); return parse('<iq type="result"/>'); }
  })();
  return { client, service: new RoomService(client as unknown as XmppClient), sent };
}

const self = (nick: string, codes: string[] = [], extra = '') => parse(`<presence from="${ROOM}/${nick}"><x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="member" role="participant"${extra}/>${['110', ...codes].map((c) => `<status code="${c}"/>`).join('')}</x><occupant-id xmlns="urn:xmpp:occupant-id:0" id="occ-bob"/></presence>`);

describe('room service', () => {
  it('enters on the self-presence, with the nickname the room gave (210)', async () => {
    const { client, service, sent } = scripted();
    const entered = service.enter(ROOM, 'Bob ', 'pw');
    expect(sent[0]!.attrs.to).toBe(`${ROOM}/Bob `);
    expect(sent[0]!.getChild('x', 'http://jabber.org/protocol/muc')!.getChildText('password')).toBe('pw');
    client.emit('presence', self('Bob', ['210', '201']));
    await expect(entered).resolves.toEqual({ nick: 'Bob', created: true });
    expect(service.me(ROOM)).toEqual({ nick: 'Bob', occupantId: 'occ-bob' });
    // §7.6 a nickname change keeps us in the room under the new one
    client.emit('presence', parse(`<presence from="${ROOM}/Bob" type="unavailable"><x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="member" role="participant" nick="Robert"/><status code="110"/><status code="303"/></x></presence>`));
    expect(service.me(ROOM)?.nick).toBe('Robert');
    service.leave(ROOM);
    expect(sent.at(-1)!.toString()).toBe(`<presence to="${ROOM}/Robert" type="unavailable"/>`);
    expect(service.me(ROOM)).toBeUndefined();
  });

  it('rejects with the room\'s error, and when the connection goes', async () => {
    const { client, service } = scripted();
    const refused = service.enter(ROOM, 'Bob');
    client.emit('presence', parse(`<presence from="${ROOM}/Bob" type="error"><x xmlns="http://jabber.org/protocol/muc"/><error type="auth"><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></presence>`));
    await expect(refused).rejects.toMatchObject({ condition: 'not-authorized' });
    // a second entry to the same room replaces the first, which says so (not a nickname conflict)
    const first = service.enter(ROOM, 'Bob');
    const second = service.enter(ROOM, 'Bob');
    await expect(first).rejects.toBeInstanceOf(EntrySuperseded);
    client.emit('presence', self('Bob'));
    await expect(second).resolves.toEqual({ nick: 'Bob', created: false });
    const pending = service.enter('other@conference.example.com', 'Bob');
    client.emit('status', 'reconnecting', {});
    await expect(pending).rejects.toBeInstanceOf(StanzaError);
  });

  it('turns the room\'s messages, subject and invitations into events, and ignores rooms we are not in', async () => {
    const { client, service, sent } = scripted();
    const messages: ChatMessage[] = [];
    const subjects: string[] = [];
    const invitations: string[] = [];
    service.on('message', (m) => messages.push(m));
    service.on('subject', (_room, subject) => subjects.push(subject));
    service.on('invitation', (i) => invitations.push(`${i.kind} ${i.room} ${i.from}`));
    client.emit('message', parse(`<message from="${ROOM}/sli" type="groupchat"><body>too early</body></message>`));
    const entered = service.enter(ROOM, 'bob');
    client.emit('presence', self('bob'));
    await entered;
    client.emit('message', parse(`<message from="${ROOM}/sli" type="groupchat"><subject>Plans</subject></message>`));
    client.emit('message', parse(`<message from="${ROOM}/sli" type="groupchat"><body>@bob hi</body><stanza-id xmlns="urn:xmpp:sid:0" by="${ROOM}" id="s1"/></message>`));
    client.emit('message', parse(`<message from="${ROOM}/bob" type="groupchat"><body>mine</body><occupant-id xmlns="urn:xmpp:occupant-id:0" id="occ-bob"/></message>`));
    client.emit('message', parse(`<message from="other@conference.example.com"><x xmlns="http://jabber.org/protocol/muc#user"><invite from="alice@example.com"/></x></message>`));
    expect(subjects).toEqual(['Plans']);
    expect(messages.map((m) => [m.body, m.direction, m.mentionsMe ?? false])).toEqual([['@bob hi', 'in', true], ['mine', 'out', false]]);
    expect(invitations).toEqual(['mediated other@conference.example.com alice@example.com']);
    service.decline({ room: 'other@conference.example.com', from: 'alice@example.com', kind: 'mediated' });
    expect(sent.at(-1)!.toString()).toBe('<message to="other@conference.example.com"><x xmlns="http://jabber.org/protocol/muc#user"><decline to="alice@example.com"/></x></message>');
    const before = sent.length;
    service.decline({ room: 'x@conference.example.com', from: 'carol@example.com', kind: 'direct' });
    expect(sent.length).toBe(before); // XEP-0249 has no decline
  });
});
