// XEP-0045 muc#admin (§8 moderator and §9 admin use cases): changing roles (kick, voice, moderator)
// and affiliations (ban, member, admin, owner) by nickname or JID, all items of one request or
// none, with the presences that announce them (§9.1 301, §8.2 307, §9.7 321); and the lists (§8.5, §9.5, §10.5).
import { StanzaError, parseJid, xml, type Element, type JID } from '@parley/shared';
import { atLeast, isAffiliation, isRole, mayChangeAffiliation, mayChangeRole, type Affiliation, type Role } from './affiliations.ts';
import { MUC_ADMIN, Status, itemElement, type Occupant } from './occupants.ts';
import { occupantNick } from './room-presence.ts';
import type { Room } from './room.ts';

type Change =
  | { kind: 'role'; nick: string; key: string; role: Role; reason?: string }
  | { kind: 'affiliation'; jid: string; affiliation: Affiliation; reason?: string; nick?: string };

function readChanges(query: Element): Change[] {
  const items = query.getChildren('item');
  if (items.length === 0) throw new StanzaError('bad-request', 'no <item/>');
  return items.map((item): Change => {
    const reason = item.getChildText('reason')?.slice(0, 1024) || undefined;
    const { affiliation, role, nick, jid } = item.attrs as Record<string, string | undefined>;
    if (affiliation !== undefined) {
      if (!isAffiliation(affiliation)) throw new StanzaError('bad-request', `no affiliation ${affiliation.slice(0, 32)}`);
      if (jid === undefined) throw new StanzaError('bad-request', 'an affiliation change names a jid');
      let bare: string;
      try {
        bare = parseJid(jid).bare;
      } catch {
        throw new StanzaError('jid-malformed', 'not a JID');
      }
      return { kind: 'affiliation', jid: bare, affiliation, reason, nick };
    }
    if (role !== undefined) {
      if (!isRole(role)) throw new StanzaError('bad-request', `no role ${role.slice(0, 32)}`);
      if (nick === undefined) throw new StanzaError('bad-request', 'a role change names a nick');
      const { key } = occupantNick(nick);
      return { kind: 'role', nick, key, role, reason };
    }
    throw new StanzaError('bad-request', 'an <item/> names a role or an affiliation');
  });
}

/** iq set: every change is checked first; then all are applied (§9, §10: one request, all or nothing). */
export function adminSet(room: Room, query: Element, from: JID): void {
  const actor = room.bySession.get(from.full);
  const actorAffiliation = room.affiliationOf(from.bare);
  const actorRole: Role = actor?.role ?? (atLeast(actorAffiliation, 'admin') ? 'moderator' : 'none');
  const changes = readChanges(query);
  const owners = new Set(room.withAffiliation('owner'));
  for (const change of changes) {
    if (change.kind === 'role') {
      const target = room.occupants.get(change.key);
      if (!target) throw new StanzaError('item-not-found', `no occupant ${change.nick.slice(0, 64)}`);
      if (actorRole !== 'moderator') throw new StanzaError('forbidden', 'only moderators change roles');
      if (!mayChangeRole(actorRole, actorAffiliation, room.affiliationOf(target.bare), change.role, target.role)) {
        throw new StanzaError('not-allowed', `you may not make ${change.nick.slice(0, 64)} ${change.role}`);
      }
    } else {
      if (!atLeast(actorAffiliation, 'admin')) throw new StanzaError('forbidden', 'only admins and owners change affiliations');
      const current = room.affiliationOf(change.jid);
      if (!mayChangeAffiliation(actorAffiliation, current, change.affiliation)) {
        throw new StanzaError('not-allowed', `you may not make ${change.jid} ${change.affiliation}`);
      }
      if (current === 'owner' && change.affiliation !== 'owner') owners.delete(change.jid);
      if (change.affiliation === 'owner') owners.add(change.jid);
    }
  }
  // §10.7, §10.9: a room keeps an owner
  if (owners.size === 0) throw new StanzaError('conflict', 'the room needs at least one owner');
  const actorNick = actor?.nick;
  let stored = false;
  for (const change of changes) {
    if (change.kind === 'role') applyRole(room, change, actorNick);
    else {
      applyAffiliation(room, change, actorNick);
      stored = true;
    }
  }
  if (stored) void room.save();
}

