// One-to-one chat: messages with XEP-0359 origin-ids (dedupe across reconnections), XEP-0184
// receipts, XEP-0085 chat states, XEP-0203 delayed (offline) delivery, XEP-0280 carbons (what
// our other devices receive and send); an outbox while offline.
// Corrections, replies, retractions, reactions and read markers: see message-parts.ts.
import {
  chatStateElement, parseChatState, parseDelay, parseOriginId, parseReceipt, parseStanzaError, parseStanzaId,
  originIdElement, receiptAck, receiptRequest, tryParseJid, xml, type ChatState, type Element,
} from '@parley/shared';
import type { XmppClient } from './client.ts';
import { parseCarbon } from './carbons.ts';
import { Emitter } from './emitter.ts';
import { randomId } from './ids.ts';
import { isRoomSignal } from './muc-stanzas.ts';
import {
  NS_MARKERS, correctionPart, displayedStanza, oobPart, interpret, reactionsStanza, referenceIds, replyParts, retractionStanza,
  type MessageAction,
} from './message-parts.ts';

/** A stanza that changes another message instead of being one. */
export type MessageModifier = Exclude<MessageAction, { kind: 'message' }>;

export type DeliveryState = 'queued' | 'sent' | 'delivered' | 'failed';

export interface ChatMessage {
  /** Unique per conversation: our origin-id for outgoing messages, the best id we have for incoming ones. */
  id: string;
  /** Its id in our archive (XEP-0313), when known: the XEP-0359 stanza-id our server stamped. */
  archiveId?: string;
  peer: string;
  direction: 'in' | 'out';
  body: string;
  time: Date;
  /** Delivered late (offline storage): `time` is the original send time (XEP-0203). */
  delayed: boolean;
  delivery?: DeliveryState;
  error?: string;
  /** The ids other messages use to point at this one (stanza id, origin-id, archive id). */
  refs: string[];
  replyTo?: { id: string; quote?: string };
  edited?: boolean;
  retracted?: boolean;
  /**
   * XEP-0444 reactions by sender: ours ('out'), the peer's ('in'); in a room each occupant's
   * under its own key (see reactionSender).
   */
  reactions?: Record<string, string[]>;
  /** The sender asks for chat markers (XEP-0333). */
  markable?: boolean;
  /** Ours, and the peer has displayed it (XEP-0333). */
  displayed?: boolean;
  /** XEP-0393 §6: the sender asked for no styling. */
  unstyled?: boolean;
  /** XEP-0066: the URL of a shared file (the body usually repeats it). */
  oob?: string;
  /** Set when the stanza changes another message rather than being one. */
  action?: MessageModifier;
  /** In a room (XEP-0045): the sender's nickname… */
  nick?: string;
  /** …and its XEP-0421 occupant id (stable per real JID, unlike the nickname). */
  occupantId?: string;
  /** In a room: the body names us (`@nick`). */
  mentionsMe?: boolean;
}

export interface SendOptions {
  replyTo?: { id: string; text: string };
  /** A shared file's URL (XEP-0066), also the body. */
  oob?: string;
}

interface ChatEvents {
  message: [ChatMessage];
  delivery: [peer: string, id: string, state: DeliveryState, error?: string];
  chatState: [peer: string, state: ChatState];
}

/** How many incoming message keys are remembered for duplicate detection. */
const SEEN_LIMIT = 5_000;

export class ChatService extends Emitter<ChatEvents> {
  private readonly seen = new Set<string>();
  private readonly outbox: { peer: string; id: string; stanza: Element }[] = [];

  constructor(private readonly client: XmppClient) {
    super();
    client.on('message', (message) => this.receive(message));
    client.on('online', () => this.flushOutbox());
  }

  /** Send a chat message; kept in the outbox while offline, sent once the session is back. */
  send(peer: string, body: string, options: SendOptions = {}): ChatMessage {
    const id = randomId();
    const reply = options.replyTo ? replyParts(body, peer, options.replyTo) : null;
    // One id for stanza id and origin-id: receipts (XEP-0184) answer the stanza id.
    const stanza = xml('message', { to: peer, type: 'chat', id },
      xml('body', null, reply?.body ?? body), ...(reply?.parts ?? []), options.oob ? oobPart(options.oob) : null, chatStateElement('active'), receiptRequest(),
      xml('markable', { xmlns: NS_MARKERS }), originIdElement(id));
    const sent = this.queueOrSend(peer, id, stanza);
    const message: ChatMessage = {
      id, peer, direction: 'out', body, time: new Date(), delayed: false, delivery: sent ? 'sent' : 'queued', refs: [id],
      replyTo: options.replyTo ? { id: options.replyTo.id, quote: options.replyTo.text } : undefined, oob: options.oob,
    };
    this.emit('message', message);
    return message;
  }

  /** XEP-0308: our message `target` now reads `body`. */
  correct(peer: string, target: string, body: string): void {
    const id = randomId();
    this.queueOrSend(peer, id, xml('message', { to: peer, type: 'chat', id },
      xml('body', null, body), correctionPart(target), receiptRequest(), originIdElement(id)));
    this.emitModifier(peer, id, { kind: 'correction', target, body });
  }

  /** XEP-0424: withdraw our message `target` (delete for everyone). */
  retract(peer: string, target: string): void {
    const id = randomId();
    const stanza = retractionStanza(peer, id, target);
    stanza.children.push(originIdElement(id));
    this.queueOrSend(peer, id, stanza);
    this.emitModifier(peer, id, { kind: 'retraction', target });
  }

