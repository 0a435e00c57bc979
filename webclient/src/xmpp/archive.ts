// XEP-0313 Message Archive Management for the panel: a conversation's history paged backwards
// (XEP-0059 <before/>), the page around one archived message, what came after a message (paged
// forwards with <after/>), and XEP-0431 full-text search, with archived messages mapped to the
// same ChatMessage ids the live chat uses (for dedupe).
import { parseOriginId, tryParseJid, xml, type Element, type JID } from '@parley/shared';
import { mamQuery, parseMamFin, parseMamResult, type MamQuery, type MamResult } from '@parley/shared/mam';
import { chatMessage, type ChatMessage } from './chat.ts';
import { interpret, referenceIds, tombstone } from './message-parts.ts';
import type { XmppClient } from './client.ts';
import { randomId } from './ids.ts';

/** Messages per history page (the server caps the page size too). */
export const HISTORY_PAGE = 30;
/** Results per search page. */
export const SEARCH_PAGE = 20;
/** Messages newer than a search result loaded at most when opening the conversation there. */
const AFTER_RESULT_LIMIT = 600;
/** Messages per page when paging forwards (the server caps it: 250 by default). */
const FORWARD_PAGE = 100;

export interface ArchivePage {
  /** Oldest first. */
  messages: ChatMessage[];
  /** Nothing older (or, for search, nothing further) is left. */
  complete: boolean;
  /** The RSM cursor for the next page in the direction of paging. */
  cursor?: string;
  /** How many results the query has in all, when the server says. */
  count?: number;
}

export interface SearchOptions {
  /** Only the conversation with this bare JID. */
  peer?: string;
  /** The next page: results older than this cursor (from the previous page). */
  before?: string;
  max?: number;
}

/**
 * The archived message as the chat shows it. Ids match what ChatService gives live messages:
 * ours by origin-id, theirs by our archive's stanza-id (XEP-0359), which is the archive id.
 */
export function archivedMessage(result: MamResult, account: JID): ChatMessage | undefined {
  const message = result.message;
  // a tombstone in our own server's archive (XEP-0424 §5) is the message, deleted
  const action = tombstone(message) ?? interpret(message);
  const from = tryParseJid(message.attrs.from);
  const to = tryParseJid(message.attrs.to);
  if (!action) return undefined;
  const outgoing = from ? from.bare === account.bare : to !== null && to.bare !== account.bare;
  const peer = outgoing ? to?.bare : from?.bare;
  if (!peer) return undefined;
  const time = result.stamp ?? new Date();
  const refs = [...referenceIds(message), result.id];
  if (outgoing) {
    return chatMessage(action, { id: parseOriginId(message) ?? result.id, archiveId: result.id, peer, direction: 'out', time, delayed: false, refs });
  }
  return chatMessage(action, { id: `${peer} ${result.id}`, archiveId: result.id, peer, direction: 'in', time, delayed: false, refs });
}

/** Another archive than our own: a room's (XEP-0313 §5 at the room's JID), with its own mapping of results. */
export interface ArchiveSource {
  jid: string;
  map: (result: MamResult) => ChatMessage | undefined;
}

export class ArchiveService {
  constructor(private readonly client: XmppClient) {}

  /** Run one query on our own archive (or `source`): its results (oldest first, as sent) and its <fin/>. */
  async query(query: MamQuery, source?: ArchiveSource): Promise<ArchivePage & { first?: string; last?: string }> {
    const queryid = randomId(6);
    const results: MamResult[] = [];
    const archive = source?.jid ?? this.client.account.bare;
    const collect = (message: Element) => {
      // XEP-0313 §4.2: results come from the archive's JID (our own bare JID), tagged with our queryid.
      if (message.attrs.from && message.attrs.from !== archive) return;
      const result = parseMamResult(message);
      if (result?.queryid === queryid) results.push(result);
    };
    const unsubscribe = this.client.on('message', collect);
    try {
      const answer = await this.client.iq(xml('iq', { type: 'set', to: source?.jid }, mamQuery({ ...query, queryid })));
      const fin = parseMamFin(answer) ?? { complete: true };
      const messages: ChatMessage[] = [];
      for (const result of results) {
        const message = source ? source.map(result) : archivedMessage(result, this.client.account);
        if (message) messages.push(message);
      }
      return { messages, complete: fin.complete, first: fin.first, last: fin.last, count: fin.count };
    } finally {
      unsubscribe();
    }
  }

  /** The newest page of a conversation, or the page just older than `before` (an archive id). */
  async history(peer: string, before = '', max = HISTORY_PAGE, source?: ArchiveSource): Promise<ArchivePage> {
    const page = await this.query({ with: source ? undefined : peer, before, max }, source);
    return { messages: page.messages, complete: page.complete, cursor: page.first };
  }

  /**
   * The conversation from a page before `archiveId` up to now, without gaps, so that it joins the
   * live messages and paging back continues from its oldest message.
   */
  async around(peer: string, archiveId: string, max = HISTORY_PAGE, source?: ArchiveSource): Promise<ArchivePage> {
    const withPeer = source ? undefined : peer;
    const older = await this.query({ with: withPeer, beforeId: archiveId, before: '', max }, source);
    const rest: ChatMessage[] = [];
    // after-id is exclusive: from the newest message older than the target (or from the beginning
    // when there is none), the first page forward starts with the target itself.
    let next: MamQuery = { with: withPeer, afterId: older.last, max: FORWARD_PAGE };
    for (;;) {
      const page = await this.query(next, source);
      rest.push(...page.messages);
      if (page.complete || !page.last || rest.length >= AFTER_RESULT_LIMIT) break;
      next = { with: withPeer, after: page.last, max: FORWARD_PAGE };
    }
    return { messages: [...older.messages, ...rest], complete: older.complete, cursor: older.first ?? rest[0]?.archiveId };
  }

  /**
   * The conversation after the archived message `archiveId` (XEP-0313 §4.3: RSM <after/> with an
   * archive id), oldest first, paged forwards up to the newest or `limit` messages; `complete`:
   * the newest was reached.
   */
  async after(peer: string, archiveId: string, limit: number, source?: ArchiveSource): Promise<{ messages: ChatMessage[]; complete: boolean }> {
    const messages: ChatMessage[] = [];
    let after = archiveId;
    for (;;) {
      const page = await this.query({ with: source ? undefined : peer, after, max: FORWARD_PAGE }, source);
      messages.push(...page.messages);
      if (page.complete || !page.last) return { messages, complete: true };
      if (messages.length >= limit) return { messages, complete: false };
      after = page.last;
    }
  }

  /** XEP-0431 search, newest results first, paged backwards through the archive. */
  async search(text: string, options: SearchOptions = {}, source?: ArchiveSource): Promise<ArchivePage> {
    const page = await this.query({
      fulltext: text, with: source ? undefined : options.peer, before: options.before ?? '', max: options.max ?? SEARCH_PAGE,
    }, source);
    // a correction's text is found, but the result shown is the message (and retractions are not text)
    const messages = page.messages.filter((m) => !m.action).reverse();
    return { messages, complete: page.complete, cursor: page.first, count: page.count };
  }
}
