// XEP-0045 muc#owner (§10): the configuration form and its submission (unlocking a new room,
// §10.1.2 instant rooms, §10.1.3 reserved rooms; the status codes of §10.2.1), cancelling a new
// room, and §10.9 destroying a room with an alternate venue. Also §7.10 registration with the
// room (jabber:iq:register) and XEP-0425 moderation (retracting a message).
import { NS, StanzaError, parseJid, tryParseJid, xml, type Element, type JID } from '@parley/shared';
import { nicknameKey } from '@parley/shared';
import { atLeast, type Affiliation } from './affiliations.ts';
import { formElement, readSubmittedForm } from './data-forms.ts';
import { MUC_OWNER, MUC_USER, OCCUPANT_ID, Status } from './occupants.ts';
import { applyConfigForm, configForm } from './room-config.ts';
import { MODERATE, REGISTER, RETRACT } from './room-info.ts';
import { applyRetraction, publish } from './room-messages.ts';
import { occupantNick } from './room-presence.ts';
import type { Room } from './room.ts';

function requireOwner(room: Room, from: JID): void {
  if (room.affiliationOf(from.bare) !== 'owner') throw new StanzaError('forbidden', 'only owners configure a room');
}

function bareOf(text: string): string {
  try {
    return parseJid(text).bare;
  } catch {
    throw new StanzaError('jid-malformed', `not a JID: ${text.slice(0, 64)}`);
  }
}

export function ownerGet(room: Room, from: JID): Element {
  requireOwner(room, from);
  return xml('query', { xmlns: MUC_OWNER },
    configForm(room.config, room.withAffiliation('owner'), room.withAffiliation('admin'), room.services.limits, room.jid.bare));
}

export type OwnerOutcome = 'configured' | 'cancelled' | 'destroyed';

export function ownerSet(room: Room, query: Element, from: JID): OwnerOutcome {
  requireOwner(room, from);
  const destroy = query.getChild('destroy');
  if (destroy) {
    destroyRoom(room, destroy);
    return 'destroyed';
  }
  const x = query.getChild('x', NS.dataForms);
  if (!x) throw new StanzaError('bad-request', 'a configuration form or <destroy/>');
  // §10.1.2: cancelling the form of a new room destroys it; of a configured one changes nothing
  if (x.attrs.type === 'cancel') {
    if (room.locked) destroyRoom(room, null);
    return 'cancelled';
  }
  if (x.attrs.type !== 'submit') throw new StanzaError('bad-request', 'the form is of type submit or cancel');
  const before = room.config;
  const { config, owners, admins } = applyConfigForm(x, before, room.services.limits, bareOf);
  room.config = config;
  if (owners) replaceList(room, 'owner', owners);
  if (admins) replaceList(room, 'admin', admins);
  room.history.setLimit(Math.min(config.historyLength, room.services.options.maxHistory));
  const wasLocked = room.locked;
  room.locked = false;
  if (before.persistent && !config.persistent) void room.forget();
  else void room.save();
  if (!wasLocked) announceChanges(room, before);
  // §10.2: a room that became members-only loses the occupants that are not members (status 322)
  if (config.membersOnly && !before.membersOnly) {
    for (const occupant of [...room.occupants.values()]) {
      if (!atLeast(room.affiliationOf(occupant.bare), 'member')) room.expel(occupant, [Status.membersOnly]);
    }
  }
  for (const occupant of room.occupants.values()) {
    const role = room.defaultRoleFor(room.affiliationOf(occupant.bare));
    if (config.moderated !== before.moderated && occupant.role !== 'moderator' && occupant.role !== role) {
      occupant.role = role;
      room.broadcastPresence(occupant, undefined, [], []);
    }
  }
  return 'configured';
}

function replaceList(room: Room, affiliation: Affiliation, jids: string[]): void {
  const wanted = new Set(jids);
  for (const jid of room.withAffiliation(affiliation)) if (!wanted.has(jid)) room.setAffiliation(jid, 'none');
  for (const jid of wanted) room.setAffiliation(jid, affiliation);
}

/** §10.2.1 status codes in a message from the room when the configuration changed. */
function announceChanges(room: Room, before: Room['config']): void {
  const codes: string[] = [Status.configChanged];
  const after = room.config;
  if (before.whois !== after.whois) codes.push(after.whois === 'anyone' ? Status.nonAnonymous : Status.semiAnonymous);
  if (before.enableLogging !== after.enableLogging) codes.push(after.enableLogging ? Status.loggingOn : Status.loggingOff);
  room.broadcast(xml('message', { xmlns: NS.client, type: 'groupchat', from: room.jid.bare, id: `config-${Date.now().toString(36)}` },
    xml('x', { xmlns: MUC_USER }, ...codes.map((code) => xml('status', { code })))));
}

