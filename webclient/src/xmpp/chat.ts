// One-to-one chat: messages with XEP-0359 origin-ids (dedupe across reconnections), XEP-0184
// receipts, XEP-0085 chat states, XEP-0203 delayed (offline) delivery; an outbox while offline.
import {
  chatStateElement, parseChatState, parseDelay, parseOriginId, parseReceipt, parseStanzaError, parseStanzaId,
  originIdElement, receiptAck, receiptRequest, tryParseJid, xml, type ChatState, type Element,
} from '@parley/shared';
import type { XmppClient } from './client.ts';
import { Emitter } from './emitter.ts';
import { randomId } from './ids.ts';

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
  send(peer: string, body: string): ChatMessage {
    const id = randomId();
    // One id for stanza id and origin-id: receipts (XEP-0184) answer the stanza id.
    const stanza = xml('message', { to: peer, type: 'chat', id },
      xml('body', null, body), chatStateElement('active'), receiptRequest(), originIdElement(id));
    const sent = this.client.send(stanza);
    if (!sent) this.outbox.push({ peer, id, stanza });
    const message: ChatMessage = { id, peer, direction: 'out', body, time: new Date(), delayed: false, delivery: sent ? 'sent' : 'queued' };
    this.emit('message', message);
    return message;
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

  private receive(message: Element): void {
    const from = tryParseJid(message.attrs.from);
    if (!from) return;
    const peer = from.bare;
    const type = message.attrs.type ?? 'normal';
    if (type === 'error') {
      if (message.attrs.id) this.emit('delivery', peer, message.attrs.id, 'failed', parseStanzaError(message)?.condition);
      return;
    }
    if (type === 'groupchat' || type === 'headline') return;
    const receipt = parseReceipt(message);
    if (receipt.received) this.emit('delivery', peer, receipt.received, 'delivered');
    const body = message.getChildText('body');
    const state = parseChatState(message);
    if (state) this.emit('chatState', peer, body ? 'active' : state);
    if (!body) return;

    const delay = parseDelay(message);
    const key = this.dedupeKey(message, peer);
    if (key && this.seen.has(key)) return; // the same message again after a reconnection
    if (key) this.remember(key);
    // XEP-0184 §5.2: acknowledge a message that asks for it (and has an id to acknowledge).
    if (receipt.requested && message.attrs.id) this.client.send(receiptAck(from.full, message.attrs.id, randomId()));
    this.emit('message', {
      id: key ?? randomId(), archiveId: parseStanzaId(message, this.client.account.bare), peer, direction: 'in', body, time: delay?.stamp ?? new Date(), delayed: delay !== undefined,
    });
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
