// XEP-0160 offline messages: kept for an offline user, delivered with a XEP-0203 delay stamp
// after the next available presence with a non-negative priority.
import { NS, StanzaError, delayElement, serialize, type Element } from '@parley/shared';
import type { ParleyModule } from './registry.ts';
import { onNonNegativePresence } from './presence.ts';

export const offlineModule: ParleyModule = {
  name: 'offline',
  implements: [
    { spec: 'XEP-0160', version: '1.0.1', status: 'complete' },
    { spec: 'XEP-0203', version: '2.0', status: 'complete' },
  ],
  register(ctx) {
    ctx.modules.discoFeatures.add('msgoffline');
    ctx.modules.hook('message/offline', (stanza, _from, to, origin) => (async () => {
      // RFC 6121 §8.5.2.2.1: an account that does not exist gets service-unavailable.
      if ((await ctx.storage.accounts.get(to.bare)) === null) {
        return ctx.router.bounce(stanza, new StanzaError('service-unavailable'), origin);
      }
      if (!worthKeeping(stanza)) return;
      const now = new Date();
      const stamped = withDelay(stanza, to.domain, now);
      const stored = await ctx.storage.offline.push(to.bare, serialize(stamped), now.getTime(), ctx.config.limits.offlineMessages);
      if (!stored) {
        return ctx.router.bounce(stanza, new StanzaError('service-unavailable', 'offline storage is full'), origin);
      }
    })());
    // XEP-0160 §2: delivered to the resource that next sends non-negative available presence
    // (a negative priority resource gets no messages for the bare JID: RFC 6121 §8.5.2.1.1).
    onNonNegativePresence(ctx, async (session) => {
      const messages = await ctx.storage.offline.takeAll(session.jid!.bare);
      for (const message of messages) session.sendRaw(message.stanza);
    });
  },
};

/** XEP-0160 §3 and XEP-0334 hints: chat and normal messages with content are kept; bare chat states are not. */
function worthKeeping(stanza: Element): boolean {
  if (stanza.getChild('no-store', 'urn:xmpp:hints')) return false;
  if (stanza.getChild('store', 'urn:xmpp:hints')) return true;
  for (const node of stanza.children) {
    if (typeof node === 'string') continue;
    if (node.attrs.xmlns === NS.chatStates) continue;
    return true;
  }
  return false;
}

function withDelay(stanza: Element, domain: string, when: Date): Element {
  const delay = delayElement(domain, when, 'Offline Storage');
  delay.parent = stanza;
  stanza.children.push(delay);
  return stanza;
}
