// XEP-0045 stanzas as data for the panel, both ways: what a room's presence says about an occupant
// (role, affiliation, status codes §15.6), invitations (mediated §7.8.2 and direct XEP-0249), the
// room's disco#info (§6.4), and the requests the panel sends (join, owner form, admin items,
// XEP-0425 moderation). No state here: see muc.ts and state/rooms.svelte.ts.
import { NS, parseJid, tryParseJid, xml, type Element } from '@parley/shared';

export const MUC = 'http://jabber.org/protocol/muc';
export const MUC_USER = 'http://jabber.org/protocol/muc#user';
export const MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
export const MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
export const MUC_ROOMINFO = 'http://jabber.org/protocol/muc#roominfo';
export const MUC_ROOMCONFIG = 'http://jabber.org/protocol/muc#roomconfig';
/** XEP-0249 direct invitations. */
export const CONFERENCE = 'jabber:x:conference';
/** XEP-0425 message moderation (version 0.3, with XEP-0424 retractions). */
export const MODERATE = 'urn:xmpp:message-moderate:1';
export const RETRACT = 'urn:xmpp:message-retract:1';
export const OCCUPANT_ID = 'urn:xmpp:occupant-id:0';
/** §7.13, §8.6 voice requests and their approval. */
export const MUC_REQUEST = 'http://jabber.org/protocol/muc#request';

export type Role = 'moderator' | 'participant' | 'visitor' | 'none';
export type Affiliation = 'owner' | 'admin' | 'member' | 'outcast' | 'none';

/** §15.6 status codes the panel acts on. */
export const Status = {
  self: '110', created: '201', nickModified: '210', banned: '301', nickChanged: '303', kicked: '307',
  affiliationRemoved: '321', membersOnly: '322', shutdown: '332', technical: '333',
} as const;

export interface OccupantPresence {
  room: string;
  nick: string;
  /** Unavailable: the occupant left (or was removed, see the codes). */
  gone: boolean;
  role: Role;
  affiliation: Affiliation;
  /** The real bare JID, when the room shows it (non-anonymous rooms, or to moderators). */
  jid?: string;
  occupantId?: string;
  codes: string[];
  /** §7.6 a nickname change (303): the new nickname. */
  newNick?: string;
  /** Who removed the occupant (kick, ban) and why. */
  actor?: string;
  reason?: string;
  /** §10.9 the room was destroyed. */
  destroyed?: { reason?: string; venue?: string };
  show?: string;
}

const ROLES = new Set<Role>(['moderator', 'participant', 'visitor', 'none']);
const AFFILIATIONS = new Set<Affiliation>(['owner', 'admin', 'member', 'outcast', 'none']);

/** A room's presence about one occupant (from room@service/nick with <x xmlns='…muc#user'/>); undefined otherwise. */
export function parseOccupantPresence(presence: Element): OccupantPresence | undefined {
  const from = tryParseJid(presence.attrs.from);
  const x = presence.getChild('x', MUC_USER);
  if (!from || !from.local || !from.resource || !x || (presence.attrs.type !== undefined && presence.attrs.type !== 'unavailable')) return undefined;
  const item = x.getChild('item');
  const role = item?.attrs.role as Role | undefined;
  const affiliation = item?.attrs.affiliation as Affiliation | undefined;
  const destroy = x.getChild('destroy');
  const real = tryParseJid(item?.attrs.jid);
  return {
    room: from.bare,
    nick: from.resource,
    gone: presence.attrs.type === 'unavailable',
    role: role && ROLES.has(role) ? role : 'none',
    affiliation: affiliation && AFFILIATIONS.has(affiliation) ? affiliation : 'none',
    jid: real?.bare,
    occupantId: presence.getChild('occupant-id', OCCUPANT_ID)?.attrs.id,
    codes: x.getChildren('status').map((status) => status.attrs.code ?? '').filter(Boolean),
    newNick: item?.attrs.nick,
    actor: item?.getChild('actor')?.attrs.nick ?? item?.getChild('actor')?.attrs.jid,
    reason: item?.getChildText('reason') ?? undefined,
    destroyed: destroy ? { reason: destroy.getChildText('reason') ?? undefined, venue: destroy.attrs.jid } : undefined,
    show: presence.getChildText('show') ?? undefined,
  };
}