/** §10.9: every occupant gets an unavailable presence with <destroy/> (alternate venue, reason, password). */
export function destroyRoom(room: Room, destroy: Element | null): void {
  const venue = destroy?.attrs.jid;
  if (venue !== undefined && !tryParseJid(venue)) throw new StanzaError('jid-malformed', 'the alternate venue is not a JID');
  const reason = destroy?.getChildText('reason')?.slice(0, 1024);
  const password = destroy?.getChildText('password')?.slice(0, 256);
  const payload = xml('destroy', { jid: venue }, reason ? xml('reason', {}, reason) : null, password ? xml('password', {}, password) : null);
  room.destroyed = true;
  for (const occupant of [...room.occupants.values()]) {
    room.broadcastPresence(occupant, 'unavailable', [], [], { role: 'none', affiliation: 'none' }, payload);
    room.removeOccupant(occupant);
  }
  void room.forget();
  room.services.emptied(room);
}

// ---- §7.10 registration ----

const MUC_REGISTER = 'http://jabber.org/protocol/muc#register';

export function registerGet(room: Room, from: JID): Element {
  const record = room.affiliations.get(from.bare);
  if (record?.nick) return xml('query', { xmlns: REGISTER }, xml('registered'), xml('username', {}, record.nick));
  if (room.affiliationOf(from.bare) === 'outcast') throw new StanzaError('forbidden', 'you are banned from this room');
  return xml('query', { xmlns: REGISTER },
    xml('instructions', {}, 'Choose the nickname you reserve in this room.'),
    formElement('form', MUC_REGISTER, [{ var: 'muc#register_roomnick', type: 'text-single', label: 'Nickname', values: [] }], 'Registration'));
}

export function registerSet(room: Room, query: Element, from: JID): void {
  if (query.getChild('remove')) {
    const record = room.affiliations.get(from.bare);
    if (!record) throw new StanzaError('item-not-found', 'you are not registered with this room');
    if (record.affiliation === 'member') room.setAffiliation(from.bare, 'none');
    else delete record.nick;
    void room.save();
    return;
  }
  const x = query.getChild('x', NS.dataForms);
  if (!x || x.attrs.type !== 'submit') throw new StanzaError('bad-request', 'submit the registration form');
  const form = readSubmittedForm(x, MUC_REGISTER);
  const { nick, key } = occupantNick(form.get('muc#register_roomnick')?.[0] ?? '');
  const affiliation = room.affiliationOf(from.bare);
  if (affiliation === 'outcast') throw new StanzaError('forbidden', 'you are banned from this room');
  const owner = room.nickOwner(key, nicknameKey);
  const inUse = room.occupants.get(key);
  if ((owner !== undefined && owner !== from.bare) || (inUse && inUse.bare !== from.bare)) throw new StanzaError('conflict', 'that nickname is taken');
  const record = room.affiliations.get(from.bare);
  if (record) record.nick = nick;
  else room.affiliations.set(from.bare, { affiliation: 'member', nick });
  void room.save();
}

// ---- XEP-0425 moderation ----

/** XEP-0425 §4: a moderator retracts a message by its stanza-id; the room tells everyone. */
export async function moderate(room: Room, moderate: Element, from: JID): Promise<void> {
  const actor = room.bySession.get(from.full);
  if (!actor || actor.role !== 'moderator') throw new StanzaError('forbidden', 'only moderators retract messages');
  const id = moderate.attrs.id;
  if (!id) throw new StanzaError('bad-request', 'the message to retract is named by id');
  if (!moderate.getChild('retract', RETRACT)) throw new StanzaError('bad-request', 'only <retract/> is supported');
  const archive = room.services.archive;
  if (!room.history.has(id)) {
    const known = archive ? (await archive.store.resolve(room.jid.bare, [id])).has(id) : false;
    if (!known) throw new StanzaError('item-not-found', 'no such message in this room');
  }
  room.history.remove(id);
  const reason = moderate.getChildText('reason')?.slice(0, 1024);
  const message = xml('message', { xmlns: NS.client, type: 'groupchat', from: room.jid.bare, id: `retract-${id}` },
    xml('retract', { xmlns: RETRACT, id },
      xml('moderated', { xmlns: MODERATE, by: room.occupantJid(actor.nick) }, xml('occupant-id', { xmlns: OCCUPANT_ID, id: actor.occupantId })),
      reason ? xml('reason', {}, reason) : null),
    xml('body', {}, 'This message was retracted by a moderator.'),
    xml('store', { xmlns: NS.hints }));
  // archived like any message, so that the room's archive shows the retraction (XEP-0425 §6)
  publish(room, message, '', actor.nick, null, true);
  // XEP-0425 §5: the message itself becomes a tombstone saying who moderated it
  applyRetraction(room, {
    target: id, retractionId: message.attrs.id, reason,
    moderated: xml('moderated', { xmlns: MODERATE, by: room.occupantJid(actor.nick) }, xml('occupant-id', { xmlns: OCCUPANT_ID, id: actor.occupantId })),
  });
}