function applyRole(room: Room, change: Extract<Change, { kind: 'role' }>, actor: string | undefined): void {
  const target = room.occupants.get(change.key);
  if (!target || target.role === change.role) return;
  if (change.role === 'none') {
    room.expel(target, [Status.kicked], { actor, reason: change.reason }); // §8.2 kick
    return;
  }
  setRole(room, target, change.role, actor, change.reason);
}

/** §8.3–§8.5 a new role (not none), announced to everyone with who changed it and why. */
export function setRole(room: Room, target: Occupant, role: Exclude<Role, 'none'>, actor: string | undefined, reason?: string): void {
  target.role = role;
  room.broadcastPresence(target, undefined, [], [], { actor, reason });
}

function applyAffiliation(room: Room, change: Extract<Change, { kind: 'affiliation' }>, actor: string | undefined): void {
  room.setAffiliation(change.jid, change.affiliation, change.reason);
  for (const occupant of room.occupantsOf(change.jid)) {
    if (change.affiliation === 'outcast') {
      room.expel(occupant, [Status.banned], { affiliation: 'outcast', actor, reason: change.reason }); // §9.1 ban
      continue;
    }
    if (room.config.membersOnly && !atLeast(change.affiliation, 'member')) {
      room.expel(occupant, [Status.affiliationRemoved], { affiliation: change.affiliation, actor, reason: change.reason }); // §9.4
      continue;
    }
    occupant.role = room.defaultRoleFor(change.affiliation);
    room.broadcastPresence(occupant, undefined, [], [], { actor, reason: change.reason });
  }
}

/** iq get: the occupants with a role (moderators) or the users with an affiliation (admins and owners). */
export function adminGet(room: Room, query: Element, from: JID): Element {
  const items = query.getChildren('item');
  if (items.length !== 1) throw new StanzaError('bad-request', 'one <item/> with a role or an affiliation');
  const { role, affiliation } = items[0]!.attrs as Record<string, string | undefined>;
  const actorAffiliation = room.affiliationOf(from.bare);
  const actorRole = room.bySession.get(from.full)?.role ?? 'none';
  if (affiliation !== undefined) {
    if (!isAffiliation(affiliation) || affiliation === 'none') throw new StanzaError('bad-request', 'no such affiliation list');
    // §9.5 member list: admins and owners, and the roles muc#roomconfig_getmemberlist names
    const mayRead = atLeast(actorAffiliation, 'admin') || (affiliation === 'member' && room.config.getMemberList.includes(actorRole));
    if (!mayRead) throw new StanzaError('forbidden', 'you may not read this list');
    return xml('query', { xmlns: MUC_ADMIN }, ...room.withAffiliation(affiliation).map((jid) =>
      itemElement({ affiliation, role: 'none', jid, nick: room.affiliations.get(jid)?.nick, reason: room.affiliations.get(jid)?.reason })).map((item) => {
      delete item.attrs.role;
      return item;
    }));
  }
  if (role !== undefined) {
    if (!isRole(role) || role === 'none') throw new StanzaError('bad-request', 'no such role list');
    if (actorRole !== 'moderator') throw new StanzaError('forbidden', 'only moderators read role lists');
    const occupants = [...room.occupants.values()].filter((occupant) => occupant.role === role);
    return xml('query', { xmlns: MUC_ADMIN }, ...occupants.map((occupant) =>
      itemElement({ affiliation: room.affiliationOf(occupant.bare), role, nick: occupant.nick, jid: [...occupant.sessions.keys()].at(-1) }))); // moderators see real JIDs (§7.2.3)
  }
  throw new StanzaError('bad-request', 'an <item/> names a role or an affiliation');
}