export interface Invitation {
  room: string;
  /** Who invites (a bare JID). */
  from: string;
  reason?: string;
  password?: string;
  /** Mediated (through the room, §7.8.2: a decline goes back through it) or direct (XEP-0249). */
  kind: 'mediated' | 'direct';
}

/** An invitation to a room, mediated or direct; undefined for any other message. */
export function parseInvitation(message: Element): Invitation | undefined {
  if (message.attrs.type === 'error' || message.attrs.type === 'groupchat') return undefined;
  const from = tryParseJid(message.attrs.from);
  if (!from) return undefined;
  const invite = message.getChild('x', MUC_USER)?.getChild('invite');
  if (invite) {
    const inviter = tryParseJid(invite.attrs.from);
    if (!inviter) return undefined;
    const x = message.getChild('x', MUC_USER)!;
    return { room: from.bare, from: inviter.bare, reason: invite.getChildText('reason') || undefined, password: x.getChildText('password') || undefined, kind: 'mediated' };
  }
  const direct = message.getChild('x', CONFERENCE);
  const room = tryParseJid(direct?.attrs.jid);
  if (!direct || !room) return undefined;
  return { room: room.bare, from: from.bare, reason: direct.attrs.reason || undefined, password: direct.attrs.password || undefined, kind: 'direct' };
}

/** §7.8.3 a decline coming back from the room: who declined. */
export function parseDecline(message: Element): { room: string; from: string; reason?: string } | undefined {
  const decline = message.getChild('x', MUC_USER)?.getChild('decline');
  const room = tryParseJid(message.attrs.from);
  const who = tryParseJid(decline?.attrs.from);
  if (!decline || !room || !who) return undefined;
  return { room: room.bare, from: who.bare, reason: decline.getChildText('reason') || undefined };
}

/** Whether a message is part of MUC signalling rather than a one-to-one chat message. */
export function isRoomSignal(message: Element): boolean {
  return message.getChild('x', MUC_USER) !== undefined || message.getChild('x', CONFERENCE) !== undefined;
}

export interface RoomInfo {
  name?: string;
  features: Set<string>;
  subjectChangeable: boolean;
  /** A room the server keeps an archive for (XEP-0313 at the room's JID). */
  archived: boolean;
  /** XEP-0425: moderators may retract messages. */
  moderation: boolean;
  membersOnly: boolean;
  passwordProtected: boolean;
  persistent: boolean;
  public: boolean;
  /** Who may send private messages (muc#roomconfig_allowpm, §7.5); unknown when the room does not say. */
  allowPm?: AllowPm;
}

export type AllowPm = 'anyone' | 'participants' | 'moderators' | 'none';
const ALLOW_PM = new Set<string>(['anyone', 'participants', 'moderators', 'none']);

/** §6.4 a room's disco#info answer. */
export function parseRoomInfo(query: Element): RoomInfo {
  const features = new Set(query.getChildren('feature').map((feature) => feature.attrs.var ?? ''));
  const identity = query.getChildren('identity').find((i) => i.attrs.category === 'conference');
  const form = query.getChildren('x', NS.dataForms).find((x) => x.getChildren('field').some((f) => f.attrs.var === 'FORM_TYPE' && f.getChildText('value') === MUC_ROOMINFO));
  const field = (name: string) => form?.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value') ?? undefined;
  const roomName = field('muc#roomconfig_roomname') || identity?.attrs.name;
  const truthy = (value: string | undefined) => value === '1' || value === 'true';
  const allowPm = field('muc#roomconfig_allowpm');
  return {
    name: roomName || undefined,
    features,
    subjectChangeable: truthy(field('muc#roominfo_subjectmod') ?? field('muc#roomconfig_changesubject')),
    archived: features.has(NS.mam),
    moderation: features.has(MODERATE),
    membersOnly: features.has('muc_membersonly'),
    passwordProtected: features.has('muc_passwordprotected'),
    persistent: features.has('muc_persistent'),
    public: features.has('muc_public'),
    allowPm: allowPm !== undefined && ALLOW_PM.has(allowPm) ? allowPm as AllowPm : undefined,
  };
}

