// The rooms' state: occupants from the room's presences (roles, affiliations, nickname changes),
// why we are out of a room, mentions and unread counts, invitations, and who may do what.
import { describe, expect, it } from 'vitest';
import { parseStanza } from '@parley/shared';
import { Rooms, enterProblem } from './rooms.svelte.ts';
import { parseOccupantPresence, type OccupantPresence } from '../xmpp/muc-stanzas.ts';
import type { ChatMessage } from '../xmpp/chat.ts';

const ROOM = 'team@conference.example.com';

function presence(nick: string, item: string, codes: string[] = [], type?: string, extra = ''): OccupantPresence {
  const stanza = parseStanza(`<presence from="${ROOM}/${nick}" ${type ? `type="${type}"` : ''}><x xmlns="http://jabber.org/protocol/muc#user">${item}${codes.map((code) => `<status code="${code}"/>`).join('')}${extra}</x></presence>`)!;
  return parseOccupantPresence(stanza)!;
}

function message(id: string, body: string, extra: Partial<ChatMessage> = {}): ChatMessage {
  return { id, peer: ROOM, direction: 'in', body, time: new Date(), delayed: false, refs: [id], nick: 'sli', ...extra };
}

describe('rooms state', () => {
  it('keeps occupants with their roles and affiliations, us among them', () => {
    const rooms = new Rooms();
    rooms.add(ROOM, 'alice');
    rooms.applyPresence(presence('sli', '<item affiliation="member" role="participant" jid="sli@example.com/x"/>'), false);
    rooms.applyPresence(presence('alice', '<item affiliation="owner" role="moderator"/>', ['110']), true);
    const room = rooms.byJid[ROOM]!;
    expect(room.status).toBe('in');
    expect(room.self).toMatchObject({ nick: 'alice', role: 'moderator', affiliation: 'owner' });
    expect(room.occupants.sli).toMatchObject({ role: 'participant', affiliation: 'member', jid: 'sli@example.com' });
    // §7.6 a nickname change (303) moves the occupant
    rooms.applyPresence(presence('sli', '<item affiliation="member" role="participant" nick="slim"/>', ['303'], 'unavailable'), false);
    expect(Object.keys(room.occupants).sort()).toEqual(['alice', 'slim']);
    rooms.applyPresence(presence('slim', '<item affiliation="member" role="none"/>', [], 'unavailable'), false);
    expect(Object.keys(room.occupants)).toEqual(['alice']);
  });

  it('says why we are out: kicked, banned, no longer a member, destroyed', () => {
    const rooms = new Rooms();
    const room = rooms.add(ROOM, 'bob');
    const enter = () => rooms.applyPresence(presence('bob', '<item affiliation="member" role="participant"/>', ['110']), true);
    enter();
    rooms.applyPresence(presence('bob', '<item affiliation="member" role="none"><actor nick="alice"/><reason>spam</reason></item>', ['110', '307'], 'unavailable'), true);
    expect([room.status, room.problem]).toEqual(['failed', 'alice removed you from the room. “spam”']);
    expect(room.occupants).toEqual({});
    enter();
    rooms.applyPresence(presence('bob', '<item affiliation="outcast" role="none"/>', ['110', '301'], 'unavailable'), true);
    expect(room.problem).toBe('You were banned from this room.');
    enter();
    rooms.applyPresence(presence('bob', '<item affiliation="none" role="none"/>', ['110', '321'], 'unavailable'), true);
    expect(room.problem).toBe('You are no longer a member of this room.');
    enter();
    rooms.applyPresence(presence('bob', '<item affiliation="none" role="none"/>', ['110'], 'unavailable', '<destroy><reason>moved</reason></destroy>'), true);
    expect(room.problem).toBe('This room was closed. moved');
    enter();
    rooms.applyPresence(presence('bob', '<item affiliation="member" role="none"/>', ['110'], 'unavailable'), true);
    expect([room.status, room.problem]).toEqual(['out', undefined]);
  });

  it('counts unread messages and mentions apart, and reads them together', () => {
    const rooms = new Rooms();
    rooms.add(ROOM, 'bob');
    expect(rooms.addMessage(message('1', 'hello'), false)).toBe(true);
    expect(rooms.addMessage(message('2', '@bob look', { mentionsMe: true }), false)).toBe(true);
    expect(rooms.addMessage(message('2', '@bob look', { mentionsMe: true }), false)).toBe(false); // the same again
    expect(rooms.addMessage(message('3', '@bob old', { mentionsMe: true }), true)).toBe(true); // read on arrival
    expect([rooms.unreadOf(ROOM), rooms.byJid[ROOM]!.mentions, rooms.totalUnread]).toEqual([2, 1, 2]);
    rooms.markRead(ROOM);
    expect([rooms.unreadOf(ROOM), rooms.byJid[ROOM]!.mentions]).toEqual([0, 0]);
  });

  it('orders rooms by their newest message, then by name', () => {
    const rooms = new Rooms();
    rooms.add('b@conference.example.com', 'me', 'Beta');
    rooms.add('a@conference.example.com', 'me', 'alpha');
    rooms.add(ROOM, 'me', 'Team');
    rooms.conversations.byPeer['a@conference.example.com']!.lastActivity = 0;
    rooms.conversations.byPeer['b@conference.example.com']!.lastActivity = 0;
    rooms.addMessage(message('1', 'hi', { time: new Date(Date.now() + 1000) }), true);
    expect(rooms.ordered.map((room) => room.name)).toEqual(['Team', 'alpha', 'Beta']);
  });

  it('keeps one invitation per room, and none for a room we are in', () => {
    const rooms = new Rooms();
    rooms.addInvitation({ room: ROOM, from: 'alice@example.com', kind: 'mediated' });
    rooms.addInvitation({ room: ROOM, from: 'carol@example.com', kind: 'direct' });
    expect(rooms.invitations.map((i) => i.from)).toEqual(['carol@example.com']);
    rooms.dropInvitation(ROOM);
    rooms.add(ROOM, 'bob');
    rooms.applyPresence(presence('bob', '<item affiliation="none" role="participant"/>', ['110']), true);
    rooms.addInvitation({ room: ROOM, from: 'alice@example.com', kind: 'mediated' });
    expect(rooms.invitations).toEqual([]);
  });

  it('lets moderators kick below admin and admins ban below themselves (by real JID), and the subject by the room\'s rule', () => {
    const rooms = new Rooms();
    const room = rooms.add(ROOM, 'mod');
    rooms.applyPresence(presence('mod', '<item affiliation="admin" role="moderator"/>', ['110']), true);
    const guest = { nick: 'guest', role: 'participant' as const, affiliation: 'none' as const, jid: 'guest@example.com' };
    const owner = { nick: 'boss', role: 'moderator' as const, affiliation: 'owner' as const, jid: 'boss@example.com' };
    const anonymous = { ...guest, jid: undefined };
    expect([rooms.canKick(ROOM, guest), rooms.canKick(ROOM, owner), rooms.canKick(ROOM, room.self!)]).toEqual([true, false, false]);
    expect([rooms.canBan(ROOM, guest), rooms.canBan(ROOM, owner), rooms.canBan(ROOM, anonymous)]).toEqual([true, false, false]);
    expect(rooms.canChangeSubject(ROOM)).toBe(true);
    expect(rooms.canRetract(ROOM)).toBe(false); // the room did not announce XEP-0425
    room.info = { subjectChangeable: false, archived: true, moderation: true, membersOnly: false, passwordProtected: false, persistent: true, public: true };
    expect(rooms.canRetract(ROOM)).toBe(true);
    rooms.applyPresence(presence('mod', '<item affiliation="member" role="participant"/>', ['110']), true);
    expect([rooms.canKick(ROOM, guest), rooms.canBan(ROOM, guest), rooms.canChangeSubject(ROOM), rooms.canRetract(ROOM)]).toEqual([false, false, false, false]);
    room.info = { ...room.info, subjectChangeable: true };
    expect(rooms.canChangeSubject(ROOM)).toBe(true);
  });

  it('puts the room\'s refusals into words', () => {
    expect(enterProblem('item-not-found', false)).toMatch(/does not exist/);
    expect(enterProblem('forbidden', false)).toMatch(/banned/);
    expect(enterProblem('registration-required', false)).toMatch(/members only/);
    expect(enterProblem('not-authorized', false)).toBe('This room needs a password.');
    expect(enterProblem('not-authorized', true)).toBe('Wrong password for this room.');
    expect(enterProblem('conflict', false)).toMatch(/nickname/);
    expect(enterProblem('service-unavailable', false)).toMatch(/full/);
    expect(enterProblem('gone', false)).toBe('Could not enter the room.');
  });
});

