// Open conversations: their messages (deduplicated by id), unread counts, typing state.
import type { ChatState } from '@parley/shared';
import type { ChatMessage, DeliveryState } from '../xmpp/chat.ts';

export interface Conversation {
  peer: string;
  messages: ChatMessage[];
  unread: number;
  /** The peer is typing (XEP-0085 'composing'). */
  typing: boolean;
  /** Time of the last message, for ordering the list. */
  lastActivity: number;
}

/** Messages kept per conversation in memory. */
const MAX_MESSAGES = 1_000;
/** A 'composing' that is never followed up stops showing after this long (XEP-0085 §5.1 timeouts). */
const TYPING_TIMEOUT_MS = 30_000;

export class Conversations {
  byPeer = $state<Record<string, Conversation>>({});
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();

  /** Newest activity first. */
  get ordered(): Conversation[] {
    return Object.values(this.byPeer).sort((a, b) => b.lastActivity - a.lastActivity);
  }

  get totalUnread(): number {
    let total = 0;
    for (const conversation of Object.values(this.byPeer)) total += conversation.unread;
    return total;
  }

  open(peer: string): Conversation {
    return (this.byPeer[peer] ??= { peer, messages: [], unread: 0, typing: false, lastActivity: Date.now() });
  }

  close(peer: string): void {
    delete this.byPeer[peer];
  }

  /** Add a message in time order; false when it is already there (the same id). */
  add(message: ChatMessage, read: boolean): boolean {
    const conversation = this.open(message.peer);
    if (conversation.messages.some((m) => m.id === message.id && m.direction === message.direction)) return false;
    const messages = conversation.messages;
    let index = messages.length;
    // Delayed (offline) messages can be older than what is shown: keep the list in time order.
    while (index > 0 && messages[index - 1]!.time > message.time) index--;
    messages.splice(index, 0, message);
    if (messages.length > MAX_MESSAGES) messages.splice(0, messages.length - MAX_MESSAGES);
    conversation.lastActivity = Math.max(conversation.lastActivity, message.time.getTime(), message.direction === 'out' ? Date.now() : 0);
    if (message.direction === 'in') {
      if (!read) conversation.unread++;
      this.setTyping(message.peer, false);
    }
    return true;
  }

  setDelivery(peer: string, id: string, state: DeliveryState, error?: string): void {
    const message = this.byPeer[peer]?.messages.find((m) => m.id === id && m.direction === 'out');
    if (!message) return;
    // 'delivered' is final; a late 'sent' (outbox flush) must not undo it.
    if (message.delivery === 'delivered' && state === 'sent') return;
    message.delivery = state;
    if (error) message.error = error;
  }

  setChatState(peer: string, state: ChatState): void {
    if (!this.byPeer[peer]) return;
    this.setTyping(peer, state === 'composing');
  }

  markRead(peer: string): void {
    const conversation = this.byPeer[peer];
    if (conversation && conversation.unread > 0) conversation.unread = 0;
  }

  private setTyping(peer: string, typing: boolean): void {
    const conversation = this.byPeer[peer];
    if (!conversation) return;
    conversation.typing = typing;
    clearTimeout(this.typingTimers.get(peer));
    if (typing) this.typingTimers.set(peer, setTimeout(() => this.setTyping(peer, false), TYPING_TIMEOUT_MS));
  }
}