/** §7.5 whether our role lets us send private messages in a room that allows `allowPm` (unknown: the room decides). */
export function mayMessagePrivately(allowPm: AllowPm | undefined, role: Role | undefined): boolean {
  switch (allowPm) {
    case undefined: case 'anyone': return true;
    case 'participants': return role === 'participant' || role === 'moderator';
    case 'moderators': return role === 'moderator';
    case 'none': return false;
  }
}

/**
 * §7.5 a private message from an occupant (room@service/nick, not groupchat, with the
 * <x xmlns='…muc#user'/> the room adds) and not an invitation or a decline.
 */
export function isPrivateMessage(message: Element): boolean {
  const type = message.attrs.type;
  if (type === 'groupchat' || type === 'error' || type === 'headline') return false;
  const from = tryParseJid(message.attrs.from);
  const x = message.getChild('x', MUC_USER);
  return from !== null && from !== undefined && from.local !== '' && from.resource !== '' && x !== undefined
    && x.getChild('invite') === undefined && x.getChild('decline') === undefined;
}

/** §8.6 a voice request the room forwards to us, a moderator: who asks (nickname and real JID). */
export interface VoiceRequest {
  room: string;
  nick: string;
  jid: string;
}

/** The approval form (§8.6) in a message from the room itself; undefined for any other message. */
export function parseVoiceRequest(message: Element): VoiceRequest | undefined {
  const from = tryParseJid(message.attrs.from);
  if (!from || !from.local || from.resource || message.attrs.type === 'error' || message.attrs.type === 'groupchat') return undefined;
  const form = message.getChildren('x', NS.dataForms).find((x) => x.attrs.type === 'form'
    && x.getChildren('field').some((f) => f.attrs.var === 'FORM_TYPE' && f.getChildText('value') === MUC_REQUEST));
  const value = (name: string) => form?.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value') ?? undefined;
  const nick = value('muc#roomnick');
  const jid = value('muc#jid');
  if (!form || !nick || !jid) return undefined;
  return { room: from.bare, nick, jid };
}

/** §7.13 a visitor's request for voice: the muc#request form with the role participant. */
export function voiceRequestMessage(room: string): Element {
  return xml('message', { to: room }, xml('x', { xmlns: NS.dataForms, type: 'submit' },
    xml('field', { var: 'FORM_TYPE' }, xml('value', null, MUC_REQUEST)),
    xml('field', { var: 'muc#role', type: 'list-single' }, xml('value', null, 'participant'))));
}

