// XEP-0160 offline messages: kept for an offline user, delivered with a XEP-0203 delay stamp
// after the next available presence with a non-negative priority.
import { NS, StanzaError, delayElement, serialize, type Element } from '@parley/shared';
import type { Origin, ParleyModule } from './registry.ts';
import { onNonNegativePresence } from './presence.ts';
import { OfflineWrites, type WaitingOfflineMessage } from '../storage/offline-writes.ts';

/** What a message bounces with if storing it fails. */
interface Sent { stanza: Element; origin: Origin }

export const offlineModule: ParleyModule = {
  name: 'offline',
  implements: [
    { spec: 'XEP-0160', version: '1.0.1', status: 'complete' },
    { spec: 'XEP-0203', version: '2.0', status: 'complete' },
  ],
  register(ctx) {
    ctx.modules.discoFeatures.add('msgoffline');
    // Stored by the group commit; the sender's stream sees nothing written later before that.
    const writes = new OfflineWrites<Sent>(ctx.storage.offline, ctx.commits, (failed: Array<WaitingOfflineMessage<Sent>>, error) => {
      ctx.log.error({ err: error, messages: failed.length }, 'storing offline messages failed');
      for (const { source } of failed) {
        void ctx.router.bounce(source.stanza, new StanzaError('internal-server-error', 'offline storage failed'), source.origin);
      }
    });
    ctx.modules.hook('message/offline', (stanza, _from, to, origin) => (async () => {
      // RFC 6121 §8.5.2.2.1: an account that does not exist gets service-unavailable.
      if ((await ctx.storage.accounts.get(to.bare)) === null) {
        return ctx.router.bounce(stanza, new StanzaError('service-unavailable'), origin);
      }
      if (!worthKeeping(stanza)) return;
      const queued = (await ctx.storage.offline.count(to.bare)) + writes.waiting(to.bare);
      if (queued >= ctx.config.limits.offlineMessages) {
        return ctx.router.bounce(stanza, new StanzaError('service-unavailable', 'offline storage is full'), origin);
      }
      const now = Date.now();
      origin?.markUncommittedWrite();
      writes.add({ to: to.bare, stanza: withDelay(stanza, to.domain, new Date(now)), stampedAt: now, source: { stanza, origin } });
    })());
    // XEP-0160 §2: delivered to the resource that next sends non-negative available presence
    // (a negative priority resource gets no messages for the bare JID: RFC 6121 §8.5.2.1.1).
    onNonNegativePresence(ctx, async (session) => {
      await writes.stored(); // what waits for this turn's commit belongs to the queue too
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

/** The message as stored: with a XEP-0203 delay stamp (the element itself is left as it was). */
function withDelay(stanza: Element, domain: string, when: Date): string {
  const delay = delayElement(domain, when, 'Offline Storage');
  delay.parent = stanza;
  stanza.children.push(delay);
  const stored = serialize(stanza);
  stanza.children.pop();
  return stored;
}
