// XEP-0045 presence in a room: entering (§7.2, with every refusal of §7.2.5–§7.2.11 in the XEP's
// order), presence updates (§7.7), nickname changes (§7.6) and leaving (§7.14). The errors come
// back from the occupant JID the presence was sent to.
import { NS, StanzaError, xml, type Element, type JID } from '@parley/shared';
import { nickname, nicknameKey, PrecisError } from '@parley/shared';
import { atLeast } from './affiliations.ts';
import { historyMessage, readHistoryRequest } from './history.ts';
import { MUC, Status, type Occupant } from './occupants.ts';
import type { Room } from './room.ts';

/** RFC 8266 nickname of an occupant JID's resource; jid-malformed when there is none or it is not one (§7.2.1). */
export function occupantNick(resource: string): { nick: string; key: string } {
  if (resource === '') throw new StanzaError('jid-malformed', 'a nickname is needed: room@service/nick');
  try {
    const nick = nickname(resource);
    return { nick, key: nicknameKey(nick) };
  } catch (error) {
    if (error instanceof PrecisError) throw new StanzaError('jid-malformed', `not a nickname (RFC 8266): ${error.message}`);
    throw error;
  }
}

/** §7.2 the checks a user must pass to enter; throws the XEP's error. */
function checkEntry(room: Room, from: JID, key: string, muc: Element | undefined): void {
  const affiliation = room.affiliationOf(from.bare);
  // §7.2.7 banned users
  if (affiliation === 'outcast') throw new StanzaError('forbidden', 'you are banned from this room');
  // §10.1.1 a locked room (not configured yet) is for its owner only
  if (room.locked && affiliation !== 'owner') throw new StanzaError('item-not-found', 'the room is not configured yet');
  // §7.2.9 nickname conflicts, §7.10 nicknames registered by someone else
  const holder = room.occupants.get(key);
  if (holder && holder.bare !== from.bare) throw new StanzaError('conflict', 'that nickname is in use in this room');
  const registered = room.nickOwner(key, nicknameKey);
  if (registered !== undefined && registered !== from.bare) throw new StanzaError('conflict', 'that nickname is registered by another member');
  // §7.2.8 members-only rooms
  if (room.config.membersOnly && !atLeast(affiliation, 'member')) throw new StanzaError('registration-required', 'this room is for members only');
  // §7.2.10 the room is full (admins and owners still enter)
  const limit = room.config.maxUsers || room.services.options.maxOccupants;
  if (!holder && room.occupantCount >= Math.min(limit, room.services.options.maxOccupants) && !atLeast(affiliation, 'admin')) {
    throw new StanzaError('service-unavailable', 'the room is full', 'wait');
  }
  // §7.2.6 password-protected rooms
  if (room.config.passwordProtected) {
    const password = muc?.getChildText('password');
    if (password !== room.config.password) throw new StanzaError('not-authorized', password === undefined || password === null ? 'this room needs a password' : 'wrong password');
  }
}

/** §7.2.2–§7.2.16 a user enters: presences of the others, its own to all, history, subject. */
export function join(room: Room, stanza: Element, from: JID, to: JID, created: boolean): void {
  const { nick, key } = occupantNick(to.resource);
  const muc = stanza.getChild('x', MUC);
  checkEntry(room, from, key, muc);
  const affiliation = room.affiliationOf(from.bare);
  const existing = room.occupants.get(key);
  const occupant = existing ?? room.newOccupant(nick, key, from.bare, room.defaultRoleFor(affiliation));
  const session = from.full;
  // the occupants already there, to the new session (§7.2.3)
  for (const other of room.occupants.values()) {
    if (other === occupant) continue;
    if (!room.config.presenceBroadcast.includes(other.role)) continue;
    const presence = otherPresence(room, other, room.seesRealJids(occupant));
    room.sendTo(session, presence);
  }
  room.addSession(occupant, session, stanza);
  const selfCodes: string[] = [];
  if (room.config.whois === 'anyone') selfCodes.push(Status.realJidVisible);
  if (room.config.enableLogging && room.services.archive) selfCodes.push(Status.loggingOn);
  if (created) selfCodes.push(Status.created);
  if (nick !== to.resource) selfCodes.push(Status.nickModified);
  if (existing) {
    // another session of an occupant already there: only it learns of its entry (multi-session)
    const self = selfPresence(room, occupant, session, selfCodes);
    room.sendTo(session, self);
  } else {
    room.broadcastPresence(occupant, undefined, [], selfCodes);
  }
  sendHistory(room, session, muc?.getChild('history'));
  sendSubject(room, session);
}