/** §8.6 a moderator's answer to a voice request. */
export function voiceApprovalMessage(request: VoiceRequest, allow: boolean): Element {
  const field = (name: string, value: string) => xml('field', { var: name }, xml('value', null, value));
  return xml('message', { to: request.room }, xml('x', { xmlns: NS.dataForms, type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', null, MUC_REQUEST)),
    field('muc#role', 'participant'), field('muc#jid', request.jid), field('muc#roomnick', request.nick),
    field('muc#request_allow', allow ? 'true' : 'false')));
}

/** §7.5 a private message to an occupant: type chat, with <x xmlns='…muc#user'/> (so that it is not carbon-copied, XEP-0280 §6). */
export function privateMessage(occupantJid: string, id: string, body: string): Element {
  return xml('message', { to: occupantJid, type: 'chat', id }, xml('body', null, body), xml('x', { xmlns: MUC_USER }),
    xml('origin-id', { xmlns: NS.stanzaIds, id }));
}

// ---- requests ----------------------------------------------------------------------------

/** History messages a room sends on entering (§7.2.15); the rest comes from its archive. */
export const ENTRY_HISTORY = 20;

/**
 * §7.2.1 entering (with §7.2.6 the password); the history comes from the archive, so little of it
 * here (`maxHistory`: none when the archive is to fill the conversation on its own).
 */
export function joinPresence(room: string, nick: string, password?: string, maxHistory = ENTRY_HISTORY): Element {
  return xml('presence', { to: `${room}/${nick}` },
    xml('x', { xmlns: MUC }, xml('history', { maxstanzas: String(maxHistory) }), password ? xml('password', null, password) : null));
}

export function leavePresence(room: string, nick: string): Element {
  return xml('presence', { to: `${room}/${nick}`, type: 'unavailable' });
}

export interface RoomSettings {
  name: string;
  public: boolean;
  membersOnly: boolean;
  persistent: boolean;
}

/** §10.1.2 an instant room (the defaults), or §10.1.3 the form submitted with the chosen settings. */
export function ownerConfiguration(room: string, settings: RoomSettings | null): Element {
  const field = (name: string, value: string) => xml('field', { var: name }, xml('value', null, value));
  const bool = (value: boolean) => (value ? '1' : '0');
  const form = settings === null ? xml('x', { xmlns: NS.dataForms, type: 'submit' }) : xml('x', { xmlns: NS.dataForms, type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', null, MUC_ROOMCONFIG)),
    field('muc#roomconfig_roomname', settings.name),
    field('muc#roomconfig_publicroom', bool(settings.public)),
    field('muc#roomconfig_membersonly', bool(settings.membersOnly)),
    field('muc#roomconfig_persistentroom', bool(settings.persistent)));
  return xml('iq', { type: 'set', to: room }, xml('query', { xmlns: MUC_OWNER }, form));
}

/** §8.2 kick (role none) by nickname, §9.1 ban (affiliation outcast) by real JID. */
export function adminItem(room: string, item: { nick?: string; jid?: string; role?: Role; affiliation?: Affiliation }, reason?: string): Element {
  return xml('iq', { type: 'set', to: room }, xml('query', { xmlns: MUC_ADMIN },
    xml('item', { nick: item.nick, jid: item.jid, role: item.role, affiliation: item.affiliation }, reason ? xml('reason', null, reason) : null)));
}

/** XEP-0425 §4 (0.3): a moderator retracts the room message with this stanza-id. */
export function moderateRequest(room: string, stanzaId: string, reason?: string): Element {
  return xml('iq', { type: 'set', to: room }, xml('moderate', { xmlns: MODERATE, id: stanzaId },
    xml('retract', { xmlns: RETRACT }), reason ? xml('reason', null, reason) : null));
}

/** §7.8.2 a mediated invitation, sent through the room. */
export function mediatedInvite(room: string, to: string, reason?: string): Element {
  return xml('message', { to: room }, xml('x', { xmlns: MUC_USER }, xml('invite', { to }, reason ? xml('reason', null, reason) : null)));
}

/** §7.8.3 declining a mediated invitation. */
export function mediatedDecline(room: string, inviter: string, reason?: string): Element {
  return xml('message', { to: room }, xml('x', { xmlns: MUC_USER }, xml('decline', { to: inviter }, reason ? xml('reason', null, reason) : null)));
}

/**
 * A room address from a name: the localpart lower-cased, spaces as dashes, only letters, digits
 * and `-_.` (RFC 7622 allows more, but people type and read these).
 */
export function roomAddress(name: string, service: string): string | null {
  const local = name.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, '-').replace(/[^\p{L}\p{N}._-]/gu, '').replace(/^[-.]+|[-.]+$/g, '').slice(0, 64);
  if (!local) return null;
  try {
    return parseJid(`${local}@${service}`).bare;
  } catch {
    return null;
  }
}

/** `@nick` in a body, not inside a longer word (case-insensitive, RFC 8266 nicknames compare so). */
export function mentions(body: string, nick: string): boolean {
  if (!nick) return false;
  const lower = body.toLowerCase();
  const needle = `@${nick.toLowerCase()}`;
  for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, at + 1)) {
    const before = at === 0 ? '' : lower[at - 1]!;
    const after = lower.slice(at + needle.length, at + needle.length + 1);
    if (!/[\p{L}\p{N}_]/u.test(before) && !/[\p{L}\p{N}_]/u.test(after)) return true;
  }
  return false;
}
