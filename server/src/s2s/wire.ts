// What s2s streams write and read (RFC 6120 §4 on `jabber:server`, XEP-0220 dialback, XEP-0288 bidi):
// the stream header, the dialback elements, and stanzas in the server namespace. Inside Parley every
// stanza carries jabber:client (what local sessions are written); on the wire to a peer it is jabber:server.
import { NS, serialize, xml, type Element } from '@parley/shared';

export const S2S_NS = {
  dialback: 'jabber:server:dialback',
  /** XEP-0220 §2.1: the stream feature that says dialback is offered (with <errors/>: error conditions are understood). */
  dialbackFeature: 'urn:xmpp:features:dialback',
  /** XEP-0288: the feature offered and the element that asks for it. */
  bidiFeature: 'urn:xmpp:features:bidi',
  bidi: 'urn:xmpp:bidi',
} as const;

export interface HeaderFields {
  id?: string;
  from: string;
  to?: string;
}

/** RFC 6120 §4.7: an s2s stream header, declaring the dialback prefix (XEP-0220 §2.1). */
export function s2sHeader({ id, from, to }: HeaderFields): string {
  return `<?xml version='1.0'?><stream:stream xmlns='${NS.server}' xmlns:stream='${NS.stream}' xmlns:db='${S2S_NS.dialback}'`
    + `${id ? ` id='${id}'` : ''} from='${escape(from)}'${to ? ` to='${escape(to)}'` : ''} version='1.0'>`;
}

export const S2S_FOOTER = '</stream:stream>';

/** The element's name without its prefix (`db:result` → `result`). */
export function localName(element: Element): string {
  const colon = element.name.indexOf(':');
  return colon === -1 ? element.name : element.name.slice(colon + 1);
}

/** The namespace an element is in, its prefix resolved (the parser keeps the root's declarations on it). */
export function namespaceOf(element: Element): string | undefined {
  return element.getNS();
}

/** A dialback element: <db:result/> or <db:verify/> (XEP-0220 §2.1.1, §2.3.1). */
export function dialback(name: 'result' | 'verify', attrs: Record<string, string | undefined>, key?: string): string {
  return serialize(xml(`db:${name}`, attrs, key));
}

/** A stanza as a peer reads it: in jabber:server (the attribute is swapped back, nothing is copied). */
export function serializeForPeer(stanza: Element): string {
  const own = stanza.attrs.xmlns;
  stanza.attrs.xmlns = NS.server;
  try {
    return serialize(stanza);
  } finally {
    stanza.attrs.xmlns = own;
  }
}

/** A stanza as Parley's sessions read it: a stanza serialized for local sessions is in jabber:client. */
export function serializedForPeer(xmlText: string): string {
  return xmlText.replace(/^(<(?:message|presence|iq)\b[^>]*?\sxmlns=)(["'])jabber:client\2/, `$1$2${NS.server}$2`);
}

export function isStanzaName(name: string): boolean {
  return name === 'message' || name === 'presence' || name === 'iq';
}

function escape(value: string): string {
  return value.replace(/[&<>'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
