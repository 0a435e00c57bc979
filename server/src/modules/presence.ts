// RFC 6121 §3–§4: presence subscriptions, broadcast, probes, directed presence, unavailable on disconnect.
import { Element, JID, NS, parsePresenceInfo, serialize, tryParseJid, xml } from '@parley/shared';
import type { ServerContext } from '../context.ts';
import type { ClientSession } from '../stream/session.ts';
import type { Origin, ParleyModule } from './registry.ts';
import { subscriptionHandlers } from './subscriptions.ts';

const SUBSCRIPTION_TYPES = new Set(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);

/** Listeners run after a session's initial presence (offline messages, pending requests…). */
export type InitialPresenceListener = (session: ClientSession) => void | Promise<void>;
const initialPresenceListeners = new WeakMap<ServerContext, InitialPresenceListener[]>();

export function onInitialPresence(ctx: ServerContext, listener: InitialPresenceListener): void {
  const list = initialPresenceListeners.get(ctx) ?? [];
  list.push(listener);
  initialPresenceListeners.set(ctx, list);
}

/**
 * Listeners run when a session becomes available with a non-negative priority: at initial presence,
 * or later when a negative priority is raised (XEP-0160 §2 delivers offline messages then).
 */
const nonNegativePresenceListeners = new WeakMap<ServerContext, InitialPresenceListener[]>();

export function onNonNegativePresence(ctx: ServerContext, listener: InitialPresenceListener): void {
  const list = nonNegativePresenceListeners.get(ctx) ?? [];
  list.push(listener);
  nonNegativePresenceListeners.set(ctx, list);
}

export const presenceModule: ParleyModule = {
  name: 'presence',
  implements: [
    { spec: 'RFC 6121', status: 'complete', note: 'presence subscriptions §3, exchanging presence §4' },
    { spec: 'RFC 6121 §3.4', status: 'complete', note: 'subscription pre-approval' },
  ],
  register(ctx) {
    ctx.modules.streamFeatures.push(() => xml('sub', { xmlns: NS.preApproval }));
    const subscriptions = subscriptionHandlers(ctx);
    ctx.modules.hook('presence/outbound', (stanza, from, to, origin) => {
      const type = stanza.attrs.type;
      if (type !== undefined && SUBSCRIPTION_TYPES.has(type)) return subscriptions.outbound(stanza, from, to.toBare(), origin);
      if (stanza.attrs.to === undefined) return broadcast(ctx, origin!, stanza);
      if (type === 'probe') return true; // clients do not probe (§4.3); the server does it for them
      trackDirected(origin!, stanza, to);
      return false; // directed presence is routed as it is
    });
    const inbound = (stanza: Element, from: JID, to: JID, origin: Origin) => {
      const type = stanza.attrs.type;
      if (type !== undefined && SUBSCRIPTION_TYPES.has(type)) return subscriptions.inbound(stanza, from.toBare(), to.toBare());
      if (type === 'probe') return answerProbe(ctx, from, to.toBare());
      void origin;
      return false;
    };
    ctx.modules.hook('presence/bare', inbound);
    ctx.modules.hook('presence/full', (stanza, from, to, origin) => {
      const type = stanza.attrs.type;
      // subscription stanzas and probes are about the account, whatever resource they name
      if (type !== undefined && (SUBSCRIPTION_TYPES.has(type) || type === 'probe')) return inbound(stanza, from, to, origin);
      return false;
    });
    ctx.sessions.onSessionEnded((session) => void goUnavailable(ctx, session, null));
    // §3.1.3: requests that arrived while the user was offline are shown at the next login.
    onInitialPresence(ctx, async (session) => {
      for (const request of await ctx.storage.subscriptionRequests.list(session.jid!.bare)) session.sendRaw(request.stanza);
    });
  },
};

/** Presence with no 'to' (§4.2, §4.4, §4.5): to the user's own resources and subscribed contacts. */
function broadcast(ctx: ServerContext, session: ClientSession, stanza: Element): Promise<void> | true {
  const type = stanza.attrs.type;
  if (type === 'unavailable') return goUnavailable(ctx, session, stanza);
  if (type !== undefined) return true; // only available and unavailable presence is broadcast
  const state = session.presence;
  const initial = !state.available;
  const wasNonNegative = state.available && state.priority >= 0;
  state.available = true;
  // RFC 6121 §4.7.2.3: -128 to +127, 0 when absent or unreadable
  state.priority = parsePresenceInfo(stanza)?.priority ?? 0;
  state.last = stanza;
  const becameNonNegative = !wasNonNegative && state.priority >= 0;
  return (async () => {
    const jid = session.jid!;
    for (const decorate of ctx.modules.presenceDecorators) await decorate(stanza, jid);
    const roster = await ctx.storage.roster.get(jid.bare);
    for (const item of roster.items) {
      if (item.subscription === 'from' || item.subscription === 'both') sendTo(ctx, stanza, jid, item.jid);
    }
    // §4.2.2: the user's own available resources, the sender included, see it too.
    sendToOwnResources(ctx, stanza, jid);
    if (initial) {
      // §4.2.2: probe the contacts this user is subscribed to, and show the user's other resources.
      for (const item of roster.items) {
        if (item.subscription === 'to' || item.subscription === 'both') {
          const contact = tryParseJid(item.jid);
          if (contact) await ctx.router.route(xml('presence', { xmlns: NS.client, type: 'probe', from: jid.bare, to: item.jid }), jid.toBare(), contact);
        }
      }
      for (const other of ctx.sessions.resources(jid.bare)) {
        if (other !== session && other.presence.available && other.presence.last) session.send(addressed(other.presence.last, session.jid!.full));
      }
      for (const listener of initialPresenceListeners.get(ctx) ?? []) await listener(session);
    }
    if (becameNonNegative) for (const listener of nonNegativePresenceListeners.get(ctx) ?? []) await listener(session);
  })();
}

