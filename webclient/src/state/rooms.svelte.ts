// The rooms the panel knows (bookmarked, entered, or being entered), their occupants with roles
// and affiliations (XEP-0045 §5), subject, mentions of us, and pending invitations. Messages and
// their history live in a Conversations of their own, keyed by the room's JID, like one-to-one chats.
import { t } from '../i18n/index.svelte.ts';
import type { ChatMessage } from '../xmpp/chat.ts';
import {
  Status, mayMessagePrivately, type Affiliation, type Invitation, type OccupantPresence, type Role, type RoomInfo, type VoiceRequest,
} from '../xmpp/muc-stanzas.ts';
import { Conversations } from './conversations.svelte.ts';

export interface Occupant {
  nick: string;
  role: Role;
  affiliation: Affiliation;
  /** The real bare JID, when the room shows it. */
  jid?: string;
  show?: string;
}

/** A private conversation with an occupant (XEP-0045 §7.5), keyed by the occupant's JID. */
export interface PrivateChat {
  /** room@service/nick */
  jid: string;
  room: string;
  nick: string;
}

/** room@service/nick as its room and nickname; null for a room's own JID. */
export function privateChatOf(jid: string): PrivateChat | null {
  const slash = jid.indexOf('/');
  return slash < 0 ? null : { jid, room: jid.slice(0, slash), nick: jid.slice(slash + 1) };
}

/** out: bookmarked or left; entering; in; failed (with `problem`). */
export type RoomStatus = 'out' | 'entering' | 'in' | 'failed';

export interface Room {
  jid: string;
  name: string;
  /** The nickname we use (or asked for). */
  nick: string;
  password?: string;
  status: RoomStatus;
  /** Why we are not in the room, in words. */
  problem?: string;
  subject: string;
  subjectBy?: string;
  occupants: Record<string, Occupant>;
  /** Us, once in. */
  self?: Occupant;
  info?: Omit<RoomInfo, 'features'>;
  /** Unread messages that name us. */
  mentions: number;
  /** Kept as a XEP-0402 bookmark with autojoin. */
  autojoin: boolean;
  /** §8.6 visitors asking us (a moderator) for voice. */
  voiceRequests: VoiceRequest[];
  /** §7.13 we (a visitor) asked for voice. */
  voiceAsked?: boolean;
}

const AFFILIATION_RANK: Record<Affiliation, number> = { owner: 4, admin: 3, member: 2, none: 1, outcast: 0 };
const collator = new Intl.Collator(undefined, { sensitivity: 'base' });

export class Rooms {
  byJid = $state<Record<string, Room>>({});
  invitations = $state<Invitation[]>([]);
  readonly conversations = new Conversations();

  has(jid: string | null | undefined): boolean {
    return jid !== null && jid !== undefined && this.byJid[jid] !== undefined;
  }

  /** The room (the reactive proxy), added when new. */
  add(jid: string, nick: string, name?: string): Room {
    this.byJid[jid] ??= { jid, name: name || jid.slice(0, jid.indexOf('@')), nick, status: 'out', subject: '', occupants: {}, mentions: 0, autojoin: false, voiceRequests: [] };
    const room = this.byJid[jid]!;
    if (name) room.name = name;
    this.conversations.open(jid);
    return room;
  }

  remove(jid: string): void {
    delete this.byJid[jid];
    this.conversations.close(jid);
    for (const chat of this.privateChats) if (chat.room === jid) this.conversations.close(chat.jid);
  }

  /** The private conversations with occupants, newest activity first. */
  get privateChats(): PrivateChat[] {
    return this.conversations.ordered.map((conversation) => privateChatOf(conversation.peer)).filter((chat): chat is PrivateChat => chat !== null);
  }

  /** §7.5: another occupant, in a room we are in whose muc#roomconfig_allowpm lets our role write privately. */
  canMessagePrivately(jid: string, occupant: Occupant): boolean {
    const room = this.byJid[jid];
    if (room?.status !== 'in' || !room.self || occupant.nick === room.self.nick) return false;
    return mayMessagePrivately(room.info?.allowPm, room.self.role);
  }

