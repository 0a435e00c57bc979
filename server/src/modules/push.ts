// XEP-0357 push notifications: a client registers an app server (JID and node, with a
// publish-options form passed through as given); when a message reaches one of the account's
// sessions that waits without a stream (XEP-0198) or goes to offline storage, the server publishes
// a summary to each registration (§7: urn:xmpp:push:summary — message count and sender; the body
// only when `includeBody` is configured). A failed publish (an error reply, or no reply in time)
// is logged and retried, at most `retries` times. Registrations and counts are in the module's
// stores, so any node sees them.
import { randomBytes } from 'node:crypto';
import { NS, StanzaError, parseStanzaError, tryParseJid, xml, type Element, type JID } from '@parley/shared';
import { z } from 'zod';
import { defineModule, type ModuleContext } from '../core/module-api.ts';
import { SERVER_ORIGIN } from '../core/origin.ts';
import type { KeyValueStore } from '../storage/index.ts';
import { parseStanza } from './lib/parse-stanza.ts';

const options = z.object({
  /** Put the message's body in the summary (§7 last-message-body): off, so the app server never sees what was said. */
  includeBody: z.boolean().default(false),
  /** Publishes tried again after a failure. */
  retries: z.number().int().min(0).max(10).default(3),
  /** Wait before the first retry; doubled for each next one (ms). */
  retryDelayMs: z.number().int().min(10).default(2000),
  /** How long the app server has to answer a publish (ms). */
  replyTimeoutMs: z.number().int().min(100).default(15_000),
  /** Registrations per account. */
  maxRegistrations: z.number().int().min(1).default(10),
});
type PushContext = ModuleContext<z.infer<typeof options>>;

/** One app server registration (§5), as stored. */
interface Registration {
  jid: string;
  node: string;
  /** The serialized publish-options form, passed through as the client gave it. */
  publishOptions: string | null;
}

/** A publish waiting for the app server's answer. */
interface Pending {
  settle(reply: Element): void;
}

export const pushModule = defineModule({
  name: 'push',
  implements: [{ spec: 'XEP-0357', version: '0.4.1', status: 'complete', note: 'summaries on offline storage and on hibernated sessions (XEP-0198)' }],
  options,
  register(ctx) {
    ctx.features.account(NS.push);
    const registrations = ctx.store<Registration>('registrations');
    const counts = ctx.store<number>('counts');
    // the app server's answers, by the id of the publish they answer (this node sent it)
    const pending = new Map<string, Pending>();

    ctx.iq('account', 'set', { name: 'enable', xmlns: NS.push }, async ({ payload, from, to }) => {
      if (from.bare !== to.bare) throw new StanzaError('not-allowed', "another account's push registrations");
      const service = tryParseJid(payload.attrs.jid);
      const node = payload.attrs.node;
      if (!service || !node) throw new StanzaError('bad-request', '<enable/> needs the app server\'s jid and a node');
      const form = payload.getChild('x', NS.dataForms);
      const key = registrationKey(service.full, node);
      const existing = await registrations.list(from.bare);
      if (!existing.some((entry) => entry.key === key) && existing.length >= ctx.options.maxRegistrations) {
        throw new StanzaError('resource-constraint', 'too many push registrations');
      }
      await registrations.set(from.bare, key, { jid: service.full, node, publishOptions: form ? form.toString() : null });
    });
    ctx.iq('account', 'set', { name: 'disable', xmlns: NS.push }, async ({ payload, from, to }) => {
      if (from.bare !== to.bare) throw new StanzaError('not-allowed', "another account's push registrations");
      const service = tryParseJid(payload.attrs.jid);
      if (!service) throw new StanzaError('bad-request', '<disable/> needs the app server\'s jid');
      // §5: without a node, every registration with that app server goes
      for (const { key, value } of await registrations.list(from.bare)) {
        if (value.jid === service.full && (payload.attrs.node === undefined || value.node === payload.attrs.node)) await registrations.delete(from.bare, key);
      }
    });

    const notify = (owner: JID, message: Element): void => {
      void publishAll(ctx, owner, message, registrations.list(owner.bare), counts, pending).catch((error: unknown) => {
        ctx.log.error({ err: error, owner: owner.bare }, 'push notification failed');
      });
    };
    // a message kept for a session that waits without a stream
    ctx.on('stanza-kept', ({ session, stanza }) => {
      if (!stanza.startsWith('<message')) return;
      const message = parseStanza(stanza);
      if (message && worthNotifying(message)) notify(session.jid, message);
    });
    // a message for an account with no available resource (it goes to offline storage): look, do not take
    ctx.hook('message/offline', ({ stanza, to }) => {
      if (worthNotifying(stanza)) notify(to, stanza);
      return false;
    }, 100);
    // the user is back: the count starts again
    const reset = ({ session }: { session: { jid: JID } }) => void counts.delete(session.jid.bare, 'pending').catch(() => {});
    ctx.on('resource-bind', reset);
    ctx.on('session-resumed', reset);
    // the app server's answer to a publish (sent from the account's bare JID)
    ctx.hook('iq/bare', ({ stanza }) => {
      const type = stanza.attrs.type;
      if (type !== 'result' && type !== 'error') return false;
      const waiting = pending.get(stanza.attrs.id ?? '');
      if (!waiting) return false;
      waiting.settle(stanza);
      return true;
    }, 100);
  },
});

