// XEP-0045 stanzas for the panel: invitations (mediated §7.8.2 and direct XEP-0249), room info,
// room addresses from names, mentions, and room messages (live and archived) as the chat shows them.
import { describe, expect, it } from 'vitest';
import { parseStanza, type Element } from '@parley/shared';
import {
  isPrivateMessage, isRoomSignal, mayMessagePrivately, mentions, ownerConfiguration, parseDecline, parseInvitation, parseRoomInfo, parseVoiceRequest,
  privateMessage, roomAddress, voiceApprovalMessage,
} from './muc-stanzas.ts';
import { roomMessage } from './muc.ts';
import { parseBookmarkEvent } from './bookmarks.ts';

const ROOM = 'team@conference.example.com';
const parse = (text: string) => parseStanza(text) as Element;

describe('MUC stanzas', () => {
  it('reads mediated and direct invitations, and declines', () => {
    const mediated = parse(`<message from="${ROOM}" to="bob@example.com"><x xmlns="http://jabber.org/protocol/muc#user"><invite from="alice@example.com/web"><reason>our room</reason></invite><password>pw</password></x><body>…</body></message>`);
    expect(parseInvitation(mediated)).toEqual({ room: ROOM, from: 'alice@example.com', reason: 'our room', password: 'pw', kind: 'mediated' });
    const direct = parse(`<message from="carol@example.com/phone"><x xmlns="jabber:x:conference" jid="${ROOM}" reason="come"/></message>`);
    expect(parseInvitation(direct)).toEqual({ room: ROOM, from: 'carol@example.com', reason: 'come', password: undefined, kind: 'direct' });
    expect(isRoomSignal(mediated) && isRoomSignal(direct)).toBe(true);
    expect(parseInvitation(parse('<message from="bob@example.com" type="chat"><body>hi</body></message>'))).toBeUndefined();
    expect(parseInvitation(parse(`<message from="carol@example.com"><x xmlns="jabber:x:conference" jid="not a jid@@"/></message>`))).toBeUndefined();
    const decline = parse(`<message from="${ROOM}"><x xmlns="http://jabber.org/protocol/muc#user"><decline from="bob@example.com/web"><reason>busy</reason></decline></x></message>`);
    expect(parseDecline(decline)).toEqual({ room: ROOM, from: 'bob@example.com', reason: 'busy' });
  });

  it('reads what a room says about itself (§6.4), XEP-0425 and its archive included', () => {
    const info = parseRoomInfo(parse(`<query xmlns="http://jabber.org/protocol/disco#info"><identity category="conference" type="text" name="Team"/>
      <feature var="urn:xmpp:mam:2"/><feature var="urn:xmpp:message-moderate:1"/><feature var="muc_membersonly"/><feature var="muc_persistent"/>
      <x xmlns="jabber:x:data" type="result"><field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/muc#roominfo</value></field>
      <field var="muc#roominfo_subjectmod"><value>1</value></field></x></query>`));
    expect(info).toMatchObject({ name: 'Team', archived: true, moderation: true, membersOnly: true, persistent: true, public: false, passwordProtected: false, subjectChangeable: true });
    expect(parseRoomInfo(parse('<query xmlns="http://jabber.org/protocol/disco#info"/>'))).toMatchObject({ archived: false, moderation: false, subjectChangeable: false });
  });

  it('makes a room address from a name', () => {
    expect(roomAddress('Team Room', 'conference.example.com')).toBe('team-room@conference.example.com');
    expect(roomAddress('  Équipe  Café! ', 'conference.example.com')).toBe('équipe-café@conference.example.com');
    expect(roomAddress('!!!', 'conference.example.com')).toBeNull();
  });

  it('finds @nick mentions, not inside longer words', () => {
    expect(mentions('@bob look', 'bob')).toBe(true);
    expect(mentions('hey @Bob, look', 'bob')).toBe(true);
    expect(mentions('mail me at me@bob.example', 'bob')).toBe(false);
    expect(mentions('@bobby look', 'bob')).toBe(false);
    expect(mentions('bob look', 'bob')).toBe(false);
    expect(mentions('@bob', '')).toBe(false);
  });

  it('submits an instant room empty, a configured one with the chosen fields (§10.1.2, §10.1.3)', () => {
    expect(ownerConfiguration(ROOM, null).toString()).toContain('<x xmlns="jabber:x:data" type="submit"/>');
    const form = ownerConfiguration(ROOM, { name: 'Team', public: false, membersOnly: true, persistent: true }).toString();
    expect(form).toContain('<field var="muc#roomconfig_membersonly"><value>1</value></field>');
    expect(form).toContain('<field var="muc#roomconfig_publicroom"><value>0</value></field>');
  });
});