  /** XEP-0444: our whole set of reactions to `target`. */
  react(peer: string, target: string, reactions: string[]): void {
    const id = randomId();
    this.queueOrSend(peer, id, reactionsStanza(peer, id, target, reactions));
    this.emitModifier(peer, id, { kind: 'reactions', target, reactions });
  }

  /** XEP-0333: we displayed their message `target` (not queued: a later one supersedes it). */
  markDisplayed(peer: string, target: string): void {
    this.client.send(displayedStanza(peer, target));
  }

  private queueOrSend(peer: string, id: string, stanza: Element): boolean {
    const sent = this.client.send(stanza);
    if (!sent) this.outbox.push({ peer, id, stanza });
    return sent;
  }

  private emitModifier(peer: string, id: string, action: MessageModifier): void {
    this.emit('message', { id, peer, direction: 'out', body: '', time: new Date(), delayed: false, refs: [id], action });
  }

  /** Typing notifications are not queued: stale ones are worse than none. */
  sendChatState(peer: string, state: ChatState): void {
    this.client.send(xml('message', { to: peer, type: 'chat' }, chatStateElement(state), xml('no-store', { xmlns: 'urn:xmpp:hints' })));
  }

  private flushOutbox(): void {
    const queued = this.outbox.splice(0);
    for (const item of queued) {
      if (this.client.send(item.stanza)) this.emit('delivery', item.peer, item.id, 'sent');
      else this.outbox.push(item);
    }
  }

  private receive(stanza: Element): void {
    const carbon = parseCarbon(stanza, this.client.account.bare);
    if (carbon === null) return;
    if (carbon?.direction === 'sent') return this.receiveSent(carbon.message);
    // a received carbon is the message as another device of ours got it
    const message = carbon?.message ?? stanza;
    const from = tryParseJid(message.attrs.from);
    if (!from) return;
    const peer = from.bare;
    const type = message.attrs.type ?? 'normal';
    if (type === 'error') {
      if (message.attrs.id) this.emit('delivery', peer, message.attrs.id, 'failed', parseStanzaError(message)?.condition);
      return;
    }
    // room messages, invitations and declines are the rooms' (muc.ts)
    if (type === 'groupchat' || type === 'headline' || isRoomSignal(message)) return;
    const receipt = parseReceipt(message);
    if (receipt.received) this.emit('delivery', peer, receipt.received, 'delivered');
    const body = message.getChildText('body');
    const state = parseChatState(message);
    if (state) this.emit('chatState', peer, body ? 'active' : state);
    const action = interpret(message);
    if (!action) return;

    const delay = parseDelay(message);
    const key = this.dedupeKey(message, peer);
    if (key && this.seen.has(key)) return; // the same message again after a reconnection
    if (key) this.remember(key);
    // XEP-0184 §5.2: acknowledge a message that asks for it (the device that got it answers, not a carbon).
    if (receipt.requested && message.attrs.id && body && !carbon) this.client.send(receiptAck(from.full, message.attrs.id, randomId()));
    const archiveId = parseStanzaId(message, this.client.account.bare);
    this.emit('message', chatMessage(action, {
      id: key ?? randomId(), archiveId, peer, direction: 'in', time: delay?.stamp ?? new Date(), delayed: delay !== undefined,
      refs: [...referenceIds(message), ...(archiveId ? [archiveId] : [])],
    }));
  }

  /**
   * XEP-0280 §6: what another device of ours sent. Its id is ours (origin-id), as on the device that
   * sent it and in the archive, so it shows once whichever way it arrives.
   */
  private receiveSent(message: Element): void {
    const to = tryParseJid(message.attrs.to);
    const type = message.attrs.type ?? 'normal';
    if (!to || type === 'error' || type === 'groupchat' || type === 'headline') return;
    const action = interpret(message);
    if (!action) return;
    const archiveId = parseStanzaId(message, this.client.account.bare);
    // as archive.ts names our messages: origin-id, else the archive id
    const id = parseOriginId(message) ?? archiveId ?? message.attrs.id;
    if (!id) return;
    const key = `${to.bare} out ${id}`;
    if (this.seen.has(key)) return;
    this.remember(key);
    this.emit('message', chatMessage(action, {
      id, archiveId, peer: to.bare, direction: 'out', time: parseDelay(message)?.stamp ?? new Date(), delayed: false,
      delivery: 'sent', refs: [...referenceIds(message), ...(archiveId ? [archiveId] : [])],
    }));
  }

  /** XEP-0359: the server's stanza-id for us, else the sender's origin-id, else the stanza id. */
  private dedupeKey(message: Element, peer: string): string | undefined {
    const id = parseStanzaId(message, this.client.account.bare) ?? parseOriginId(message) ?? message.attrs.id;
    return id ? `${peer} ${id}` : undefined;
  }

  private remember(key: string): void {
    this.seen.add(key);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value!);
  }
}

/** A received (or archived) stanza as a ChatMessage: a message to show, or what it changes. */
export function chatMessage(action: MessageAction, base: Omit<ChatMessage, 'body'>): ChatMessage {
  if (action.kind !== 'message') return { ...base, body: action.kind === 'correction' ? action.body : '', action };
  return {
    ...base, body: action.body, replyTo: action.replyTo, markable: action.markable || undefined, unstyled: action.unstyled || undefined,
    oob: action.oob, retracted: action.retracted || undefined,
  };
}