function registrationKey(jid: string, node: string): string {
  return `${jid} ${node}`;
}

/** §7: messages a user would want to hear about: with a body (not errors, not bare chat states or receipts). */
function worthNotifying(message: Element): boolean {
  const type = message.attrs.type ?? 'normal';
  if (type === 'error' || type === 'groupchat' || type === 'headline') return false;
  return message.getChild('body') !== undefined;
}

async function publishAll(ctx: PushContext, owner: JID, message: Element, registered: Promise<Array<{ key: string; value: Registration }>>,
  counts: KeyValueStore<number>, pending: Map<string, Pending>): Promise<void> {
  const entries = await registered;
  if (entries.length === 0) return;
  const count = ((await counts.get(owner.bare, 'pending')) ?? 0) + 1;
  await counts.set(owner.bare, 'pending', count);
  for (const { value } of entries) void publish(ctx, owner, value, summary(ctx, message, count), pending, 0);
}

/** §7 the notification form: urn:xmpp:push:summary with the count and the last sender (and body, when configured). */
function summary(ctx: PushContext, message: Element, count: number): Element {
  const field = (name: string, value: string) => xml('field', { var: name }, xml('value', null, value));
  const body = message.getChildText('body');
  return xml('x', { xmlns: NS.dataForms, type: 'submit' },
    field('FORM_TYPE', NS.pushSummary),
    field('message-count', String(count)),
    field('last-message-sender', message.attrs.from ?? ''),
    ctx.options.includeBody && body ? field('last-message-body', body) : null);
}

async function publish(ctx: PushContext, owner: JID, registration: Registration, form: Element, pending: Map<string, Pending>,
  attempt: number): Promise<void> {
  const service = tryParseJid(registration.jid);
  if (!service) return;
  const id = `push-${randomBytes(6).toString('hex')}`;
  const options = registration.publishOptions ? parseStanza(registration.publishOptions) : null;
  const iq = xml('iq', { xmlns: NS.client, type: 'set', id, from: owner.bare, to: registration.jid },
    xml('pubsub', { xmlns: NS.pubsub },
      xml('publish', { node: registration.node }, xml('item', null, xml('notification', { xmlns: NS.push }, form))),
      options ? xml('publish-options', null, options) : null));
  const reply = new Promise<Element | null>((resolve) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      resolve(null);
    }, ctx.options.replyTimeoutMs);
    timer.unref?.();
    pending.set(id, { settle: (answer) => { clearTimeout(timer); pending.delete(id); resolve(answer); } });
  });
  await ctx.router.route(iq, owner.toBare(), service, SERVER_ORIGIN);
  const answer = await reply;
  if (answer?.attrs.type === 'result') return;
  const reason = answer ? parseStanzaError(answer)?.condition ?? 'error' : 'no answer';
  const log = { owner: owner.bare, appServer: registration.jid, node: registration.node, attempt: attempt + 1, reason };
  if (attempt >= ctx.options.retries) {
    ctx.log.warn(log, 'push notification failed; no more retries');
    return;
  }
  ctx.log.info(log, 'push notification failed; retrying');
  await new Promise((resolve) => setTimeout(resolve, ctx.options.retryDelayMs * 2 ** attempt).unref?.());
  return publish(ctx, owner, registration, form, pending, attempt + 1);
}
