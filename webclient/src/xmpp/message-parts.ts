// What a chat message does beyond its body, read and written the same way live and from the
// archive: XEP-0308 corrections, XEP-0461 replies, XEP-0424 retractions, XEP-0444 reactions,
// XEP-0333 chat markers, with XEP-0428 fallback bodies for clients that lack them; XEP-0066 OOB
// URLs (a shared file: the body is its URL, as Conversations and Gajim send it).
import { parseOriginId, xml, type Element } from '@parley/shared';

export const NS_CORRECT = 'urn:xmpp:message-correct:0';
export const NS_REPLY = 'urn:xmpp:reply:0';
export const NS_FALLBACK = 'urn:xmpp:fallback:0';
export const NS_RETRACT = 'urn:xmpp:message-retract:1';
export const NS_REACTIONS = 'urn:xmpp:reactions:0';
export const NS_MARKERS = 'urn:xmpp:chat-markers:0';
export const NS_HINTS = 'urn:xmpp:hints';
export const NS_STYLING = 'urn:xmpp:styling:0';
export const NS_OOB = 'jabber:x:oob';
export const NS_MODERATE = 'urn:xmpp:message-moderate:1';

/** What a received stanza means for the conversation. */
export type MessageAction =
  | { kind: 'message'; body: string; replyTo?: { id: string; quote?: string }; markable: boolean; unstyled: boolean; oob?: string; retracted?: boolean }
  /** XEP-0308: the sender's message `target` now reads `body`. */
  | { kind: 'correction'; target: string; body: string }
  /** XEP-0424: the sender withdrew `target`; XEP-0425: a room's moderator did (`moderated`). */
  | { kind: 'retraction'; target: string; moderated?: boolean }
  /** XEP-0444: the sender's whole set of reactions to `target` (empty: none left). */
  | { kind: 'reactions'; target: string; reactions: string[] }
  /** XEP-0333: the recipient displayed `target` (and, §4, everything before it). */
  | { kind: 'displayed'; target: string };

/** The ids another message may use to point at this one: its stanza id and its origin-id. */
export function referenceIds(stanza: Element): string[] {
  const ids = new Set<string>();
  if (stanza.attrs.id) ids.add(stanza.attrs.id);
  const origin = parseOriginId(stanza);
  if (origin) ids.add(origin);
  return [...ids];
}

/**
 * XEP-0424 §5: an archived message the server replaced by a tombstone (its sender retracted it);
 * shown as a deleted message. Only archive results are read this way (archive.ts): live, a
 * <retracted/> is nobody's word.
 */
export function tombstone(stanza: Element): MessageAction | null {
  return stanza.getChild('retracted', NS_RETRACT) ? { kind: 'message', body: '', markable: false, unstyled: false, retracted: true } : null;
}

export function interpret(stanza: Element): MessageAction | null {
  const body = stanza.getChildText('body');
  const retract = stanza.getChild('retract', NS_RETRACT);
  if (retract?.attrs.id) {
    return { kind: 'retraction', target: retract.attrs.id, moderated: retract.getChild('moderated', NS_MODERATE) !== undefined || undefined };
  }
  const reactions = stanza.getChild('reactions', NS_REACTIONS);
  if (reactions?.attrs.id) {
    const chosen = reactions.getChildren('reaction').map((reaction) => reaction.getText().trim()).filter(Boolean);
    return { kind: 'reactions', target: reactions.attrs.id, reactions: [...new Set(chosen)].slice(0, 20) };
  }
  const displayed = stanza.getChild('displayed', NS_MARKERS);
  if (displayed?.attrs.id && !body) return { kind: 'displayed', target: displayed.attrs.id };
  if (!body) return null;
  const replace = stanza.getChild('replace', NS_CORRECT);
  if (replace?.attrs.id) return { kind: 'correction', target: replace.attrs.id, body };
  const reply = stanza.getChild('reply', NS_REPLY);
  let text = body;
  let replyTo: { id: string; quote?: string } | undefined;
  if (reply?.attrs.id) {
    const cut = withoutFallback(stanza, body, NS_REPLY);
    text = cut.text;
    replyTo = { id: reply.attrs.id, quote: cut.removed ? unquote(cut.removed) : undefined };
  }
  return {
    kind: 'message', body: text, replyTo,
    markable: stanza.getChild('markable', NS_MARKERS) !== undefined,
    unstyled: stanza.getChild('unstyled', NS_STYLING) !== undefined,
    oob: stanza.getChild('x', NS_OOB)?.getChildText('url')?.trim() || undefined,
  };
}

