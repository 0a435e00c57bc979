// RFC 6121 §4: a session's presence — broadcast to subscribers and own resources (§4.2, §4.4),
// unavailable (§4.5), directed presence (§4.6), probes (§4.3) — read from and written to the
// session table, and routed like any stanza.
import { Element, JID, NS, parsePresenceInfo, tryParseJid, xml } from '@parley/shared';
import type { SessionHandle } from '../../core/origin.ts';
import type { SessionEntry } from '../../core/session-table.ts';
import { SessionKey } from '../../core/session-data.ts';
import type { PresenceContext } from './options.ts';

/** Full/bare JIDs that got directed presence from the session (§4.6), told when it goes offline. */
const DIRECTED = new SessionKey<Set<string>>('presence.directed');

/** Presence with no 'to' (§4.2, §4.4, §4.5): to the user's own resources and subscribed contacts. */
export function broadcast(ctx: PresenceContext, session: SessionHandle, stanza: Element): Promise<void> | true {
  const type = stanza.attrs.type;
  if (type === 'unavailable') return goUnavailable(ctx, session, stanza);
  if (type !== undefined) return true; // only available and unavailable presence is broadcast
  const entry = session.entry;
  const initial = !entry.available;
  const wasNonNegative = entry.available && entry.priority >= 0;
  // RFC 6121 §4.7.2.3: -128 to +127, 0 when absent or unreadable
  session.setPresence(true, parsePresenceInfo(stanza)?.priority ?? 0, stanza);
  const becameNonNegative = !wasNonNegative && entry.priority >= 0;
  return (async () => {
    const jid = session.jid;
    await ctx.emit('presence/broadcast', { session, stanza });
    const roster = await ctx.services.storage.roster.get(jid.bare);
    for (const item of roster.items) {
      if (item.subscription === 'from' || item.subscription === 'both') sendTo(ctx, stanza, jid, item.jid);
    }
    // §4.2.2: the user's own available resources, the sender included, see it too.
    ctx.router.toAvailableResources(jid.bare, addressed(stanza, jid.bare));
    if (initial) {
      // §4.2.2: probe the contacts this user is subscribed to, and show the user's other resources.
      for (const item of roster.items) {
        if (item.subscription === 'to' || item.subscription === 'both') {
          const contact = tryParseJid(item.jid);
          if (contact) await ctx.router.route(xml('presence', { xmlns: NS.client, type: 'probe', from: jid.bare, to: item.jid }), jid.toBare(), contact);
        }
      }
      for (const other of ctx.sessions.resources(jid.bare)) {
        if (other.sessionId !== session.id && other.available && other.presence) session.deliver(addressed(other.presence, jid.full));
      }
      await ctx.emit('presence/initial', { session });
    }
    if (becameNonNegative) await ctx.emit('presence/non-negative', { session });
  })();
}

/** Send a session's current presence again (after something it carries changed, e.g. the avatar). */
export function rebroadcast(ctx: PresenceContext, session: SessionHandle): Promise<void> | true {
  const last = session.entry.presence;
  if (!session.entry.available || !last) return true;
  return broadcast(ctx, session, last);
}

/** Unavailable presence from a session (explicit, or because it ended: §4.5.2). */
export function goUnavailable(ctx: PresenceContext, session: SessionHandle, stanza: Element | null): Promise<void> | true {
  const directed = session.data.get(DIRECTED);
  session.data.delete(DIRECTED);
  const wasAvailable = session.entry.available;
  if (!wasAvailable && !directed) return true;
  session.setPresence(false, session.entry.priority, null);
  const jid = session.jid;
  const unavailable = stanza ?? xml('presence', { xmlns: NS.client, type: 'unavailable', from: jid.full });
  return (async () => {
    if (wasAvailable) {
      const roster = await ctx.services.storage.roster.get(jid.bare);
      for (const item of roster.items) {
        if (item.subscription === 'from' || item.subscription === 'both') {
          sendTo(ctx, unavailable, jid, item.jid);
          directed?.delete(item.jid);
        }
      }
      ctx.router.toAvailableResources(jid.bare, addressed(unavailable, jid.bare));
    }
    // §4.6.3: whoever got directed presence learns that the session went away.
    for (const target of directed ?? []) sendTo(ctx, unavailable, jid, target);
  })();
}

