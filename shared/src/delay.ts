// XEP-0203 Delayed Delivery: reading the stamp (delayElement in stanza.ts writes it).
import { NS } from './namespaces.ts';
import type { Element } from './xml.ts';

export interface DelayInfo {
  stamp: Date;
  from?: string;
  reason?: string;
}

/** The delay a stanza carries (offline storage, XEP-0160), or undefined when absent or unreadable. */
export function parseDelay(stanza: Element): DelayInfo | undefined {
  const delay = stanza.getChild('delay', NS.delay);
  if (!delay?.attrs.stamp) return undefined;
  const stamp = new Date(delay.attrs.stamp);
  if (Number.isNaN(stamp.getTime())) return undefined;
  const reason = delay.getText();
  return { stamp, from: delay.attrs.from, reason: reason || undefined };
}
