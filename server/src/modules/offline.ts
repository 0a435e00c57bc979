// XEP-0160 offline messages: kept for an offline user, delivered with a XEP-0203 delay stamp
// after the next available presence with a non-negative priority (presence/non-negative).
// A message stays stored until the client has it: deleted once acknowledged (XEP-0198) or, for a
// session that does not acknowledge, once written (deliverStored).
// Also the default for a message that could not be delivered to a session (delivery-failed: one
// without a stream, or stream management's unacknowledged stanzas when a session ends): RFC 6121
// §8.5.2.1.1 — to another available resource, else kept like any message for an offline user.
import { NS, StanzaError, delayElement, serialize, type Element, type JID } from '@parley/shared';
import { z } from 'zod';
import { defineModule, type ModuleContext } from '../core/module-api.ts';
import { markUncommittedWrite, type Origin } from '../core/origin.ts';
import { OfflineWrites, type WaitingOfflineMessage } from '../storage/offline-writes.ts';
import { parseStanza } from './lib/parse-stanza.ts';
import { SessionKey } from '../core/session-data.ts';
import type { SessionEntry } from '../core/session-table.ts';

/** Offline messages given to a session and not yet acknowledged by it (not given twice). */
const GIVEN = new SessionKey<Set<number>>('offline.given');

const options = z.object({
  /** Messages kept per offline user; more are bounced with service-unavailable (config limits.offlineMessages). */
  maxMessages: z.number().int().min(0).default(1000),
});
type OfflineContext = ModuleContext<z.infer<typeof options>>;

/** What a message bounces with if storing it fails. */
interface Sent { stanza: Element; origin: Origin }

export const offlineModule = defineModule({
  name: 'offline',
  implements: [
    { spec: 'XEP-0160', version: '1.0.1', status: 'complete' },
    { spec: 'XEP-0203', version: '2.0', status: 'complete' },
  ],
  options,
  configuredOptions: (config) => ({ maxMessages: config.limits.offlineMessages }),
  // pending subscription requests (presence/initial) are shown before offline messages
  dependencies: ['presence'],
  register(ctx) {
    const { storage, commits } = ctx.services;
    ctx.features.server('msgoffline');
    // Stored by the group commit; the sender's stream sees nothing written later before that.
    const writes = new OfflineWrites<Sent>(storage.offline, commits, (failed: Array<WaitingOfflineMessage<Sent>>, error) => {
      ctx.log.error({ err: error, messages: failed.length }, 'storing offline messages failed');
      for (const { source } of failed) {
        void ctx.router.bounce(source.stanza, new StanzaError('internal-server-error', 'offline storage failed'), source.origin);
      }
    });
    ctx.hook('message/offline', ({ stanza, to, origin }) => keep(ctx, writes, stanza, to, origin));
    // XEP-0160 §2: delivered to the resource that next sends non-negative available presence
    // (a negative priority resource gets no messages for the bare JID: RFC 6121 §8.5.2.1.1).
    ctx.on('presence/non-negative', async ({ session }) => {
      await writes.stored(); // what waits for this turn's commit belongs to the queue too
      const owner = session.jid.bare;
      const given = session.data.get(GIVEN) ?? new Set<number>();
      session.data.set(GIVEN, given);
      for (const message of await storage.offline.list(owner)) {
        if (given.has(message.id)) continue; // this session has it and has not acknowledged it yet
        given.add(message.id);
        session.deliverStored(message.stanza, {
          delivered: () => void storage.offline.remove(owner, [message.id]).then(() => given.delete(message.id),
            (error: unknown) => ctx.log.error({ err: error }, 'removing a delivered offline message failed')),
        });
      }
    });
    ctx.on('delivery-failed', async ({ session, stanza }) => {
      const message = parseStanza(stanza);
      const type = message?.attrs.type ?? 'normal';
      if (message?.name !== 'message' || (type !== 'chat' && type !== 'normal')) return;
      const other = otherResource(ctx, session.jid.bare, session.id);
      if (other) return ctx.router.toEntry(other, stanza);
      await keep(ctx, writes, message, session.jid.toBare(), session);
    });
  },
});

/** RFC 6121 §8.5.2.1.1: the available resource of highest non-negative priority, other than the one that failed. */
function otherResource(ctx: OfflineContext, bare: string, failed: string): SessionEntry | null {
  let best: SessionEntry | null = null;
  for (const entry of ctx.sessions.resources(bare)) {
    if (entry.sessionId === failed || !entry.available || entry.priority < 0 || entry.hibernatedUntil !== null) continue;
    if (best === null || entry.priority > best.priority) best = entry;
  }
  return best;
}

async function keep(ctx: OfflineContext, writes: OfflineWrites<Sent>, stanza: Element, to: JID, origin: Origin): Promise<void> {
  const { storage } = ctx.services;
  // RFC 6121 §8.5.2.2.1: an account that does not exist gets service-unavailable. The lookup starts
  // now and the admission waits for it in line (offline-writes.ts), so a user's messages keep their order.
  const exists = storage.accounts.get(to.bare).then((account) => account !== null);
  if (!worthKeeping(stanza)) {
    if (!(await exists)) return ctx.router.bounce(stanza, new StanzaError('service-unavailable'), origin);
    return;
  }
  const outcome = await writes.addWithin(to.bare, ctx.options.maxMessages, () => {
    const now = Date.now();
    markUncommittedWrite(origin);
    return { to: to.bare, stanza: withDelay(stanza, to.domain, new Date(now)), stampedAt: now, source: { stanza, origin } };
  }, exists);
  if (outcome === 'refused') return ctx.router.bounce(stanza, new StanzaError('service-unavailable'), origin);
  if (outcome === 'full') return ctx.router.bounce(stanza, new StanzaError('service-unavailable', 'offline storage is full'), origin);
}

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