function otherPresence(room: Room, other: Occupant, withJid: boolean): Element {
  const presence = xml('presence', { xmlns: NS.client, from: room.occupantJid(other.nick) });
  const source = other.presence;
  if (source) for (const node of source.children) if (typeof node !== 'string' && node.attrs.xmlns !== MUC && node.attrs.xmlns !== 'http://jabber.org/protocol/muc#user') presence.children.push(node);
  presence.children.push(xml('x', { xmlns: 'http://jabber.org/protocol/muc#user' },
    xml('item', { affiliation: room.affiliationOf(other.bare), role: other.role, jid: withJid ? [...other.sessions.keys()].at(-1) : undefined })));
  presence.children.push(xml('occupant-id', { xmlns: 'urn:xmpp:occupant-id:0', id: other.occupantId }));
  return presence;
}

function selfPresence(room: Room, occupant: Occupant, session: string, codes: readonly string[]): Element {
  const presence = otherPresence(room, occupant, true);
  const item = presence.getChild('x')!.getChild('item')!;
  item.attrs.jid = session;
  const x = presence.getChild('x')!;
  for (const code of [Status.self, ...codes]) x.children.push(xml('status', { code }));
  return presence;
}

/** §7.2.15 history per the join's <history/> and the room's muc#maxhistoryfetch. */
function sendHistory(room: Room, session: string, history: Element | undefined): void {
  const request = readHistoryRequest(history);
  const limit = room.config.historyLength;
  request.maxstanzas = Math.min(request.maxstanzas ?? limit, limit);
  for (const entry of room.history.select(request)) {
    const xml = historyMessage(entry, session, room.jid.bare);
    if (!room.services.router.deliverSerialized(session, xml)) room.sendTo(session, delayedCopy(entry.message, room, entry.stamp));
  }
}

function delayedCopy(message: Element, room: Room, stamp: number): Element {
  const copy = xml(message.name, { ...message.attrs });
  copy.children = [...message.children, xml('delay', { xmlns: NS.delay, from: room.jid.bare, stamp: new Date(stamp).toISOString() })];
  return copy;
}

/** §7.2.16 the subject, always (empty when none), after the history. */
export function sendSubject(room: Room, session: string): void {
  room.sendTo(session, subjectMessage(room));
}

export function subjectMessage(room: Room): Element {
  const from = room.subject?.nick ? room.occupantJid(room.subject.nick) : room.jid.bare;
  return xml('message', { xmlns: NS.client, type: 'groupchat', from, id: `subject-${room.created}` }, xml('subject', {}, room.subject?.text ?? ''));
}

/** §7.7 a presence update, or §7.6 a nickname change when the resource names another nickname. */
export function update(room: Room, occupant: Occupant, stanza: Element, from: JID, to: JID): void {
  const { nick, key } = occupantNick(to.resource);
  if (key === occupant.key) {
    occupant.sessions.set(from.full, stanza);
    if (nick === occupant.nick) {
      room.broadcastPresence(occupant, undefined, [], []);
      return;
    }
  }
  changeNick(room, occupant, stanza, from, nick, key);
}

/** §7.6: unavailable from the old nickname with 303 and the new one, then available from the new. */
function changeNick(room: Room, occupant: Occupant, stanza: Element, from: JID, nick: string, key: string): void {
  const holder = room.occupants.get(key);
  if (holder && holder !== occupant) throw new StanzaError('conflict', 'that nickname is in use in this room');
  const registered = room.nickOwner(key, nicknameKey);
  if (registered !== undefined && registered !== occupant.bare) throw new StanzaError('conflict', 'that nickname is registered by another member');
  room.broadcastPresence(occupant, 'unavailable', [Status.nickChanged], [], { nick });
  room.occupants.delete(occupant.key);
  occupant.nick = nick;
  occupant.key = key;
  occupant.sessions.set(from.full, stanza);
  room.occupants.set(key, occupant);
  room.broadcastPresence(occupant, undefined, [], []);
}

/** §7.14 a session leaves; the occupant goes with its last session. */
export function leave(room: Room, occupant: Occupant, session: string, stanza: Element | null, codes: readonly string[] = []): void {
  if (occupant.sessions.size > 1) {
    const self = selfPresence(room, occupant, session, codes);
    self.attrs.type = 'unavailable';
    occupant.sessions.delete(session);
    room.removeSession(session);
    room.sendTo(session, self);
    return;
  }
  if (stanza) occupant.sessions.set(session, stanza);
  room.expel(occupant, codes);
}