/** Send a session's current presence again (after something it carries changed, e.g. the avatar). */
export function rebroadcast(ctx: ServerContext, session: ClientSession): Promise<void> | true {
  const last = session.presence.last;
  if (!session.presence.available || !last) return true;
  return broadcast(ctx, session, last);
}

/** Unavailable presence from a session (explicit, or because it ended: §4.5.2). */
function goUnavailable(ctx: ServerContext, session: ClientSession, stanza: Element | null): Promise<void> | true {
  const state = session.presence;
  const directed = state.directedTo;
  state.directedTo = null;
  if (!state.available && !directed) return true;
  const wasAvailable = state.available;
  state.available = false;
  state.last = null;
  const jid = session.jid!;
  const unavailable = stanza ?? xml('presence', { xmlns: NS.client, type: 'unavailable', from: jid.full });
  return (async () => {
    if (wasAvailable) {
      const roster = await ctx.storage.roster.get(jid.bare);
      for (const item of roster.items) {
        if (item.subscription === 'from' || item.subscription === 'both') {
          sendTo(ctx, unavailable, jid, item.jid);
          directed?.delete(item.jid);
        }
      }
      sendToOwnResources(ctx, unavailable, jid, session.isClosed ? session : null);
    }
    // §4.6.3: whoever got directed presence learns that the session went away.
    for (const target of directed ?? []) sendTo(ctx, unavailable, jid, target);
  })();
}

/** §4.6: remember directed available presence so unavailable follows; unavailable clears it. */
function trackDirected(session: ClientSession, stanza: Element, to: JID): void {
  const type = stanza.attrs.type;
  const state = session.presence;
  if (type === undefined) (state.directedTo ??= new Set()).add(to.full);
  else if (type === 'unavailable') state.directedTo?.delete(to.full);
}

/** §4.3.2: a probe from a subscribed contact gets the last presence of each available resource. */
async function answerProbe(ctx: ServerContext, prober: JID, owner: JID): Promise<void> {
  const item = await ctx.storage.roster.getItem(owner.bare, prober.bare);
  if (!item || (item.subscription !== 'from' && item.subscription !== 'both')) {
    // §4.3.2 step 1: no such account or no subscription → 'unsubscribed', which cancels the prober's
    // stale subscription (§3.2) and leaves a pre-approval alone.
    const to = prober.toBare();
    await ctx.router.route(xml('presence', { xmlns: NS.client, type: 'unsubscribed', from: owner.bare, to: to.bare }), owner, to);
    return;
  }
  let any = false;
  for (const session of ctx.sessions.resources(owner.bare)) {
    if (!session.presence.available || !session.presence.last) continue;
    any = true;
    await ctx.router.route(addressed(session.presence.last, prober.full), session.jid!, prober);
  }
  if (!any) {
    await ctx.router.route(xml('presence', { xmlns: NS.client, type: 'unavailable', from: owner.bare, to: prober.full }), owner, prober);
  }
}

/** Send the user's current presence from every available resource to a contact (after approval). */
export async function sendCurrentPresence(ctx: ServerContext, owner: JID, contact: JID): Promise<void> {
  for (const session of ctx.sessions.resources(owner.bare)) {
    if (session.presence.available && session.presence.last) {
      await ctx.router.route(addressed(session.presence.last, contact.bare), session.jid!, contact);
    }
  }
}

/** Unavailable presence from every available resource to a contact (after a cancelled subscription). */
export async function sendUnavailable(ctx: ServerContext, owner: JID, contact: JID): Promise<void> {
  for (const session of ctx.sessions.resources(owner.bare)) {
    if (session.presence.available) {
      await ctx.router.route(xml('presence', { xmlns: NS.client, type: 'unavailable', from: session.jid!.full, to: contact.bare }), session.jid!, contact);
    }
  }
}

function sendTo(ctx: ServerContext, stanza: Element, from: JID, target: string): void {
  const to = tryParseJid(target);
  if (to) void ctx.router.route(addressed(stanza, target), from, to);
}

function sendToOwnResources(ctx: ServerContext, stanza: Element, jid: JID, except: ClientSession | null = null): void {
  let data: string | null = null;
  for (const other of ctx.sessions.resources(jid.bare)) {
    if (other === except || !other.presence.available) continue;
    data ??= serialize(addressed(stanza, jid.bare));
    other.sendRaw(data);
  }
}

/** A copy of a presence stanza with its own 'to' (children shared, never mutated). */
function addressed(stanza: Element, to: string): Element {
  const copy = new Element(stanza.name, { ...stanza.attrs, xmlns: NS.client, to });
  copy.children = stanza.children;
  return copy;
}
