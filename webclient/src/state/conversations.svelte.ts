// Open conversations: their messages (deduplicated by id), unread counts, typing state, and how
// far back their archived history (XEP-0313) is loaded.
import type { ChatState } from '@parley/shared';
import type { ChatMessage, DeliveryState } from '../xmpp/chat.ts';

export interface Conversation {
  peer: string;
  messages: ChatMessage[];
  unread: number;
  /** What the user has typed and not sent yet. */
  draft: string;
  /** The composer answers this message (XEP-0461)… */
  replyingTo?: ChatMessage;
  /** …or corrects this one of ours (XEP-0308). */
  editing?: ChatMessage;
  /** The peer is typing (XEP-0085 'composing'). */
  typing: boolean;
  /** Time of the last message, for ordering the list. */
  lastActivity: number;
  history: HistoryState;
  /** A message to bring into view and highlight briefly (opened from a search result). */
  focus?: { id: string; at: number };
  /** Corrections, retractions, reactions and markers whose message is not loaded (yet), by its id. */
  waiting: Record<string, ChatMessage[]>;
  /** The last message as remembered from before a reload, until the history is loaded. */
  preview?: MessagePreview;
}

export interface MessagePreview {
  body: string;
  direction: 'in' | 'out';
  time: Date;
  retracted?: boolean;
}

/** What is kept of a conversation across reloads (local storage). */
export interface ConversationSummary {
  peer: string;
  lastActivity: number;
  unread: number;
  draft: string;
  last?: { body: string; direction: 'in' | 'out'; time: number; retracted?: boolean };
}

/** Conversations remembered across reloads. */
const REMEMBERED = 50;

export interface HistoryState {
  /** Some history was asked from the archive (the newest page, or the page around a result). */
  loaded: boolean;
  loading: boolean;
  /** The archive has nothing older than the oldest message shown. */
  complete: boolean;
  /** RSM cursor: the archive id of the oldest archived message shown. */
  cursor?: string;
  error?: string;
}

/** Archived messages to merge into a conversation, oldest first. */
export interface HistoryPage {
  messages: ChatMessage[];
  complete: boolean;
  cursor?: string;
}

/** Messages kept per conversation in memory. */
const MAX_MESSAGES = 20_000;
/** A 'composing' that is never followed up stops showing after this long (XEP-0085 §5.1 timeouts). */
const TYPING_TIMEOUT_MS = 30_000;