/**
 * XEP-0428 §4: the part of the body marked as fallback for `namespace` (code-point offsets),
 * removed; the whole body when the fallback names no range.
 */
function withoutFallback(stanza: Element, body: string, namespace: string): { text: string; removed: string } {
  const fallback = stanza.getChildren('fallback', NS_FALLBACK).find((element) => element.attrs.for === namespace);
  if (!fallback) return { text: body, removed: '' };
  const range = fallback.getChild('body');
  if (!range) return { text: '', removed: body };
  const points = [...body];
  const start = clamp(Number(range.attrs.start), points.length);
  const end = clamp(Number(range.attrs.end), points.length);
  if (start === null || end === null || end < start) return { text: body, removed: '' };
  return { text: [...points.slice(0, start), ...points.slice(end)].join(''), removed: points.slice(start, end).join('') };
}

function clamp(value: number, length: number): number | null {
  return Number.isInteger(value) && value >= 0 ? Math.min(value, length) : null;
}

/** '> quoted line\n> another\n' as the quoted text. */
function unquote(fallback: string): string {
  return fallback.split('\n').filter((line) => line.startsWith('>')).map((line) => line.replace(/^> ?/, '')).join('\n').trim();
}

// ---- building ----------------------------------------------------------------------------

/** XEP-0461 §5 with its XEP-0428 fallback: '> quote' lines before the text, marked as fallback. */
export function replyParts(body: string, to: string, target: { id: string; text: string }): { body: string; parts: Element[] } {
  const quoted = target.text.split('\n').slice(0, 4).map((line) => `> ${line}`).join('\n') + '\n';
  const length = [...quoted].length;
  return {
    body: quoted + body,
    parts: [
      xml('reply', { xmlns: NS_REPLY, to, id: target.id }),
      xml('fallback', { xmlns: NS_FALLBACK, for: NS_REPLY }, xml('body', { start: '0', end: String(length) })),
    ],
  };
}

/** XEP-0066 §3: the file's URL beside the body that repeats it. */
export function oobPart(url: string): Element {
  return xml('x', { xmlns: NS_OOB }, xml('url', null, url));
}

export function correctionPart(target: string): Element {
  return xml('replace', { xmlns: NS_CORRECT, id: target });
}

/** XEP-0424 §4 with its fallback body and a store hint (XEP-0334), so archives keep it. */
export function retractionStanza(to: string, id: string, target: string): Element {
  return xml('message', { to, type: 'chat', id },
    xml('retract', { xmlns: NS_RETRACT, id: target }),
    xml('fallback', { xmlns: NS_FALLBACK, for: NS_RETRACT }),
    xml('body', null, 'This person attempted to retract a previous message, but it\'s unsupported by your client.'),
    xml('store', { xmlns: NS_HINTS }));
}

/** XEP-0444 §3: the whole set of our reactions to `target`, stored (no body, so a hint); in a room, type groupchat (§4). */
export function reactionsStanza(to: string, id: string, target: string, reactions: string[], type: 'chat' | 'groupchat' = 'chat'): Element {
  return xml('message', { to, type, id },
    xml('reactions', { xmlns: NS_REACTIONS, id: target }, ...reactions.map((reaction) => xml('reaction', null, reaction))),
    xml('store', { xmlns: NS_HINTS }));
}

/** XEP-0333 §4: we displayed `target`; stored so that our other devices and the inbox learn it. */
export function displayedStanza(to: string, target: string): Element {
  return xml('message', { to, type: 'chat' }, xml('displayed', { xmlns: NS_MARKERS, id: target }), xml('store', { xmlns: NS_HINTS }));
}
