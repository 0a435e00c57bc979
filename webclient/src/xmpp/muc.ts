// XEP-0045 group chat for the panel: entering rooms (a promise that settles on the self-presence
// §7.2.3 or the error §7.2.5–§7.2.11), the room's presences, messages and subject as events,
// invitations (mediated and XEP-0249 direct), owner and admin requests, XEP-0425 moderation, and
// the room's archive mapped to the same message ids the live room uses (for dedupe).
import {
  NS, StanzaError, parseDelay, parseOriginId, parseStanzaError, parseStanzaId, tryParseJid, xml, type Element,
} from '@parley/shared';
import type { MamResult } from '@parley/shared/mam';
import { chatMessage, type ChatMessage } from './chat.ts';
import type { XmppClient } from './client.ts';
import { Emitter } from './emitter.ts';
import { randomId } from './ids.ts';
import { correctionPart, interpret, reactionsStanza, referenceIds } from './message-parts.ts';
import {
  ENTRY_HISTORY, OCCUPANT_ID, Status, adminItem, isPrivateMessage, joinPresence, leavePresence, mediatedDecline, mediatedInvite, mentions, moderateRequest,
  ownerConfiguration, parseDecline, parseInvitation, parseOccupantPresence, parseRoomInfo, parseVoiceRequest, privateMessage, voiceApprovalMessage,
  voiceRequestMessage, type Affiliation, type Invitation, type OccupantPresence, type RoomInfo, type RoomSettings, type VoiceRequest,
} from './muc-stanzas.ts';

interface RoomEvents {
  /** A presence about an occupant (`self`: about us, status 110). */
  occupant: [OccupantPresence, boolean];
  message: [ChatMessage];
  subject: [room: string, subject: string, nick: string | undefined];
  /** A message of ours the room refused (§7.4: no voice, not an occupant…); `room` is the occupant's JID for a private message. */
  refused: [room: string, id: string, condition: string];
  /** §7.5 a private message from an occupant (its `peer` is the occupant's JID, room@service/nick). */
  private: [ChatMessage];
  /** §8.6 an occupant asks the moderators (us among them) for voice. */
  voiceRequest: [VoiceRequest];
  invitation: [Invitation];
  declined: [room: string, from: string, reason: string | undefined];
}

export interface Entered {
  nick: string;
  /** §10.1.1 status 201: the room was created by this presence (locked until configured). */
  created: boolean;
}

/** Who we are in a room we are in. */
interface Presence {
  nick: string;
  occupantId?: string;
}

const JOIN_TIMEOUT_MS = 20_000;

/** An entry replaced by a newer one to the same room (its answer is the newer one's). */
export class EntrySuperseded extends Error {}

/** A room's message as the panel shows it; `stanzaId` for archived ones (their result id). */
export function roomMessage(stanza: Element, room: string, me: Presence | undefined, stanzaId?: string, stamp?: Date): ChatMessage | undefined {
  const from = tryParseJid(stanza.attrs.from);
  const action = interpret(stanza);
  if (!from || from.bare !== room || !action) return undefined;
  const nick = from.resource;
  // from the room itself: only a moderator's retraction (XEP-0425) changes a message
  if (!nick && !(action.kind === 'retraction' && action.moderated)) return undefined;
  const archiveId = stanzaId ?? parseStanzaId(stanza, room);
  const occupantId = stanza.getChild('occupant-id', OCCUPANT_ID)?.attrs.id;
  const outgoing = nick !== '' && me !== undefined && ((occupantId !== undefined && occupantId === me.occupantId) || nick === me.nick);
  const delay = parseDelay(stanza);
  const origin = parseOriginId(stanza);
  const refs = [...referenceIds(stanza), ...(archiveId ? [archiveId] : [])];
  const id = outgoing ? (origin ?? archiveId ?? stanza.attrs.id ?? randomId()) : (archiveId ?? `${nick} ${origin ?? stanza.attrs.id ?? randomId()}`);
  const message = chatMessage(action, {
    id, archiveId, peer: room, direction: outgoing ? 'out' : 'in', time: stamp ?? delay?.stamp ?? new Date(), delayed: stamp === undefined && delay !== undefined,
    refs, nick, occupantId,
  });
  if (!outgoing && me && action.kind === 'message' && mentions(action.body, me.nick)) message.mentionsMe = true;
  return message;
}

export class RoomService extends Emitter<RoomEvents> {
  /** Rooms we are in, by bare JID. */
  private readonly present = new Map<string, Presence>();
  private readonly entering = new Map<string, { resolve: (entered: Entered) => void; reject: (error: Error) => void; timer: ReturnType<typeof setTimeout> }>();
  private service: Promise<string> | null = null;

  constructor(private readonly client: XmppClient) {
    super();
    client.on('presence', (presence) => this.receivePresence(presence));
    client.on('message', (message) => this.receiveMessage(message));
    // a new session is in no room (the panel enters them again, see state/room-session)
    client.on('status', (status) => {
      if (status === 'online') return;
      this.present.clear();
      for (const [room, waiter] of this.entering) {
        clearTimeout(waiter.timer);
        waiter.reject(new StanzaError('remote-server-timeout', 'connection lost'));
        this.entering.delete(room);
      }
    });
  }

