// Typed helpers for the three stanza kinds (RFC 6120 §8) used by server and client.
import { NS } from './namespaces.ts';
import { xml, type Element } from './xml.ts';
import type { StanzaError } from './errors.ts';

export type StanzaKind = 'message' | 'presence' | 'iq';

export function isStanza(element: Element): boolean {
  const name = element.name;
  return name === 'message' || name === 'presence' || name === 'iq';
}

/** An iq result answering `iq` (to/from swapped), with an optional payload. */
export function iqResult(iq: Element, payload?: Element | null): Element {
  return xml('iq', { xmlns: NS.client, type: 'result', id: iq.attrs.id, to: iq.attrs.from, from: iq.attrs.to }, payload);
}

/**
 * The error reply to a stanza (RFC 6120 §8.3.1): same kind and id, addresses swapped,
 * type='error', the original payload kept for messages and presence (iq errors drop it).
 */
export function errorReply(stanza: Element, error: StanzaError, by?: string): Element {
  const reply = xml(stanza.name, {
    xmlns: NS.client, type: 'error', id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to,
  });
  if (stanza.name !== 'iq') {
    for (const node of stanza.children) reply.children.push(node);
  }
  const errorElement = error.toElement(by);
  errorElement.parent = reply;
  reply.children.push(errorElement);
  return reply;
}

/** XEP-0203 delay stamp element. */
export function delayElement(from: string, stamp: Date, reason?: string): Element {
  return xml('delay', { xmlns: NS.delay, from, stamp: stamp.toISOString() }, reason);
}
