// XEP-0184 Message Delivery Receipts: ask for a receipt, answer one, read one.
import { xml, type Element } from './xml.ts';

export const NS_RECEIPTS = 'urn:xmpp:receipts';

/** <request/> to put on an outgoing message that carries an id (XEP-0184 §5.3). */
export function receiptRequest(): Element {
  return xml('request', { xmlns: NS_RECEIPTS });
}

/** The ack message for a received message that asked for a receipt (XEP-0184 §5.2). */
export function receiptAck(to: string, receivedId: string, id: string): Element {
  return xml('message', { to, id }, xml('received', { xmlns: NS_RECEIPTS, id: receivedId }));
}

/** What a message says about receipts: it asks for one, and/or it acknowledges message `received`. */
export function parseReceipt(message: Element): { requested: boolean; received?: string } {
  const requested = message.getChild('request', NS_RECEIPTS) !== undefined;
  const ack = message.getChild('received', NS_RECEIPTS);
  return { requested, received: ack?.attrs.id };
}
