// XEP-0430 Inbox (urn:xmpp:inbox:1, v0.2.0): a user's conversations, newest message first, each with its
// unread count, its last archive id and its last message, asked on the user's bare JID:
//   iq get <inbox unread-only? messages?/> [+ RSM <max/>]  →  <message><entry/><result/></message>…
//                                                           then <fin total unread all-unread/>
// Built on the archive (XEP-0313) alone, read when asked, so every device sees the same list:
// §4 "unread" is the instant messages received after the user's last own message or XEP-0333
// 'displayed'/'acknowledged' marker in that conversation (markers sent with a <store/> hint are
// archived, see mam/archiver.ts). Messages a user sends from another client reach the archive as
// they are routed; once XEP-0280 carbons exist they change nothing here.
// Limits: the newest SCAN_ENTRIES archive entries of the user are read; older conversations are
// not listed.
import { NS, StanzaError, escapeXML, xml, type Element, type JID } from '@parley/shared';
import type { Archive } from '../archive/index.ts';
import { timeOfSeq } from '../archive/ids.ts';
import type { ArchiveEntry } from '../archive/types.ts';
import { defineModule } from '../core/module-api.ts';
import type { Origin } from '../core/origin.ts';

export const NS_INBOX = 'urn:xmpp:inbox:1';

/** Archive entries read per query, newest first. */
const SCAN_ENTRIES = 5_000;
const SCAN_PAGE = 500;
/** Conversations listed when the client gives no RSM <max/>, and at most. */
const DEFAULT_CONVERSATIONS = 100;
const MAX_CONVERSATIONS = 500;

interface Conversation {
  peer: string;
  /** The newest entry of any kind (the XEP's 'id'). */
  lastId: string;
  /** The newest instant message, sent or received. */
  lastMessage?: ArchiveEntry;
  unread: number;
  /** An own message or a read marker was met: older messages are read. */
  settled: boolean;
  /** Where the conversation sorts: its newest instant message (markers and reactions do not move it up). */
  activity: number;
}

export const inboxModule = defineModule({
  name: 'inbox',
  implements: [
    { spec: 'XEP-0430', version: '0.2.0', status: 'partial', note: 'built on the archive: unread counts reset by own messages and displayed/acknowledged markers; unread-only, messages, RSM max; no manual unread marking, newest 5,000 archive entries' },
  ],
  register(ctx) {
    const archive = ctx.services.archive;
    if (!archive) return;
    ctx.features.account(NS_INBOX);
    ctx.iq('account', 'get', { name: 'inbox', xmlns: NS_INBOX }, ({ iq, payload, from, to, origin }) => answer(archive, iq, payload, from, to, origin));
  },
});

async function answer(archive: Archive, iq: Element, query: Element, from: JID, to: JID, origin: Origin): Promise<Element> {
  if (from.bare !== to.bare) throw new StanzaError('forbidden', 'an inbox is its owner\'s alone');
  const unreadOnly = query.attrs['unread-only'] === 'true' || query.attrs['unread-only'] === '1';
  const withMessages = !(query.attrs.messages === 'false' || query.attrs.messages === '0');
  const maxText = query.getChild('set', NS.rsm)?.getChildText('max');
  const max = maxText === undefined || maxText === null ? DEFAULT_CONVERSATIONS : Number(maxText);
  if (!Number.isInteger(max) || max < 0) throw new StanzaError('bad-request', 'RSM <max/> must be a non-negative integer');

  const conversations = await collect(archive, to.bare);
  const listed = conversations.filter((c) => !unreadOnly || c.unread > 0);
  const shown = listed.slice(0, Math.min(max, MAX_CONVERSATIONS));
  // Results go to the session that asked, before the iq result (like MAM's, XEP-0313 §4.2).
  const target = origin.kind === 'client' && origin.jid.full === from.full ? origin : null;
  if (target) for (const conversation of shown) target.deliverSerialized(entryMessage(from.full, to.bare, iq.attrs.id, conversation, withMessages));
  const unreadConversations = conversations.filter((c) => c.unread > 0).length;
  const allUnread = conversations.reduce((total, c) => total + c.unread, 0);
  return xml('fin', { xmlns: NS_INBOX, total: String(listed.length), unread: String(unreadConversations), 'all-unread': String(allUnread) },
    xml('set', { xmlns: NS.rsm },
      shown.length ? xml('first', { index: '0' }, shown[0]!.peer) : null,
      shown.length ? xml('last', null, shown.at(-1)!.peer) : null,
      xml('count', null, String(listed.length))));
}

/** The user's conversations from the newest archive entries, newest activity first. */
async function collect(archive: Archive, owner: string): Promise<Conversation[]> {
  const byPeer = new Map<string, Conversation>();
  let cursor: number | undefined;
  for (let read = 0; read < SCAN_ENTRIES;) {
    const page = await archive.store.page({ owner }, { direction: 'backward', cursor, limit: Math.min(SCAN_PAGE, SCAN_ENTRIES - read) });
    for (const entry of page.entries) {
      let conversation = byPeer.get(entry.peer);
      if (!conversation) byPeer.set(entry.peer, (conversation = { peer: entry.peer, lastId: entry.id, unread: 0, settled: false, activity: entry.seq }));
      const kind = kindOf(entry);
      if (kind === 'instant' && !conversation.lastMessage) {
        conversation.lastMessage = entry;
        conversation.activity = entry.seq;
      }
      if (conversation.settled) continue;
      if (entry.outgoing && (kind === 'instant' || kind === 'read')) conversation.settled = true;
      else if (!entry.outgoing && kind === 'instant') conversation.unread++;
    }
    read += page.entries.length;
    if (page.entries.length === 0) break;
    cursor = page.entries.at(-1)!.seq;
  }
  return [...byPeer.values()].sort((a, b) => b.activity - a.activity);
}

/**
 * §4 "instant messages" (a body that is not a correction or a retraction's fallback) and read
 * markers; the rest (reactions, corrections, receipts) moves no counter.
 */
function kindOf(entry: ArchiveEntry): 'instant' | 'read' | 'other' {
  const stanza = entry.stanza;
  if (stanza.includes('urn:xmpp:chat-markers:0') && (stanza.includes('<displayed') || stanza.includes('<acknowledged'))) return 'read';
  if (entry.body.trim() === '') return 'other';
  if (stanza.includes('urn:xmpp:message-correct:0') || stanza.includes('urn:xmpp:message-retract:1')) return 'other';
  return 'instant';
}

function entryMessage(to: string, owner: string, queryid: string | undefined, conversation: Conversation, withMessage: boolean): string {
  const entry = `<entry xmlns="${NS_INBOX}" unread="${conversation.unread}" jid="${escapeXML(conversation.peer)}" id="${conversation.lastId}"/>`;
  const last = withMessage ? conversation.lastMessage : undefined;
  const result = last
    ? `<result xmlns="${NS.mam}"${queryid === undefined ? '' : ` queryid="${escapeXML(queryid)}"`} id="${last.id}">`
      + `<forwarded xmlns="${NS.forward}"><delay xmlns="${NS.delay}" stamp="${new Date(timeOfSeq(last.seq)).toISOString()}"/>${last.stanza}</forwarded></result>`
    : '';
  return `<message xmlns="${NS.client}" to="${escapeXML(to)}" from="${escapeXML(owner)}">${entry}${result}</message>`;
}