describe('room messages', () => {
  const me = { nick: 'alice', occupantId: 'occ-alice' };

  it('has the room\'s stanza-id as the id of others\' messages, our origin-id for ours, and finds mentions of us', () => {
    const theirs = roomMessage(parse(`<message from="${ROOM}/sli" type="groupchat"><body>@alice hi</body><stanza-id xmlns="urn:xmpp:sid:0" by="${ROOM}" id="s1"/></message>`), ROOM, me)!;
    expect(theirs).toMatchObject({ id: 's1', archiveId: 's1', direction: 'in', nick: 'sli', body: '@alice hi', mentionsMe: true });
    const ours = roomMessage(parse(`<message from="${ROOM}/alice" type="groupchat"><body>@alice me</body><origin-id xmlns="urn:xmpp:sid:0" id="o1"/><occupant-id xmlns="urn:xmpp:occupant-id:0" id="occ-alice"/><stanza-id xmlns="urn:xmpp:sid:0" by="${ROOM}" id="s2"/></message>`), ROOM, me)!;
    expect(ours).toMatchObject({ id: 'o1', archiveId: 's2', direction: 'out' });
    expect(ours.mentionsMe).toBeUndefined();
    // a stanza-id stamped by someone else than the room is not the room's
    const forged = roomMessage(parse(`<message from="${ROOM}/sli" type="groupchat"><body>x</body><stanza-id xmlns="urn:xmpp:sid:0" by="evil@example.com" id="s9"/></message>`), ROOM, me)!;
    expect(forged.archiveId).toBeUndefined();
  });

  it('maps an archived message to the same ids, at the archive\'s time', () => {
    const stamp = new Date('2026-01-02T03:04:05Z');
    const archived = roomMessage(parse(`<message from="${ROOM}/sli" type="groupchat"><body>old</body></message>`), ROOM, me, 's1', stamp)!;
    expect(archived).toMatchObject({ id: 's1', archiveId: 's1', time: stamp, delayed: false });
  });

  it('reads a moderator\'s retraction from the room (XEP-0425), and ignores the room\'s other messages', () => {
    const retraction = roomMessage(parse(`<message from="${ROOM}" type="groupchat"><retract xmlns="urn:xmpp:message-retract:1" id="s1"><moderated xmlns="urn:xmpp:message-moderate:1" by="${ROOM}/alice"/></retract><body>This message was retracted by a moderator.</body></message>`), ROOM, me)!;
    expect(retraction.action).toEqual({ kind: 'retraction', target: 's1', moderated: true });
    expect(roomMessage(parse(`<message from="${ROOM}" type="groupchat"><body>config changed</body></message>`), ROOM, me)).toBeUndefined();
    expect(roomMessage(parse(`<message from="other@conference.example.com/x" type="groupchat"><body>x</body></message>`), ROOM, me)).toBeUndefined();
  });
});