  /** The occupant a private conversation is with is in the room (and so are we). */
  isPresent(chat: PrivateChat): boolean {
    const room = this.byJid[chat.room];
    return room?.status === 'in' && room.occupants[chat.nick] !== undefined;
  }

  /** Newest activity first, then by name. */
  get ordered(): Room[] {
    const activity = (room: Room) => this.conversations.byPeer[room.jid]?.lastActivity ?? 0;
    return Object.values(this.byJid).sort((a, b) => activity(b) - activity(a) || collator.compare(a.name, b.name));
  }

  get totalUnread(): number {
    return this.conversations.totalUnread;
  }

  unreadOf(jid: string): number {
    return this.conversations.byPeer[jid]?.unread ?? 0;
  }

  /** A room message: false when already shown. A mention of us that is not read counts apart. */
  addMessage(message: ChatMessage, read: boolean): boolean {
    const added = this.conversations.add(message, read);
    const room = this.byJid[message.peer];
    if (added && room && !read && message.mentionsMe) room.mentions++;
    return added;
  }

  markRead(jid: string): void {
    this.conversations.markRead(jid);
    const room = this.byJid[jid];
    if (room && room.mentions > 0) room.mentions = 0;
  }

  /** A presence from the room about an occupant (`self`: about us). */
  applyPresence(presence: OccupantPresence, self: boolean): void {
    const room = this.byJid[presence.room];
    if (!room) return;
    const occupant: Occupant = { nick: presence.nick, role: presence.role, affiliation: presence.affiliation, jid: presence.jid, show: presence.show };
    if (presence.gone) {
      delete room.occupants[presence.nick];
      if (room.voiceRequests.length) room.voiceRequests = room.voiceRequests.filter((r) => r.nick !== presence.nick);
      // §7.6 a nickname change: the same occupant under the new nickname
      if (presence.codes.includes(Status.nickChanged) && presence.newNick) {
        room.occupants[presence.newNick] = { ...occupant, nick: presence.newNick };
        if (self) {
          room.nick = presence.newNick;
          room.self = room.occupants[presence.newNick];
        }
        return;
      }
      if (self) this.removed(room, presence);
      return;
    }
    room.occupants[presence.nick] = occupant;
    // §8.6 a request answered (by us or another moderator): the occupant has voice now
    if (occupant.role !== 'visitor' && room.voiceRequests.some((r) => r.nick === presence.nick)) room.voiceRequests = room.voiceRequests.filter((r) => r.nick !== presence.nick);
    if (self && occupant.role !== 'visitor') room.voiceAsked = undefined;
    if (self) {
      room.self = occupant;
      room.nick = presence.nick;
      room.status = 'in';
      room.problem = undefined;
    }
  }

  /** We are out of the room, and why (§8.2 kicked, §9.1 banned, §9.4/§9.8 membership, §10.9 destroyed). */
  private removed(room: Room, presence: OccupantPresence): void {
    room.status = 'out';
    room.self = undefined;
    room.occupants = {};
    room.voiceRequests = [];
    room.voiceAsked = undefined;
    const codes = presence.codes;
    const actor = presence.actor ?? 'none';
    if (presence.destroyed) room.problem = t('rooms.destroyed', { reason: presence.destroyed.reason ?? 'none' });
    else if (codes.includes(Status.banned)) room.problem = t('rooms.bannedBy', { actor, reason: presence.reason ?? 'none' });
    else if (codes.includes(Status.kicked)) room.problem = t('rooms.kickedBy', { actor, reason: presence.reason ?? 'none' });
    else if (codes.includes(Status.affiliationRemoved) || codes.includes(Status.membersOnly)) room.problem = t('rooms.membershipRemoved');
    else if (codes.includes(Status.shutdown)) room.problem = t('rooms.shutdown');
    else room.problem = undefined;
    if (room.problem) room.status = 'failed';
  }

