// XEP-0045 messages in a room: groupchat to all occupants (§7.4) with the room's XEP-0359
// stanza-id and XEP-0421 occupant id, archived once (XEP-0313 on rooms); subject changes (§8.1);
// private messages (§7.5); mediated invitations and declines (§7.8.2, §7.8.3).
import { Element, NS, StanzaError, serialize, tryParseJid, xml, type JID } from '@parley/shared';
import type { ArchiveEntry } from '../../archive/types.ts';
import { markUncommittedWrite, type Origin } from '../../core/origin.ts';
import { atLeast, roleAtLeast } from './affiliations.ts';
import { MUC_USER, OCCUPANT_ID, type Occupant } from './occupants.ts';
import { subjectMessage } from './room-presence.ts';
import type { Room } from './room.ts';
import { occupantNick } from './room-presence.ts';
import { retractedId, type Retraction } from '../../archive/retraction.ts';

/** Children a sender may not set on a room message: the room's own stamps. */
function isRoomStamp(node: Element, room: string): boolean {
  const xmlns = node.attrs.xmlns;
  if (xmlns === OCCUPANT_ID || xmlns === MUC_USER) return true;
  return node.name === 'stanza-id' && xmlns === NS.stanzaIds && node.attrs.by === room;
}

function bodyText(stanza: Element): string {
  const parts: string[] = [];
  for (const node of stanza.children) {
    if (typeof node !== 'string' && node.name === 'body' && (node.attrs.xmlns === undefined || node.attrs.xmlns === NS.client)) parts.push(node.getText());
  }
  return parts.join('\n');
}

/** XEP-0334 hints that keep a message out of the archive. */
function noStore(stanza: Element): boolean {
  return stanza.children.some((node) => typeof node !== 'string' && node.attrs.xmlns === NS.hints && (node.name === 'no-store' || node.name === 'no-permanent-store'));
}

/** XEP-0334 §4.4: a bodiless message that asks to be kept (XEP-0444 reactions send it). */
function storeHint(stanza: Element): boolean {
  return stanza.children.some((node) => typeof node !== 'string' && node.attrs.xmlns === NS.hints && node.name === 'store');
}

export function senderOf(room: Room, from: JID): Occupant {
  const occupant = room.bySession.get(from.full);
  if (!occupant) throw new StanzaError('not-acceptable', 'only occupants may send to the room; join it first');
  return occupant;
}

/** §7.4 a groupchat message from an occupant to everyone. */
export function groupchat(room: Room, stanza: Element, from: JID, origin: Origin): void {
  const occupant = senderOf(room, from);
  const options = room.services.options;
  if (!occupant.take(options.messageBurst, options.messagesPerSecond)) {
    throw new StanzaError('resource-constraint', 'too many messages; slow down', 'wait');
  }
  const subject = stanza.getChild('subject');
  const body = bodyText(stanza);
  if (subject && body === '') return changeSubject(room, occupant, subject.getText());
  // §7.4: visitors in a moderated room have no voice
  if (!roleAtLeast(occupant.role, 'participant')) throw new StanzaError('forbidden', 'you have no voice in this room');
  const message = new Element('message', { xmlns: NS.client, from: room.occupantJid(occupant.nick), type: 'groupchat', id: stanza.attrs.id, 'xml:lang': stanza.attrs['xml:lang'] });
  for (const node of stanza.children) if (typeof node !== 'string' && !isRoomStamp(node, room.jid.bare)) message.children.push(node);
  message.children.push(xml('occupant-id', { xmlns: OCCUPANT_ID, id: occupant.occupantId }));
  const text = serialize(message);
  if (text.length > options.maxMessageBytes) throw new StanzaError('policy-violation', `room messages are limited to ${options.maxMessageBytes} characters`);
  const target = retractedId(stanza);
  // XEP-0424 §6: the retraction is stored even without a fallback body; so are reactions (XEP-0444 asks for <store/>)
  publish(room, message, body, occupant.nick, origin, (body !== '' || target !== undefined || storeHint(stanza)) && !noStore(stanza));
  if (target !== undefined) retractOwn(room, occupant, target, stanza.attrs.id);
}

/**
 * XEP-0424 in a room: the author's retraction (its XEP-0421 occupant id, which the room derives
 * from the real JID, is the original's) takes the message out of the history given to later
 * joiners (§6) and turns it into a tombstone in the room's archive (§5); another occupant's
 * message stays as it is.
 */
function retractOwn(room: Room, occupant: Occupant, target: string, retractionId: string | undefined): void {
  const kept = room.history.has(target);
  if (kept && kept.message.getChild('occupant-id', OCCUPANT_ID)?.attrs.id === occupant.occupantId) room.history.remove(target);
  applyRetraction(room, { target, occupantId: occupant.occupantId, retractionId });
}

/** The room archive's side of a retraction (the retraction itself is archived before). */
export function applyRetraction(room: Room, retraction: Pick<Retraction, 'target' | 'occupantId' | 'moderated' | 'reason' | 'retractionId'>): void {
  const archive = room.services.archive;
  if (!archive || !room.config.enableLogging) return;
  const owner = room.jid.bare;
  archive.store.retract({
    ...retraction, scopes: [{ owner, peer: owner, outgoing: false }], stamp: Date.now(), lookback: archive.config.retractionLookback,
  }).catch((error: unknown) => room.log.error({ err: error, room: owner, target: retraction.target }, 'applying a retraction to the room archive failed'));
}

