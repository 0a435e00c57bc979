// RFC 6121 §3: the subscription handshake, outbound (from a local user) and inbound (to a local user).
// The state table is RFC 6121 Appendix A; each branch cites the section it follows.
// Limits: limits.rosterItems holds for items these create too, and for pending requests per account;
// limits.subscriptionRequestsPerMinute per sender (XEP-0205 §3).
import { JID, NS, StanzaError, serialize, xml, type Element } from '@parley/shared';
import { SERVER_ORIGIN, type Origin } from '../../core/origin.ts';
import type { RosterItem, StateStores, Subscription } from '../../storage/index.ts';
import { RateLimiter } from '../../limits/rate-limiter.ts';
import { changeRoster, emptyItem, rosterFull, rosterHasRoom } from '../lib/roster-items.ts';
import { sendCurrentPresence, sendUnavailable } from './broadcast.ts';
import type { PresenceContext } from './options.ts';

const hasTo = (s: Subscription) => s === 'to' || s === 'both';
const hasFrom = (s: Subscription) => s === 'from' || s === 'both';

export function subscriptionHandlers(ctx: PresenceContext) {
  const { storage } = ctx.services;
  const { maxRosterItems, subscriptionRequestsPerMinute } = ctx.options;
  const requestRate = new RateLimiter({ perMinute: subscriptionRequestsPerMinute });
  /** Route a subscription stanza between bare JIDs (§3.1.2: the server stamps bare 'from' and 'to'). */
  function forward(type: string, from: JID, to: JID, original?: Element): Promise<void> | void {
    const stanza = xml('presence', { xmlns: NS.client, type, from: from.bare, to: to.bare, id: original?.attrs.id });
    if (original) for (const node of original.children) stanza.children.push(node); // e.g. a <status/> or <nick/>
    return ctx.router.route(stanza, from, to);
  }

  /** The user's item for the contact, or a fresh one (§2.1.2: subscription none); `room`: a new one fits (limits.rosterItems). */
  const itemOf = async (stores: StateStores, owner: string, contact: string): Promise<{ item: RosterItem; room: boolean }> => {
    const existing = await stores.roster.getItem(owner, contact);
    return { item: existing ?? emptyItem(contact), room: existing !== null || (await rosterHasRoom(ctx, owner, maxRosterItems, stores)) };
  };

  // Each handler reads and changes the roster and the pending requests in one transaction
  // (changeRoster), then routes what the change calls for.

  /** A change that would add an item to a full roster: the sender learns why nothing happened. */
  const refuseForRoom = (stanza: Element, origin: Origin) => ctx.router.bounce(stanza, rosterFull(maxRosterItems), origin);

  async function outbound(stanza: Element, user: JID, contact: JID, origin: Origin): Promise<void> {
    const userBare = user.toBare();
    const owner = userBare.bare;
    if (contact.bare === owner) return; // subscribing to oneself means nothing
    switch (stanza.attrs.type) {
      case 'subscribe': {
        if (!requestRate.take(owner)) {
          ctx.log.debug({ user: owner, contact: contact.bare }, 'subscription requests rate-limited');
          await ctx.router.bounce(stanza, new StanzaError('policy-violation',
            `at most ${subscriptionRequestsPerMinute} subscription requests a minute; try again later`, 'wait'), origin);
          return;
        }
        // §3.1.2: ask='subscribe' until answered; already subscribed → the contact's server answers.
        const room = await changeRoster(ctx, async ({ stores, save }) => {
          const { item, room } = await itemOf(stores, owner, contact.bare);
          if (!room) return false;
          if (!hasTo(item.subscription) && !item.ask) await save(owner, { ...item, ask: true });
          return true;
        });
        if (!room) return void (await refuseForRoom(stanza, origin));
        await forward('subscribe', userBare, contact, stanza);
        return;
      }
      case 'subscribed': {
        // §3.1.5 approval of a pending request, or §3.4 pre-approval when there is none.
        const outcome = await changeRoster(ctx, async ({ stores, save }) => {
          const { item, room } = await itemOf(stores, owner, contact.bare);
          const pending = await stores.subscriptionRequests.get(owner, contact.bare);
          if (hasFrom(item.subscription)) return 'nothing';
          if (!room) return 'roster-full';
          if (!pending) {
            if (!item.approved) await save(owner, { ...item, approved: true });
            return 'nothing';
          }
          await stores.subscriptionRequests.remove(owner, contact.bare);
          await save(owner, { ...item, subscription: item.subscription === 'to' ? 'both' : 'from', approved: false });
          return 'approved';
        });
        if (outcome === 'roster-full') return void (await refuseForRoom(stanza, origin));
        if (outcome !== 'approved') return;
        await forward('subscribed', userBare, contact);
        await sendCurrentPresence(ctx, userBare, contact);
        return;
      }
      case 'unsubscribe':
        // §3.3.2: the user stops receiving the contact's presence.
        await changeRoster(ctx, async ({ stores, save }) => {
          const { item } = await itemOf(stores, owner, contact.bare);
          if (hasTo(item.subscription) || item.ask) {
            await save(owner, { ...item, subscription: item.subscription === 'both' ? 'from' : 'none', ask: false });
          }
        });
        await forward('unsubscribe', userBare, contact);
        return;
      case 'unsubscribed': {
        // §3.2.2: cancel the contact's subscription, deny a pending request, or revoke a pre-approval.
        const { subscribed, hadPending } = await changeRoster(ctx, async ({ stores, save }) => {
          const { item } = await itemOf(stores, owner, contact.bare);
          const removed = await stores.subscriptionRequests.remove(owner, contact.bare);
          if (hasFrom(item.subscription) || item.approved) {
            await save(owner, { ...item, subscription: item.subscription === 'both' ? 'to' : 'none', approved: false });
          }
          return { subscribed: hasFrom(item.subscription), hadPending: removed };
        });
        if (subscribed || hadPending) {
          await forward('unsubscribed', userBare, contact);
          if (subscribed) await sendUnavailable(ctx, userBare, contact);
        }
        return;
      }
    }
  }

  async function inbound(stanza: Element, from: JID, owner: JID): Promise<void> {
    const account = ctx.sessions.hasSessions(owner.bare) || (await storage.accounts.get(owner.bare)) !== null;
    /** The owner's item for the sender; none when the owner is not an account. */
    const itemFor = (stores: StateStores) => (account ? stores.roster.getItem(owner.bare, from.bare) : null);
    switch (stanza.attrs.type) {
      case 'subscribe':
        if (!account) return void (await forward('unsubscribed', owner, from)); // §3.1.3: no such user
        return inboundSubscribe(stanza, from, owner);
      case 'subscribed': {
        // §3.1.6: only meaningful when we asked; otherwise ignored.
        const accepted = await changeRoster(ctx, async ({ stores, save }) => {
          const item = await itemFor(stores);
          if (!item || !item.ask) return false;
          await save(owner.bare, { ...item, ask: false, subscription: item.subscription === 'from' ? 'both' : 'to' });
          return true;
        });
        if (accepted) ctx.router.toAvailableResources(owner.bare, stanza);
        return;
      }
      case 'unsubscribe': {
        // §3.3.3: the contact no longer wants our user's presence.
        const cancelled = await changeRoster(ctx, async ({ stores, save }) => {
          await stores.subscriptionRequests.remove(owner.bare, from.bare);
          const item = await itemFor(stores);
          if (!item || !hasFrom(item.subscription)) return false;
          await save(owner.bare, { ...item, subscription: item.subscription === 'both' ? 'to' : 'none', approved: false });
          return true;
        });
        if (!cancelled) return;
        ctx.router.toAvailableResources(owner.bare, stanza);
        await sendUnavailable(ctx, owner, from);
        return;
      }
      case 'unsubscribed': {
        // §3.2.3: our user's subscription to the contact (or request for one) is cancelled.
        const cancelled = await changeRoster(ctx, async ({ stores, save }) => {
          const item = await itemFor(stores);
          if (!item || (!hasTo(item.subscription) && !item.ask)) return false;
          await save(owner.bare, { ...item, subscription: item.subscription === 'both' ? 'from' : 'none', ask: false });
          return true;
        });
        if (cancelled) ctx.router.toAvailableResources(owner.bare, stanza);
        return;
      }
    }
  }

  async function inboundSubscribe(stanza: Element, from: JID, owner: JID): Promise<void> {
    const outcome = await changeRoster(ctx, async ({ stores, save }) => {
      const item = await stores.roster.getItem(owner.bare, from.bare);
      // §3.1.3: already subscribed → answer for the user.
      if (item && hasFrom(item.subscription)) return 'already-subscribed';
      if (item?.approved) {
        // §3.4.2: pre-approved → accept at once.
        await save(owner.bare, { ...item, subscription: item.subscription === 'to' ? 'both' : 'from', approved: false });
        return 'pre-approved';
      }
      // §3.1.3: a request already pending is not delivered again (the user has it, or gets it at login).
      if (await stores.subscriptionRequests.get(owner.bare, from.bare)) return 'already-pending';
      // Pending requests are bounded like the roster they would join; the requester is told.
      if ((await stores.subscriptionRequests.count(owner.bare)) >= maxRosterItems) return 'too-many';
      // §3.1.3: keep the request until the user answers.
      await stores.subscriptionRequests.put(owner.bare, from.bare, serialize(stanza), Date.now());
      return 'pending';
    });
    switch (outcome) {
      case 'already-pending':
        return;
      case 'too-many':
        await ctx.router.bounce(stanza, new StanzaError('resource-constraint', 'the contact cannot take more subscription requests'), SERVER_ORIGIN);
        return;
      case 'pending':
        // … and deliver it now to available resources.
        ctx.router.toAvailableResources(owner.bare, stanza);
        return;
      default:
        await forward('subscribed', owner, from);
        if (outcome === 'pre-approved') await sendCurrentPresence(ctx, owner, from);
    }
  }

  return { outbound, inbound };
}