/**
 * §4.5.2 for a session lost with its node (cluster/): the server sends the unavailable presence the
 * session could not, to the subscribed contacts and the account's other resources. Directed
 * presence (§4.6.3) was known only to the lost node.
 */
export async function lostUnavailable(ctx: PresenceContext, entry: SessionEntry): Promise<void> {
  if (!entry.available) return;
  const jid = entry.jid;
  const unavailable = xml('presence', { xmlns: NS.client, type: 'unavailable', from: jid.full });
  const roster = await ctx.services.storage.roster.get(jid.bare);
  for (const item of roster.items) {
    if (item.subscription === 'from' || item.subscription === 'both') sendTo(ctx, unavailable, jid, item.jid);
  }
  ctx.router.toAvailableResources(jid.bare, addressed(unavailable, jid.bare));
}

/** §4.6: remember directed available presence so unavailable follows; unavailable clears it. */
export function trackDirected(session: SessionHandle, stanza: Element, to: JID): void {
  const type = stanza.attrs.type;
  if (type === undefined) {
    let directed = session.data.get(DIRECTED);
    if (!directed) session.data.set(DIRECTED, directed = new Set());
    directed.add(to.full);
  } else if (type === 'unavailable') {
    session.data.get(DIRECTED)?.delete(to.full);
  }
}

/** §4.3.2: a probe from a subscribed contact gets the last presence of each available resource. */
export async function answerProbe(ctx: PresenceContext, prober: JID, owner: JID): Promise<void> {
  const item = await ctx.services.storage.roster.getItem(owner.bare, prober.bare);
  if (!item || (item.subscription !== 'from' && item.subscription !== 'both')) {
    // §4.3.2 step 1: no such account or no subscription → 'unsubscribed', which cancels the prober's
    // stale subscription (§3.2) and leaves a pre-approval alone.
    const to = prober.toBare();
    await ctx.router.route(xml('presence', { xmlns: NS.client, type: 'unsubscribed', from: owner.bare, to: to.bare }), owner, to);
    return;
  }
  let any = false;
  for (const entry of ctx.sessions.resources(owner.bare)) {
    if (!entry.available || !entry.presence) continue;
    any = true;
    await ctx.router.route(addressed(entry.presence, prober.full), entry.jid, prober);
  }
  // §4.3.2 lets the server either answer 'unavailable' or not answer at all. A remote prober's
  // server may hold a stale 'available' (the contact left while the link was down): it is told. A
  // prober here has a fresh session that already sees everyone offline: nothing is sent (a
  // 5,000-contact roster would otherwise get 5,000 empty stanzas at each sign-in, as Prosody sends).
  if (!any && !ctx.hosts.isAccountDomain(prober.domain)) {
    await ctx.router.route(xml('presence', { xmlns: NS.client, type: 'unavailable', from: owner.bare, to: prober.full }), owner, prober);
  }
}

/** Send the user's current presence from every available resource to a contact (after approval). */
export async function sendCurrentPresence(ctx: PresenceContext, owner: JID, contact: JID): Promise<void> {
  for (const entry of ctx.sessions.resources(owner.bare)) {
    if (entry.available && entry.presence) await ctx.router.route(addressed(entry.presence, contact.bare), entry.jid, contact);
  }
}

/** Unavailable presence from every available resource to a contact (after a cancelled subscription, §3.2.2). */
export async function sendUnavailable(ctx: PresenceContext, owner: JID, contact: JID): Promise<void> {
  for (const entry of ctx.sessions.resources(owner.bare)) {
    if (entry.available) {
      await ctx.router.route(xml('presence', { xmlns: NS.client, type: 'unavailable', from: entry.jid.full, to: contact.bare }), entry.jid, contact);
    }
  }
}

function sendTo(ctx: PresenceContext, stanza: Element, from: JID, target: string): void {
  const to = tryParseJid(target);
  if (to) void ctx.router.route(addressed(stanza, target), from, to);
}

/** A copy of a presence stanza with its own 'to' (children shared, never mutated). */
function addressed(stanza: Element, to: string): Element {
  const copy = new Element(stanza.name, { ...stanza.attrs, xmlns: NS.client, to });
  copy.children = stanza.children;
  return copy;
}
