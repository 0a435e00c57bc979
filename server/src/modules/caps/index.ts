// XEP-0115 entity capabilities: the server reads the <c/> in presence, learns what the verification
// string stands for (a disco#info query to the entity the first time, §6.3; the result checked
// against the string, §5.4, before it is kept for everyone announcing it), and records a client's
// '+notify' features as its session's interests (XEP-0163 §4.3: who gets which PEP notifications).
// Others learn of new features through 'caps/changed'.
import { JID, NS, xml, type Element } from '@parley/shared';
import { defineModule, type ModuleContext } from '../../core/module-api.ts';
import type { Origin, SessionHandle } from '../../core/origin.ts';
import { SessionKey } from '../../core/session-data.ts';
import { featuresOf, supportedHash, verificationString } from './verification.ts';
import { z } from 'zod';
import { detach } from '../../core/events.ts';

const options = z.object({
  /** How long a disco#info query for unknown caps may take. */
  discoTimeoutMs: z.number().int().min(1000).default(10_000),
});

/** The caps (hash + ver) a session's interests come from. */
const SESSION_CAPS = new SessionKey<string>('caps.key');
const NOTIFY = '+notify';
const NO_FEATURES: ReadonlySet<string> = new Set();

interface Announced {
  hash: string;
  ver: string;
  node: string;
  /** Cache key: the verification string is only unique for its hash function. */
  key: string;
}

function announced(presence: Element): Announced | null {
  const c = presence.getChild('c', NS.caps);
  const { hash, ver, node } = c?.attrs ?? {};
  // §6.3 legacy caps (no 'hash') name no verifiable features: not used
  if (!c || !hash || !ver || !node) return null;
  return { hash, ver, node, key: `${hash} ${ver}` };
}

export const capsModule = defineModule({
  name: 'caps',
  implements: [{ spec: 'XEP-0115', version: '1.6.0', status: 'complete', note: 'server side: caps of clients and contacts, verified and cached' }],
  options,
  register(ctx) {
    // verified caps: kept in a store every node shares (by hash function, then verification string), cached here
    const stored = ctx.store<string[]>('features');
    const known = ctx.cache<string[]>('features');
    // in flight on this node: one query per unknown verification string, whoever announces it
    const resolving = new Map<string, Promise<string[] | null>>();

    /** §6.3: ask the entity what its caps stand for; kept for everyone when it verifies (§5.4.3.7). */
    const resolve = (caps: Announced, entity: JID, from: JID): Promise<string[] | null> => {
      const cached = known.get(caps.key);
      if (cached) return Promise.resolve(cached);
      let pending = resolving.get(caps.key);
      if (pending) return pending;
      pending = (async () => {
        try {
          const kept = await stored.get(caps.hash, caps.ver);
          if (kept) {
            known.set(caps.key, kept);
            return kept;
          }
          const reply = await ctx.router.request(xml('iq', { type: 'get' }, xml('query', { xmlns: NS.discoInfo, node: `${caps.node}#${caps.ver}` })),
            from, entity, ctx.options.discoTimeoutMs);
          const query = reply.getChild('query', NS.discoInfo);
          if (!query) return null;
          const features = featuresOf(query);
          if (supportedHash(caps.hash) && verificationString(query, caps.hash) === caps.ver) {
            known.set(caps.key, features);
            await stored.set(caps.hash, caps.ver, features);
          }
          else ctx.log.debug({ entity: entity.full, ver: caps.ver }, 'caps did not verify: used for this entity only');
          return features;
        } catch (error) {
          ctx.log.debug({ err: error, entity: entity.full }, 'caps query failed');
          return null;
        } finally {
          resolving.delete(caps.key);
        }
      })();
      resolving.set(caps.key, pending);
      return pending;
    };

    const applyToSession = (session: SessionHandle, key: string, features: readonly string[]) => {
      if (session.ended || session.data.get(SESSION_CAPS) !== key) return; // a newer presence came meanwhile
      const before = session.entry.interests;
      const next = new Set<string>();
      for (const interest of before) if (!interest.endsWith(NOTIFY)) next.add(interest);
      const added = new Set<string>();
      for (const feature of features) {
        if (!feature.endsWith(NOTIFY)) continue;
        next.add(feature);
        if (!before.has(feature)) added.add(feature);
      }
      session.setInterests(next);
      return ctx.emit('caps/changed', { jid: session.jid, session, recipient: null, features: new Set(features), added });
    };

    ctx.on('presence/broadcast', ({ session, stanza }) => {
      const caps = announced(stanza);
      // a presence without caps keeps what the session announced before
      if (!caps || session.data.get(SESSION_CAPS) === caps.key) return;
      session.data.set(SESSION_CAPS, caps.key);
      const cached = known.get(caps.key);
      if (cached) return applyToSession(session, caps.key, cached);
      // the broadcast does not wait for the query: the interests follow when the answer comes
      detach(resolve(caps, session.jid, new JID('', session.jid.domain)).then((features) => {
        if (features) return applyToSession(session, caps.key, features);
      }), (err) => ctx.log.warn({ err, jid: session.jid.full }, 'caps: applying the features failed'));
    });

    remoteCaps(ctx, resolve);
  },
});

/** Presence from other servers' entities to a local account: their caps, for PEP notifications to them. */
function remoteCaps(ctx: ModuleContext<unknown>, resolve: (caps: Announced, entity: JID, from: JID) => Promise<string[] | null>): void {
  const inbound = ({ stanza, from, to, origin }: { stanza: Element; from: JID; to: JID; origin: Origin }) => {
    if (origin.kind !== 's2s' || from.resource === '') return false;
    const recipient = to.toBare();
    const type = stanza.attrs.type;
    if (type === 'unavailable') {
      detach(ctx.emit('caps/changed', { jid: from, session: null, recipient, features: NO_FEATURES, added: NO_FEATURES }),
        (err) => ctx.log.warn({ err, jid: from.full }, 'caps: forgetting a remote entity failed'));
    } else if (type === undefined) {
      const caps = announced(stanza);
      if (caps) {
        detach(resolve(caps, from, new JID('', recipient.domain)).then((features) => {
          if (!features) return;
          const set = new Set(features);
          return ctx.emit('caps/changed', { jid: from, session: null, recipient, features: set, added: set });
        }), (err) => ctx.log.warn({ err, jid: from.full }, 'caps: applying a remote entity\'s features failed'));
      }
    }
    return false; // never takes the presence: it is delivered as usual
  };
  // before the presence module (priority 0), which may take the stanza
  ctx.hook('presence/bare', inbound, 10);
  ctx.hook('presence/full', inbound, 10);
}
