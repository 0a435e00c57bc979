// XEP-0359 Unique and Stable Stanza IDs: origin-id set by the sender, stanza-id set by a server.
import { xml, type Element } from './xml.ts';

export const NS_STANZA_IDS = 'urn:xmpp:sid:0';

export function originIdElement(id: string): Element {
  return xml('origin-id', { xmlns: NS_STANZA_IDS, id });
}

export function parseOriginId(message: Element): string | undefined {
  return message.getChild('origin-id', NS_STANZA_IDS)?.attrs.id;
}

/** The stanza-id a given entity (`by`, usually the receiver's bare JID) stamped on the message. */
export function parseStanzaId(message: Element, by: string): string | undefined {
  for (const node of message.getChildren('stanza-id', NS_STANZA_IDS)) {
    if (node.attrs.by === by && node.attrs.id) return node.attrs.id;
  }
  return undefined;
}