  /** The connection dropped: nobody is in any room until entering again. */
  disconnected(): void {
    for (const room of Object.values(this.byJid)) {
      if (room.status === 'in' || room.status === 'entering') room.status = 'entering';
      room.occupants = {};
      room.voiceRequests = [];
    }
  }

  setSubject(jid: string, subject: string, by?: string): void {
    const room = this.byJid[jid];
    if (!room) return;
    room.subject = subject;
    room.subjectBy = by;
  }

  /** §8.6 a visitor asks for voice (once per nickname in the list). */
  addVoiceRequest(request: VoiceRequest): void {
    const room = this.byJid[request.room];
    if (!room || room.occupants[request.nick]?.role !== 'visitor') return;
    room.voiceRequests = [...room.voiceRequests.filter((r) => r.nick !== request.nick), request];
  }

  dropVoiceRequest(request: VoiceRequest): void {
    const room = this.byJid[request.room];
    if (room) room.voiceRequests = room.voiceRequests.filter((r) => r.nick !== request.nick);
  }

  /** §7.13: we are a visitor (in a moderated room): we read, and may ask for voice. */
  isVisitor(jid: string): boolean {
    return this.byJid[jid]?.status === 'in' && this.byJid[jid]?.self?.role === 'visitor';
  }

  addInvitation(invitation: Invitation): void {
    if (this.byJid[invitation.room]?.status === 'in') return; // already there
    this.invitations = [...this.invitations.filter((i) => i.room !== invitation.room), invitation];
  }

  dropInvitation(room: string): void {
    this.invitations = this.invitations.filter((i) => i.room !== room);
  }

  /** §8.1: moderators, or participants when the room lets occupants change it. */
  canChangeSubject(jid: string): boolean {
    const room = this.byJid[jid];
    const role = room?.self?.role;
    return room?.status === 'in' && (role === 'moderator' || (role === 'participant' && room.info?.subjectChangeable === true));
  }

  isModerator(jid: string): boolean {
    return this.byJid[jid]?.status === 'in' && this.byJid[jid]?.self?.role === 'moderator';
  }

  /** XEP-0425 retraction: moderators, when the service supports it. */
  canRetract(jid: string): boolean {
    return this.isModerator(jid) && this.byJid[jid]?.info?.moderation === true;
  }

  /** §8.2: a moderator kicks occupants who are not admins or owners (nor themselves). */
  canKick(jid: string, occupant: Occupant): boolean {
    const room = this.byJid[jid];
    if (!room?.self || !this.isModerator(jid) || occupant.nick === room.self.nick) return false;
    return AFFILIATION_RANK[occupant.affiliation] < AFFILIATION_RANK.admin;
  }

  /** §9.1: admins and owners ban users of lower affiliation, by their real JID. */
  canBan(jid: string, occupant: Occupant): boolean {
    const room = this.byJid[jid];
    const mine = room?.self?.affiliation;
    if (!room?.self || room.status !== 'in' || !occupant.jid || occupant.nick === room.self.nick || !mine) return false;
    return AFFILIATION_RANK[mine] >= AFFILIATION_RANK.admin && AFFILIATION_RANK[occupant.affiliation] < AFFILIATION_RANK[mine];
  }
}

/** The room's answer to entering, in words (§7.2.5–§7.2.11). */
export function enterProblem(condition: string, sentPassword: boolean): string {
  switch (condition) {
    case 'item-not-found': return t('rooms.error.notFound');
    case 'forbidden': return t('rooms.error.banned');
    case 'registration-required': return t('rooms.error.membersOnly');
    case 'not-authorized': return sentPassword ? t('rooms.error.wrongPassword') : t('rooms.error.password');
    case 'conflict': return t('rooms.error.nickInUse');
    case 'service-unavailable': return t('rooms.error.full');
    case 'not-allowed': return t('rooms.error.notAllowed');
    case 'jid-malformed': return t('rooms.error.badNick');
    case 'resource-constraint': return t('rooms.error.tooMany');
    case 'remote-server-timeout': return t('rooms.error.timeout');
    default: return t('rooms.error.other');
  }
}