  /** Our nickname in a room we are in. */
  me(room: string): Presence | undefined {
    return this.present.get(room);
  }

  /**
   * Enter a room; rejects with the room's StanzaError (wrong password, banned, members only…).
   * `maxHistory`: messages the room sends on entering (§7.2.15).
   */
  enter(room: string, nick: string, password?: string, maxHistory = ENTRY_HISTORY): Promise<Entered> {
    const previous = this.entering.get(room);
    if (previous) {
      clearTimeout(previous.timer);
      previous.reject(new EntrySuperseded('entering again'));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.entering.delete(room);
        reject(new StanzaError('remote-server-timeout', 'the room did not answer'));
      }, JOIN_TIMEOUT_MS);
      this.entering.set(room, { resolve, reject, timer });
      if (!this.client.send(joinPresence(room, nick, password, maxHistory))) {
        clearTimeout(timer);
        this.entering.delete(room);
        reject(new StanzaError('remote-server-timeout', 'not connected'));
      }
    });
  }

  leave(room: string): void {
    const me = this.present.get(room);
    this.present.delete(room);
    if (me) this.client.send(leavePresence(room, me.nick));
  }

  /** §6.4 what the room says about itself; item-not-found when there is no such room. */
  async info(room: string): Promise<RoomInfo> {
    const answer = await this.client.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: NS.discoInfo })));
    return parseRoomInfo(answer.getChild('query', NS.discoInfo) ?? xml('query'));
  }

  /** The account domain's chat service (§6.1: a disco#items item with a conference identity). */
  chatService(): Promise<string> {
    this.service ??= this.discoverService().catch((error: unknown) => {
      this.service = null;
      throw error;
    });
    return this.service;
  }

  private async discoverService(): Promise<string> {
    const domain = this.client.account.domain;
    const items = await this.client.iq(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: NS.discoItems })));
    for (const item of items.getChild('query', NS.discoItems)?.getChildren('item') ?? []) {
      const jid = item.attrs.jid;
      if (!jid || item.attrs.node) continue;
      const info = await this.client.iq(xml('iq', { type: 'get', to: jid }, xml('query', { xmlns: NS.discoInfo }))).catch(() => null);
      if (info?.getChild('query', NS.discoInfo)?.getChildren('identity').some((i) => i.attrs.category === 'conference' && i.attrs.type === 'text')) return jid;
    }
    throw new StanzaError('item-not-found', 'this server has no chat rooms');
  }

  /** §10.1.2 instant room, or §10.1.3 the chosen settings (a room just created is locked until then). */
  async configure(room: string, settings: RoomSettings | null): Promise<void> {
    await this.client.iq(ownerConfiguration(room, settings));
  }

  /** A groupchat message with our origin-id (XEP-0359), which the room echoes back. */
  send(room: string, body: string): ChatMessage {
    const id = randomId();
    this.client.send(xml('message', { to: room, type: 'groupchat', id }, xml('body', null, body), xml('origin-id', { xmlns: NS.stanzaIds, id })));
    return { id, peer: room, direction: 'out', body, time: new Date(), delayed: false, delivery: 'sent', refs: [id], nick: this.present.get(room)?.nick };
  }

  /** XEP-0308 in a room: our message `target` (its id, as the room repeats it) now reads `body`. */
  correct(room: string, target: string, body: string): ChatMessage {
    const id = randomId();
    this.client.send(xml('message', { to: room, type: 'groupchat', id }, xml('body', null, body), correctionPart(target), xml('origin-id', { xmlns: NS.stanzaIds, id })));
    return this.modifier(room, id, { kind: 'correction', target, body });
  }

  /** XEP-0444 §4.1 in a room: our whole set of reactions to the message with the room's stanza-id `target`. */
  react(room: string, target: string, reactions: string[]): ChatMessage {
    const id = randomId();
    const stanza = reactionsStanza(room, id, target, reactions, 'groupchat');
    stanza.children.push(xml('origin-id', { xmlns: NS.stanzaIds, id }));
    this.client.send(stanza);
    return this.modifier(room, id, { kind: 'reactions', target, reactions });
  }

  private modifier(room: string, id: string, action: NonNullable<ChatMessage['action']>): ChatMessage {
    return { id, peer: room, direction: 'out', body: '', time: new Date(), delayed: false, refs: [id], action, nick: this.present.get(room)?.nick };
  }

  /** §7.5 a private message to an occupant (`to`: room@service/nick). */
  sendPrivate(to: string, body: string): ChatMessage {
    const id = randomId();
    const sent = this.client.send(privateMessage(to, id, body));
    return { id, peer: to, direction: 'out', body, time: new Date(), delayed: false, delivery: sent ? 'sent' : 'failed', refs: [id] };
  }

  /** §7.13 ask the moderators for voice (we are a visitor). */
  requestVoice(room: string): void {
    this.client.send(voiceRequestMessage(room));
  }

  /** §8.6 answer a voice request (as a moderator). */
  answerVoice(request: VoiceRequest, allow: boolean): void {
    this.client.send(voiceApprovalMessage(request, allow));
  }

  /** §8.1 a new subject. */
  setSubject(room: string, subject: string): void {
    this.client.send(xml('message', { to: room, type: 'groupchat' }, xml('subject', null, subject)));
  }

  invite(room: string, to: string, reason?: string): void {
    this.client.send(mediatedInvite(room, to, reason));
  }

  decline(invitation: Invitation): void {
    if (invitation.kind === 'mediated') this.client.send(mediatedDecline(invitation.room, invitation.from));
  }

  /** §8.2 kick an occupant. */
  async kick(room: string, nick: string, reason?: string): Promise<void> {
    await this.client.iq(adminItem(room, { nick, role: 'none' }, reason));
  }

  /** §9.1 ban a user (by real JID), or another affiliation change. */
  async setAffiliation(room: string, jid: string, affiliation: Affiliation, reason?: string): Promise<void> {
    await this.client.iq(adminItem(room, { jid, affiliation }, reason));
  }

  /** XEP-0425: retract a room message (by the room's stanza-id) as a moderator. */
  async moderate(room: string, stanzaId: string, reason?: string): Promise<void> {
    await this.client.iq(moderateRequest(room, stanzaId, reason));
  }

  /** How the room's archive results become messages (for ArchiveService's `source`). */
  archiveMapper(room: string): (result: MamResult) => ChatMessage | undefined {
    return (result) => roomMessage(result.message, room, this.present.get(room), result.id, result.stamp ?? new Date());
  }

  private receivePresence(presence: Element): void {
    const from = tryParseJid(presence.attrs.from);
    if (!from?.local) return;
    const room = from.bare;
    const waiter = this.entering.get(room);
    if (presence.attrs.type === 'error') {
      if (!waiter) return;
      clearTimeout(waiter.timer);
      this.entering.delete(room);
      waiter.reject(parseStanzaError(presence) ?? new StanzaError('undefined-condition'));
      return;
    }
    const info = parseOccupantPresence(presence);
    if (!info) return;
    const self = info.codes.includes(Status.self);
    if (self) {
      if (info.gone && info.codes.includes(Status.nickChanged) && info.newNick) this.present.set(room, { nick: info.newNick, occupantId: info.occupantId });
      else if (info.gone) this.present.delete(room);
      else this.present.set(room, { nick: info.nick, occupantId: info.occupantId });
      if (!info.gone && waiter) {
        clearTimeout(waiter.timer);
        this.entering.delete(room);
        waiter.resolve({ nick: info.nick, created: info.codes.includes(Status.created) });
      }
    }
    this.emit('occupant', info, self);
  }

  private receiveMessage(message: Element): void {
    const type = message.attrs.type;
    const from = tryParseJid(message.attrs.from);
    if (!from) return;
    if (type !== 'groupchat') {
      if (type === 'error' && this.present.has(from.bare) && message.attrs.id) {
        // a private message bounces from the occupant's JID, a room message from the room's
        this.emit('refused', from.full, message.attrs.id, parseStanzaError(message)?.condition ?? 'undefined-condition');
        return;
      }
      if (this.present.has(from.bare) && isPrivateMessage(message)) return this.receivePrivate(message, from.full, from.resource);
      const voice = this.present.has(from.bare) ? parseVoiceRequest(message) : undefined;
      if (voice) return this.emit('voiceRequest', voice);
      const invitation = parseInvitation(message);
      if (invitation) return this.emit('invitation', invitation);
      const decline = parseDecline(message);
      if (decline) this.emit('declined', decline.room, decline.from, decline.reason);
      return;
    }
    const room = from.bare;
    const me = this.present.get(room);
    if (!me) return;
    const subject = message.getChild('subject');
    if (subject && message.getChild('body') === undefined) {
      this.emit('subject', room, subject.getText(), from.resource || undefined);
      return;
    }
    const shown = roomMessage(message, room, me);
    if (shown) this.emit('message', shown);
  }

  /** §7.5: what an occupant sent us alone; only messages with a body (no markers, states or receipts here). */
  private receivePrivate(message: Element, occupantJid: string, nick: string): void {
    const action = interpret(message);
    if (action?.kind !== 'message' || !action.body) return;
    const id = parseOriginId(message) ?? message.attrs.id ?? randomId();
    const delay = parseDelay(message);
    this.emit('private', chatMessage(action, {
      id: `${nick} ${id}`, peer: occupantJid, direction: 'in', time: delay?.stamp ?? new Date(), delayed: delay !== undefined,
      refs: referenceIds(message), nick, occupantId: message.getChild('occupant-id', OCCUPANT_ID)?.attrs.id,
    }));
  }
}