describe('private messages (§7.5) and bookmark notifications (XEP-0402 §3.4)', () => {
  it('tells a private message from an invitation, a decline or a groupchat message', () => {
    const x = '<x xmlns="http://jabber.org/protocol/muc#user"/>';
    expect(isPrivateMessage(parse(`<message from="${ROOM}/sli" type="chat"><body>psst</body>${x}</message>`))).toBe(true);
    expect(isPrivateMessage(parse(`<message from="${ROOM}/sli"><body>psst</body>${x}</message>`))).toBe(true);
    expect(isPrivateMessage(parse(`<message from="${ROOM}/sli" type="groupchat"><body>all</body>${x}</message>`))).toBe(false);
    expect(isPrivateMessage(parse(`<message from="${ROOM}"><x xmlns="http://jabber.org/protocol/muc#user"><invite from="a@example.com"/></x></message>`))).toBe(false);
    expect(isPrivateMessage(parse(`<message from="${ROOM}/sli" type="chat"><body>no x</body></message>`))).toBe(false);
    const sent = privateMessage(`${ROOM}/sli`, 'p1', 'hi');
    expect(sent.attrs).toMatchObject({ to: `${ROOM}/sli`, type: 'chat', id: 'p1' });
    expect(sent.getChild('x', 'http://jabber.org/protocol/muc#user')).toBeDefined();
    expect(mayMessagePrivately('participants', 'visitor')).toBe(false);
    expect(mayMessagePrivately('moderators', 'moderator')).toBe(true);
  });

  it('reads bookmarks published and retracted by our own account only', () => {
    const event = (from: string, items: string) => parse(`<message from="${from}"><event xmlns="http://jabber.org/protocol/pubsub#event"><items node="urn:xmpp:bookmarks:1">${items}</items></event></message>`);
    const published = `<item id="${ROOM}"><conference xmlns="urn:xmpp:bookmarks:1" name="Team" autojoin="true"><nick>al</nick></conference></item>`;
    expect(parseBookmarkEvent(event('alice@example.com', published), 'alice@example.com')).toEqual({
      saved: [{ jid: ROOM, name: 'Team', autojoin: true, nick: 'al', password: undefined }], removed: [],
    });
    expect(parseBookmarkEvent(event('alice@example.com', `<retract id="${ROOM}"/>`), 'alice@example.com')).toEqual({ saved: [], removed: [ROOM] });
    expect(parseBookmarkEvent(event('mallory@example.com', published), 'alice@example.com')).toBeNull();
    expect(parseBookmarkEvent(event('alice@example.com/phone', published), 'alice@example.com')).toBeNull();
  });
});

describe('voice requests (§7.13, §8.6)', () => {
  it('reads the approval form the room sends moderators, and answers it with the same occupant', () => {
    const form = `<x xmlns="jabber:x:data" type="form"><field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/muc#request</value></field><field var="muc#role"><value>participant</value></field><field var="muc#jid"><value>bob@example.com/web</value></field><field var="muc#roomnick"><value>bob</value></field><field var="muc#request_allow" type="boolean"><value>false</value></field></x>`;
    const request = parseVoiceRequest(parse(`<message from="${ROOM}">${form}</message>`));
    expect(request).toEqual({ room: ROOM, nick: 'bob', jid: 'bob@example.com/web' });
    // not from an occupant, nor a submitted form
    expect(parseVoiceRequest(parse(`<message from="${ROOM}/sli">${form}</message>`))).toBeUndefined();
    expect(parseVoiceRequest(parse(`<message from="${ROOM}">${form.replace('type="form"', 'type="submit"')}</message>`))).toBeUndefined();
    const answer = voiceApprovalMessage(request!, true).getChild('x', 'jabber:x:data')!;
    const values = Object.fromEntries(answer.getChildren('field').map((f) => [f.attrs.var, f.getChildText('value')]));
    expect(values).toEqual({ FORM_TYPE: 'http://jabber.org/protocol/muc#request', 'muc#role': 'participant', 'muc#jid': 'bob@example.com/web', 'muc#roomnick': 'bob', 'muc#request_allow': 'true' });
  });
});