describe('reactions, corrections and private messages in a room', () => {
  const modifier = (id: string, action: NonNullable<ChatMessage['action']>, extra: Partial<ChatMessage> = {}) => message(id, '', { action, ...extra });

  it('keeps each occupant\'s reactions apart (XEP-0444: a sender\'s set replaces its own only)', () => {
    const rooms = new Rooms();
    rooms.add(ROOM, 'alice');
    rooms.addMessage(message('m1', 'hello', { archiveId: 's1', refs: ['m1', 's1'] }), true);
    rooms.addMessage(modifier('r1', { kind: 'reactions', target: 's1', reactions: ['👍'] }, { nick: 'sli', occupantId: 'o-sli' }), true);
    rooms.addMessage(modifier('r2', { kind: 'reactions', target: 's1', reactions: ['👍', '❤️'] }, { nick: 'carol', occupantId: 'o-carol' }), true);
    rooms.addMessage(modifier('r3', { kind: 'reactions', target: 's1', reactions: ['😂'] }, { direction: 'out', nick: 'alice' }), true);
    const shown = rooms.conversations.byPeer[ROOM]!.messages[0]!;
    expect(shown.reactions).toEqual({ 'occupant o-sli': ['👍'], 'occupant o-carol': ['👍', '❤️'], out: ['😂'] });
    // Sli takes his back: Carol's stay
    rooms.addMessage(modifier('r4', { kind: 'reactions', target: 's1', reactions: [] }, { nick: 'sli', occupantId: 'o-sli' }), true);
    expect(shown.reactions).toEqual({ 'occupant o-carol': ['👍', '❤️'], out: ['😂'] });
  });

  it('applies a correction only from the occupant who wrote the message (XEP-0308 §5)', () => {
    const rooms = new Rooms();
    rooms.add(ROOM, 'alice');
    rooms.addMessage(message('m1', 'teh plan', { occupantId: 'o-sli' }), true);
    rooms.addMessage(modifier('c1', { kind: 'correction', target: 'm1', body: 'forged' }, { nick: 'mallory', occupantId: 'o-mallory' }), true);
    const shown = rooms.conversations.byPeer[ROOM]!.messages[0]!;
    expect(shown.body).toBe('teh plan');
    // the same occupant under a new nickname (the occupant id stays)
    rooms.addMessage(modifier('c2', { kind: 'correction', target: 'm1', body: 'the plan' }, { nick: 'sli2', occupantId: 'o-sli' }), true);
    expect(shown).toMatchObject({ body: 'the plan', edited: true });
  });

  it('offers private messages as muc#roomconfig_allowpm allows our role (§7.5), never to ourselves', () => {
    const rooms = new Rooms();
    const room = rooms.add(ROOM, 'bob');
    rooms.applyPresence(presence('sli', '<item affiliation="none" role="participant"/>'), false);
    rooms.applyPresence(presence('bob', '<item affiliation="none" role="visitor"/>', ['110']), true);
    const sli = room.occupants.sli!;
    expect(rooms.canMessagePrivately(ROOM, sli)).toBe(true); // the room did not say: it decides
    expect(rooms.canMessagePrivately(ROOM, room.self!)).toBe(false);
    for (const [allowPm, expected] of [['anyone', true], ['participants', false], ['moderators', false], ['none', false]] as const) {
      room.info = { ...room.info!, allowPm } as NonNullable<typeof room.info>;
      expect(rooms.canMessagePrivately(ROOM, sli), allowPm).toBe(expected);
    }
    // a private conversation goes with its room
    rooms.conversations.open(`${ROOM}/sli`);
    expect(rooms.privateChats).toEqual([{ jid: `${ROOM}/sli`, room: ROOM, nick: 'sli' }]);
    rooms.remove(ROOM);
    expect(rooms.privateChats).toEqual([]);
  });
});