export class Conversations {
  byPeer = $state<Record<string, Conversation>>({});
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly shownIndex = new Map<string, Map<string, ChatMessage>>();

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
    // Return what byPeer holds (the reactive proxy), not the object literal assigned to it.
    this.byPeer[peer] ??= {
      peer, messages: [], unread: 0, draft: '', typing: false, waiting: {}, lastActivity: Date.now(), history: { loaded: false, loading: false, complete: false },
    };
    return this.byPeer[peer]!;
  }

  /** The last message to show in the list: the newest loaded, else the one remembered. */
  lastOf(conversation: Conversation): MessagePreview | undefined {
    const last = conversation.messages.at(-1);
    return last ? { body: last.body, direction: last.direction, time: last.time, retracted: last.retracted } : conversation.preview;
  }

  /** The list as it is kept across reloads (newest first). */
  summaries(): ConversationSummary[] {
    return this.ordered.slice(0, REMEMBERED).map((conversation) => {
      const last = this.lastOf(conversation);
      return {
        peer: conversation.peer, lastActivity: conversation.lastActivity, unread: conversation.unread, draft: conversation.draft,
        last: last && { body: last.body.slice(0, 200), direction: last.direction, time: last.time.getTime(), retracted: last.retracted },
      };
    });
  }

  /**
   * The server's inbox (XEP-0430): its unread counts and last messages are the same on every
   * device, so they replace what this one remembered (not what it has loaded since).
   */
  applyInbox(entries: { peer: string; unread: number; last?: ChatMessage }[], viewing: string | null): void {
    for (const entry of entries) {
      const known = this.byPeer[entry.peer] !== undefined;
      const conversation = this.open(entry.peer);
      if (entry.peer !== viewing) conversation.unread = entry.unread;
      const last = entry.last;
      if (!known) conversation.lastActivity = last?.time.getTime() ?? 0;
      if (!last) continue;
      conversation.lastActivity = Math.max(conversation.lastActivity, last.time.getTime());
      if (conversation.messages.length === 0) conversation.preview = { body: last.body, direction: last.direction, time: last.time, retracted: last.retracted };
    }
  }

  /** Bring back the list from before a reload; the history itself comes from the archive. */
  restore(summaries: ConversationSummary[]): void {
    for (const summary of summaries) {
      if (typeof summary?.peer !== 'string' || this.byPeer[summary.peer]) continue;
      const conversation = this.open(summary.peer);
      conversation.lastActivity = Number(summary.lastActivity) || 0;
      conversation.unread = Math.max(0, Math.floor(Number(summary.unread) || 0));
      conversation.draft = typeof summary.draft === 'string' ? summary.draft : '';
      if (summary.last) {
        conversation.preview = { body: String(summary.last.body), direction: summary.last.direction === 'out' ? 'out' : 'in', time: new Date(summary.last.time), retracted: summary.last.retracted };
      }
    }
  }

  close(peer: string): void {
    delete this.byPeer[peer];
    this.shownIndex.delete(peer);
  }

  /** Add a message in time order; false when it is already there (the same id) or it changes another. */
  add(message: ChatMessage, read: boolean): boolean {
    const conversation = this.open(message.peer);
    if (message.action) {
      this.modify(conversation, message);
      if (message.direction === 'in' && message.action.kind !== 'displayed') this.setTyping(message.peer, false);
      return false;
    }
    if (!this.insert(conversation, message)) return false;
    this.applyWaiting(conversation, message);
    const messages = conversation.messages;
    if (messages.length > MAX_MESSAGES) {
      const index = this.indexOf(message.peer);
      for (const dropped of messages.splice(0, messages.length - MAX_MESSAGES)) index.delete(keyOf(dropped));
      // Paging back starts again from the oldest message still shown.
      conversation.history.cursor = messages[0]!.archiveId;
      conversation.history.complete = conversation.history.cursor === undefined;
    }
    conversation.lastActivity = Math.max(conversation.lastActivity, message.time.getTime(), message.direction === 'out' ? Date.now() : 0);
    if (message.direction === 'in') {
      if (!read) conversation.unread++;
      this.setTyping(message.peer, false);
    }
    return true;
  }

  /**
   * Merge archived messages (never unread). An `older` page moves the paging cursor back; another
   * page (the newest, or the one around a search result) moves it only if it reaches further back.
   */
  addHistory(peer: string, page: HistoryPage, older: boolean): number {
    const conversation = this.open(peer);
    const added = this.merge(conversation, page.messages);
    const history = conversation.history;
    // The page's cursor counts when the page reaches at least as far back as what is shown.
    const oldest = page.messages[0];
    if (older || !history.loaded || (oldest && conversation.messages[0]?.id === oldest.id)) {
      history.cursor = page.cursor ?? oldest?.archiveId ?? history.cursor;
      history.complete = page.complete;
    }
    // Nothing new (the conversation came in live, archive ids and all): page on from the oldest
    // message shown, not through its copies in the archive.
    const first = conversation.messages[0];
    if (added === 0 && !page.complete && first?.archiveId !== undefined) history.cursor = first.archiveId;
    history.loaded = true;
    return added;
  }

  /**
   * Merge what the archive has after the newest archived message shown (a session started
   * without resumption: what was missed meanwhile). The history's paging back is unchanged.
   */
  addMissed(peer: string, after: ChatMessage, messages: ChatMessage[]): number {
    const conversation = this.byPeer[peer];
    if (!conversation) return 0;
    // after that message even where its time (taken when it arrived live) is later than theirs (the archive's)
    const shown = this.indexOf(peer).get(keyOf(after));
    const added = this.merge(conversation, messages, shown ? positionOf(conversation.messages, shown) : -1);
    const last = conversation.messages.at(-1);
    if (last) conversation.lastActivity = Math.max(conversation.lastActivity, last.time.getTime());
    return added;
  }

  /** Forget the messages shown (a gap too long to fill): the history starts again from the newest page. */
  clearMessages(peer: string): void {
    const conversation = this.byPeer[peer];
    if (!conversation) return;
    conversation.messages = [];
    conversation.waiting = {};
    conversation.history = { loaded: false, loading: false, complete: false };
    this.shownIndex.delete(peer);
  }

  /** Bring a message into view and highlight it (MessageList reacts to a new `at`). */
  focusMessage(peer: string, id: string): void {
    const conversation = this.byPeer[peer];
    if (conversation) conversation.focus = { id, at: Date.now() };
  }

  /**
   * Merge a page of archived messages (in archive order) into the list. Each new one goes after
   * the page's previous message (or the message at `after`) and after shown messages strictly
   * older than it: messages archived in the same millisecond keep the archive's order (an older
   * page goes before what is shown).
   */
  private merge(conversation: Conversation, page: ChatMessage[], after = -1): number {
    const messages = conversation.messages;
    let added = 0;
    let previous = after;
    for (const message of page) {
      if (message.action) continue; // applied below, once their messages are in
      const shown = this.indexOf(conversation.peer).get(keyOf(message));
      const existing = shown ? positionOf(messages, shown) : -1;
      if (existing !== -1) {
        messages[existing]!.archiveId ??= message.archiveId;
        for (const ref of message.refs) if (!messages[existing]!.refs.includes(ref)) messages[existing]!.refs.push(ref);
        previous = existing;
        continue;
      }
      let index = previous + 1;
      while (index < messages.length && messages[index]!.time < message.time) index++;
      messages.splice(index, 0, message);
      this.indexOf(conversation.peer).set(keyOf(message), messages[index]!);
      previous = index;
      added++;
      this.applyWaiting(conversation, message);
    }
    for (const message of page) if (message.action) this.modify(conversation, message);
    return added;
  }

  /**
   * Apply a correction, retraction, reaction or marker to its message; one whose message is not
   * loaded waits for it (an older history page).
   */
  private modify(conversation: Conversation, change: ChatMessage): void {
    const action = change.action!;
    // XEP-0308 §5, XEP-0424 §6: only the sender's own messages; a marker is about the other side's.
    // (a room's moderator retracts anyone's message, XEP-0425)
    const anySide = action.kind === 'reactions' || (action.kind === 'retraction' && action.moderated);
    const direction = anySide ? undefined : action.kind === 'displayed' ? (change.direction === 'in' ? 'out' : 'in') : change.direction;
    // in a room, others' messages are all 'in': a correction or retraction is also the same occupant's (XEP-0308 §5)
    const sameSender = !anySide && action.kind !== 'displayed' && change.direction === 'in' && change.nick !== undefined;
    const target = conversation.messages.findLast((m) => m.refs.includes(action.target) && (direction === undefined || m.direction === direction)
      && (!sameSender || isSameOccupant(m, change)));
    if (!target) {
      const waiting = (conversation.waiting[action.target] ??= []);
      if (!waiting.some((m) => m.id === change.id)) waiting.push(change);
      return;
    }
    switch (action.kind) {
      case 'correction':
        if (target.retracted) return;
        target.body = action.body;
        target.edited = true;
        break;
      case 'retraction':
        target.retracted = true;
        target.body = '';
        target.reactions = undefined;
        break;
      case 'reactions': {
        const reactions = { ...target.reactions, [reactionSender(change)]: action.reactions };
        if (action.reactions.length === 0) delete reactions[reactionSender(change)];
        target.reactions = reactions;
        break;
      }
      case 'displayed':
        if (change.direction === 'in') {
          // XEP-0333 §4: displayed also means every earlier message was seen
          for (const message of conversation.messages) {
            if (message.direction === 'out' && message.time <= target.time) message.displayed = true;
          }
        } else if (conversation.messages.findLast((m) => m.direction === 'in') === target) {
          conversation.unread = 0; // read on another device
        }
        break;
    }
  }

  private applyWaiting(conversation: Conversation, message: ChatMessage): void {
    for (const ref of message.refs) {
      const waiting = conversation.waiting[ref];
      if (!waiting) continue;
      delete conversation.waiting[ref];
      for (const change of waiting) this.modify(conversation, change);
    }
  }

  /** Insert in time order; false when the message is already there (the same id). */
  private insert(conversation: Conversation, message: ChatMessage): boolean {
    const messages = conversation.messages;
    const shown = this.indexOf(conversation.peer);
    const existing = shown.get(keyOf(message));
    if (existing) {
      existing.archiveId ??= message.archiveId;
      for (const ref of message.refs) if (!existing.refs.includes(ref)) existing.refs.push(ref);
      return false;
    }
    let index = messages.length;
    // Delayed (offline) and archived messages can be older than what is shown: keep time order.
    while (index > 0 && messages[index - 1]!.time > message.time) index--;
    if (index === messages.length) messages.push(message);
    else messages.splice(index, 0, message);
    shown.set(keyOf(message), messages[index]!);
    return true;
  }

  /** The messages shown per conversation by id and side (finding one must not cost a scan of 10,000). */
  private indexOf(peer: string): Map<string, ChatMessage> {
    let index = this.shownIndex.get(peer);
    if (!index) this.shownIndex.set(peer, (index = new Map()));
    return index;
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

  /** The connection dropped: nobody's typing can be known any more (XEP-0085 §5.1). */
  clearTyping(): void {
    for (const peer of Object.keys(this.byPeer)) this.setTyping(peer, false);
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

/**
 * Whose reactions these are (XEP-0444 §4: a sender's set replaces its previous one): ours, the
 * peer's, or in a room the occupant's — by its XEP-0421 occupant id, else its nickname.
 */
export function reactionSender(message: Pick<ChatMessage, 'direction' | 'nick' | 'occupantId'>): string {
  if (message.direction === 'out') return 'out';
  if (message.occupantId) return `occupant ${message.occupantId}`;
  if (message.nick !== undefined) return `nick ${message.nick}`;
  return 'in';
}

/** Two room messages from the same occupant: its occupant id when both carry one, else the nickname. */
function isSameOccupant(a: ChatMessage, b: ChatMessage): boolean {
  if (a.occupantId && b.occupantId) return a.occupantId === b.occupantId;
  return a.nick === b.nick;
}

function keyOf(message: ChatMessage): string {
  return `${message.direction} ${message.id}`;
}

/** Where a shown message is: messages are in time order, so a binary search, then its equals in time. */
function positionOf(messages: ChatMessage[], target: ChatMessage): number {
  const time = target.time.getTime();
  let low = 0;
  let high = messages.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (messages[middle]!.time.getTime() < time) low = middle + 1;
    else high = middle;
  }
  for (let i = low; i < messages.length && messages[i]!.time.getTime() === time; i++) {
    if (messages[i]!.id === target.id && messages[i]!.direction === target.direction) return i;
  }
  // out of order (should not happen): the slow way
  return messages.findIndex((m) => m.id === target.id && m.direction === target.direction);
}
