// XEP-0280 message carbons: copies of what our account receives (<received/>) and sends (<sent/>)
// on its other devices, so that every open panel shows the whole conversation.
import { NS, xml, type Element } from '@parley/shared';
import type { XmppClient } from './client.ts';

export interface Carbon {
  direction: 'received' | 'sent';
  /** The forwarded message itself (XEP-0297). */
  message: Element;
}

/**
 * The copy inside a carbon; undefined when the stanza is not one, null when it is a forgery: only
 * our own account may send us carbons (§11, a contact could make us believe we said something).
 */
export function parseCarbon(stanza: Element, account: string): Carbon | null | undefined {
  const wrapper = stanza.getChild('received', NS.carbons) ?? stanza.getChild('sent', NS.carbons);
  if (!wrapper) return undefined;
  if (stanza.attrs.from !== account) return null;
  const message = wrapper.getChild('forwarded', NS.forward)?.getChild('message');
  if (!message) return null;
  return { direction: wrapper.name as Carbon['direction'], message };
}

/** §4: ask for carbons on this session; a server without them answers with an error, which is fine. */
export async function enableCarbons(client: XmppClient): Promise<boolean> {
  try {
    await client.iq(xml('iq', { type: 'set' }, xml('enable', { xmlns: NS.carbons })));
    return true;
  } catch {
    return false;
  }
}