/**
 * Stamps the stanza-id (XEP-0359 §3, by the room), archives the message once when the room logs
 * and it is worth keeping, keeps it in the history, and sends it to every occupant serialized once.
 */
export function publish(room: Room, message: Element, body: string, nick: string, origin: Origin | null, keep: boolean): string {
  const archive = room.services.archive;
  const seq = archive ? archive.ids.nextSeq() : Date.now();
  const id = archive ? archive.ids.idFor(seq) : `${seq.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const archived = serialize(message);
  message.children.push(xml('stanza-id', { xmlns: NS.stanzaIds, id, by: room.jid.bare }));
  if (keep && archive && room.config.enableLogging) {
    const entry: ArchiveEntry = { seq, id, owner: room.jid.bare, peer: room.jid.bare, peerResource: nick, outgoing: false, body, stanza: archived };
    // the sender's stream shows nothing later until the entry is committed (storage/group-commit.ts)
    markUncommittedWrite(origin);
    archive.store.append([entry]);
  }
  if (keep) room.history.add({ message, stamp: Date.now(), stanzaId: id, size: archived.length });
  room.broadcast(message);
  return id;
}

/** §8.1 subject changes: moderators, or anyone with voice when muc#roomconfig_changesubject allows. */
function changeSubject(room: Room, occupant: Occupant, text: string): void {
  const allowed = occupant.role === 'moderator' || (room.config.changeSubject && roleAtLeast(occupant.role, 'participant'));
  if (!allowed) throw new StanzaError('forbidden', 'you may not change the subject of this room');
  if (text.length > 1024) throw new StanzaError('not-acceptable', 'a subject is at most 1024 characters');
  room.subject = { text, nick: occupant.nick };
  void room.save();
  room.broadcast(subjectMessage(room));
}

/** §7.5 a private message to one occupant, from the sender's occupant JID. */
export function privateMessage(room: Room, stanza: Element, from: JID, to: JID): void {
  const sender = senderOf(room, from);
  if (stanza.attrs.type === 'groupchat') throw new StanzaError('bad-request', 'a private message is not of type groupchat');
  const allowPm = room.config.allowPm;
  const allowed = allowPm === 'anyone' || (allowPm === 'participants' && roleAtLeast(sender.role, 'participant')) || (allowPm === 'moderators' && sender.role === 'moderator');
  if (!allowed) throw new StanzaError('forbidden', 'private messages are not allowed in this room');
  const target = room.occupants.get(occupantNick(to.resource).key);
  if (!target) throw new StanzaError('item-not-found', 'no such occupant');
  const message = new Element('message', { ...stanza.attrs, to: undefined, from: room.occupantJid(sender.nick) });
  for (const node of stanza.children) if (typeof node !== 'string' && !isRoomStamp(node, room.jid.bare)) message.children.push(node);
  message.children.push(xml('x', { xmlns: MUC_USER }));
  message.children.push(xml('occupant-id', { xmlns: OCCUPANT_ID, id: sender.occupantId }));
  const text = serialize(message);
  for (const session of target.sessions.keys()) room.sendSerialized(session, text, message);
}

/** §7.8.2 mediated invitations and §7.8.3 declines, in <x xmlns='muc#user'/>. */
export function invitations(room: Room, x: Element, from: JID): boolean {
  const invites = x.getChildren('invite');
  const declines = x.getChildren('decline');
  if (invites.length === 0 && declines.length === 0) return false;
  for (const decline of declines) {
    const inviter = tryParseJid(decline.attrs.to);
    if (!inviter) throw new StanzaError('jid-malformed', 'decline to a JID');
    room.sendTo(inviter.full, xml('message', { xmlns: NS.client, from: room.jid.bare },
      xml('x', { xmlns: MUC_USER }, xml('decline', { from: from.bare }, reasonOf(decline)))));
  }
  if (invites.length === 0) return true;
  const inviter = senderOf(room, from);
  const affiliation = room.affiliationOf(from.bare);
  // §7.8.2: in a room that does not let participants invite, moderators (and admins, owners) still may
  if (!room.config.allowInvites && inviter.role !== 'moderator' && !atLeast(affiliation, 'admin')) {
    throw new StanzaError('forbidden', 'only moderators may invite to this room');
  }
  const invitees = invites.map((invite) => {
    const invitee = tryParseJid(invite.attrs.to);
    if (!invitee) throw new StanzaError('jid-malformed', 'invite to a JID');
    return { invitee, invite };
  });
  let changed = false;
  for (const { invitee, invite } of invitees) {
    // §9.3: an invitation to a members-only room by an admin makes the invitee a member
    if (room.config.membersOnly && atLeast(affiliation, 'admin') && room.affiliationOf(invitee.bare) === 'none') {
      room.setAffiliation(invitee.bare, 'member');
      changed = true;
    }
    const password = room.config.passwordProtected ? xml('password', {}, room.config.password) : null;
    const body = `${from.bare} invites you to the room ${room.jid.bare}`;
    room.sendTo(invitee.full, xml('message', { xmlns: NS.client, from: room.jid.bare },
      xml('x', { xmlns: MUC_USER }, xml('invite', { from: from.bare }, reasonOf(invite)), password),
      xml('body', {}, body)));
  }
  if (changed) void room.save();
  return true;
}

function reasonOf(element: Element): Element | null {
  const reason = element.getChildText('reason');
  return reason ? xml('reason', {}, reason.slice(0, 1024)) : null;
}
