// XEP-0424 §5 tombstones (and XEP-0425 §5 for moderated retractions) in the archive: when a
// retraction is archived, the message it names keeps its place (its archive id, its delay stamp,
// the message's attributes) but loses its contents, replaced by
// <retracted xmlns='urn:xmpp:message-retract:1' id='…the retraction's id…' stamp='…'/>; its
// words leave the full-text index. The retraction itself stays archived (§6: clients that were
// offline learn it from the archive). The rules live here; each store finds the candidates and
// writes the tombstone (sqlite/store.ts, elasticsearch/store.ts).
//
// Which message a retraction names (XEP-0424 §6.1 "Using the correct ID"): in a one-to-one
// conversation the original's 'id' attribute (0.4), its XEP-0359 origin-id (0.2–0.3, and what
// clients that set both use), or its archive id (stanza-id) in the archive searched; in a room
// the room's stanza-id, which is the room archive's id. Only the author's messages match: in a
// one-to-one archive the entries sent by the retraction's sender (same bare JID, §6), in a room
// those with the sender's XEP-0421 occupant id (which the room stamps from the real JID) — unless a
// moderator retracts (XEP-0425), who may retract anyone's.
import { Element, NS, parseStanza, serialize, xml } from '@parley/shared';
import type { ArchiveEntry, Retraction, RetractionScope } from './types.ts';

// the request's shape is the archive contract's (types.ts); its rules are here
export type { Retraction, RetractionScope };

export const NS_RETRACT = 'urn:xmpp:message-retract:1';
export const NS_MODERATE = 'urn:xmpp:message-moderate:1';
const NS_CORRECT = 'urn:xmpp:message-correct:0';
const NS_OCCUPANT_ID = 'urn:xmpp:occupant-id:0';

/** The id a XEP-0424 retraction names, or undefined for any other message: one child lookup. */
export function retractedId(stanza: Element): string | undefined {
  const id = stanza.getChild('retract', NS_RETRACT)?.attrs.id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/**
 * The XML as it appears inside a serialized stanza: a store looks for entries whose stanza holds
 * this text before parsing them.
 */
export function searchText(target: string): string {
  return target.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** What an archived message is to a retraction. */
type Match = 'original' | 'correction' | null;

function childAttr(message: Element, name: string, xmlns: string, attr = 'id'): string | undefined {
  for (const node of message.children) {
    if (typeof node !== 'string' && node.name === name && node.attrs.xmlns === xmlns) return node.attrs[attr] as string | undefined;
  }
  return undefined;
}

function bareOf(jid: string | undefined): string {
  if (!jid) return '';
  const slash = jid.indexOf('/');
  return slash < 0 ? jid : jid.slice(0, slash);
}

/**
 * Whether the archived `message` (entry `entry`) is the one the retraction names, or one of the
 * author's XEP-0308 corrections of it (their text is the message's too), by its author.
 */
function matchOf(entry: ArchiveEntry, message: Element, retraction: Retraction, scope: RetractionScope): Match {
  if (entry.owner !== scope.owner || entry.peer !== scope.peer || entry.outgoing !== scope.outgoing) return null;
  // a tombstone stays one (the first retraction's stamp), and a retraction is never retracted (§6: it stays archived)
  if (message.getChild('retracted', NS_RETRACT) || message.getChild('retract', NS_RETRACT)) return null;
  if (retraction.moderated === undefined) {
    if (retraction.occupantId !== undefined && childAttr(message, 'occupant-id', NS_OCCUPANT_ID) !== retraction.occupantId) return null;
    if (retraction.author !== undefined && bareOf(message.attrs.from as string | undefined) !== retraction.author) return null;
  }
  const target = retraction.target;
  if (entry.id === target || message.attrs.id === target || childAttr(message, 'origin-id', NS.stanzaIds) === target) return 'original';
  if (childAttr(message, 'replace', NS_CORRECT) === target) return 'correction';
  return null;
}

/**
 * The entries a retraction turns into tombstones among `candidates` (any order): the newest
 * original the id names (an 'id' attribute is not unique, XEP-0424 §7.1; an archive id is) and the
 * author's corrections of it. Each with its tombstone, as archived XML.
 */
export function tombstones(candidates: ArchiveEntry[], retraction: Retraction, scope: RetractionScope): Array<{ entry: ArchiveEntry; stanza: string }> {
  let original: { entry: ArchiveEntry; message: Element } | null = null;
  const corrections: Array<{ entry: ArchiveEntry; message: Element }> = [];
  for (const entry of candidates) {
    const message = parseStanza(entry.stanza);
    if (!message) continue;
    const match = matchOf(entry, message, retraction, scope);
    if (match === 'correction') corrections.push({ entry, message });
    else if (match === 'original' && (original === null || entry.id === retraction.target
      || (original.entry.id !== retraction.target && entry.seq > original.entry.seq))) original = { entry, message };
  }
  if (original === null) return [];
  const found = original;
  return [found, ...corrections.filter((c) => c.entry.seq > found.entry.seq)]
    .map(({ entry, message }) => ({ entry, stanza: tombstoneXml(message, retraction) }));
}

/**
 * The tombstone of `message`: its attributes (from, to, type, id, xml:lang), the identifiers that
 * say which message it was and who wrote it (origin-id, a room's occupant-id), and <retracted/>;
 * the body and every other payload removed (§5: "any related elements which might leak
 * information about the original message").
 */
export function tombstoneXml(message: Element, retraction: Retraction): string {
  const tombstone = new Element('message', { ...message.attrs });
  for (const node of message.children) {
    if (typeof node === 'string') continue;
    const xmlns = node.attrs.xmlns;
    if ((node.name === 'origin-id' && xmlns === NS.stanzaIds) || (node.name === 'occupant-id' && xmlns === NS_OCCUPANT_ID)) tombstone.children.push(node);
  }
  const retracted = xml('retracted', { xmlns: NS_RETRACT, id: retraction.retractionId, stamp: new Date(retraction.stamp).toISOString() },
    retraction.moderated ?? null, retraction.moderated && retraction.reason ? xml('reason', {}, retraction.reason) : null);
  tombstone.children.push(retracted);
  return serialize(tombstone);
}
