// RFC 6121 §3: the subscription handshake, outbound (from a local user) and inbound (to a local user).
// The state table is RFC 6121 Appendix A; each branch cites the section it follows.
// Limits: limits.rosterItems holds for items these create too, and for pending requests per account;
// limits.subscriptionRequestsPerMinute per sender (XEP-0205 §3).
import { JID, NS, StanzaError, serialize, xml, type Element } from '@parley/shared';
import { SERVER_ORIGIN, type Origin } from '../../core/origin.ts';
import type { RosterItem, Subscription } from '../../storage/index.ts';
import { RateLimiter } from '../../limits/rate-limiter.ts';
import { emptyItem, rosterFull, rosterHasRoom, saveRosterItem } from '../lib/roster-items.ts';
import { sendCurrentPresence, sendUnavailable } from './broadcast.ts';
import type { PresenceContext } from './options.ts';

const hasTo = (s: Subscription) => s === 'to' || s === 'both';
const hasFrom = (s: Subscription) => s === 'from' || s === 'both';

export function subscriptionHandlers(ctx: PresenceContext) {
  const { storage } = ctx.services;
  const roster = storage.roster;
  const requests = storage.subscriptionRequests;
  const { maxRosterItems, subscriptionRequestsPerMinute } = ctx.options;
  const requestRate = new RateLimiter({ perMinute: subscriptionRequestsPerMinute });

  /** Route a subscription stanza between bare JIDs (§3.1.2: the server stamps bare 'from' and 'to'). */
  function forward(type: string, from: JID, to: JID, original?: Element): Promise<void> | void {
    const stanza = xml('presence', { xmlns: NS.client, type, from: from.bare, to: to.bare, id: original?.attrs.id });
    if (original) for (const node of original.children) stanza.children.push(node); // e.g. a <status/> or <nick/>
    return ctx.router.route(stanza, from, to);
  }

  async function outbound(stanza: Element, user: JID, contact: JID, origin: Origin): Promise<void> {
    const userBare = user.toBare();
    if (contact.bare === userBare.bare) return; // subscribing to oneself means nothing
    const existing = await roster.getItem(userBare.bare, contact.bare);
    const item = existing ?? emptyItem(contact.bare);
    /** A change that adds an item needs room in the roster; the sender learns why nothing happened. */
    const refusedForRoom = async () => {
      if (existing || (await rosterHasRoom(ctx, userBare.bare, maxRosterItems))) return false;
      await ctx.router.bounce(stanza, rosterFull(maxRosterItems), origin);
      return true;
    };
    switch (stanza.attrs.type) {
      case 'subscribe':
        if (!requestRate.take(userBare.bare)) {
          ctx.log.debug({ user: userBare.bare, contact: contact.bare }, 'subscription requests rate-limited');
          await ctx.router.bounce(stanza, new StanzaError('policy-violation',
            `at most ${subscriptionRequestsPerMinute} subscription requests a minute; try again later`, 'wait'), origin);
          return;
        }
        if (await refusedForRoom()) return;
        // §3.1.2: ask='subscribe' until answered; already subscribed → the contact's server answers.
        if (!hasTo(item.subscription) && !item.ask) await saveRosterItem(ctx, userBare.bare, { ...item, ask: true });
        await forward('subscribe', userBare, contact, stanza);
        return;
      case 'subscribed': {
        // §3.1.5 approval of a pending request, or §3.4 pre-approval when there is none.
        const pending = await requests.get(userBare.bare, contact.bare);
        if (hasFrom(item.subscription)) return;
        if (await refusedForRoom()) return;
        if (!pending) {
          if (!item.approved) await saveRosterItem(ctx, userBare.bare, { ...item, approved: true });
          return;
        }
        await requests.remove(userBare.bare, contact.bare);
        await saveRosterItem(ctx, userBare.bare, { ...item, subscription: item.subscription === 'to' ? 'both' : 'from', approved: false });
        await forward('subscribed', userBare, contact);
        await sendCurrentPresence(ctx, userBare, contact);
        return;
      }
      case 'unsubscribe':
        // §3.3.2: the user stops receiving the contact's presence.
        if (hasTo(item.subscription) || item.ask) {
          await saveRosterItem(ctx, userBare.bare, { ...item, subscription: item.subscription === 'both' ? 'from' : 'none', ask: false });
        }
        await forward('unsubscribe', userBare, contact);
        return;
      case 'unsubscribed': {
        // §3.2.2: cancel the contact's subscription, deny a pending request, or revoke a pre-approval.
        const hadPending = await requests.remove(userBare.bare, contact.bare);
        if (hasFrom(item.subscription) || item.approved) {
          await saveRosterItem(ctx, userBare.bare, { ...item, subscription: item.subscription === 'both' ? 'to' : 'none', approved: false });
        }
        if (hasFrom(item.subscription) || hadPending) {
          await forward('unsubscribed', userBare, contact);
          if (hasFrom(item.subscription)) await sendUnavailable(ctx, userBare, contact);
        }
        return;
      }
    }
  }

  async function inbound(stanza: Element, from: JID, owner: JID): Promise<void> {
    const account = ctx.sessions.hasSessions(owner.bare) || (await storage.accounts.get(owner.bare)) !== null;
    const item = account ? await roster.getItem(owner.bare, from.bare) : null;
    switch (stanza.attrs.type) {
      case 'subscribe':
        if (!account) return void (await forward('unsubscribed', owner, from)); // §3.1.3: no such user
        return inboundSubscribe(stanza, from, owner, item);
      case 'subscribed':
        // §3.1.6: only meaningful when we asked; otherwise ignored.
        if (!item || !item.ask) return;
        await saveRosterItem(ctx, owner.bare, { ...item, ask: false, subscription: item.subscription === 'from' ? 'both' : 'to' });
        ctx.router.toAvailableResources(owner.bare, stanza);
        return;
      case 'unsubscribe':
        // §3.3.3: the contact no longer wants our user's presence.
        await requests.remove(owner.bare, from.bare);
        if (!item || !hasFrom(item.subscription)) return;
        await saveRosterItem(ctx, owner.bare, { ...item, subscription: item.subscription === 'both' ? 'to' : 'none', approved: false });
        ctx.router.toAvailableResources(owner.bare, stanza);
        await sendUnavailable(ctx, owner, from);
        return;
      case 'unsubscribed':
        // §3.2.3: our user's subscription to the contact (or request for one) is cancelled.
        if (!item || (!hasTo(item.subscription) && !item.ask)) return;
        await saveRosterItem(ctx, owner.bare, { ...item, subscription: item.subscription === 'both' ? 'from' : 'none', ask: false });
        ctx.router.toAvailableResources(owner.bare, stanza);
        return;
    }
  }

  async function inboundSubscribe(stanza: Element, from: JID, owner: JID, item: RosterItem | null): Promise<void> {
    if (item && hasFrom(item.subscription)) {
      // §3.1.3: already subscribed → answer for the user.
      await forward('subscribed', owner, from);
      return;
    }
    if (item?.approved) {
      // §3.4.2: pre-approved → accept at once.
      await saveRosterItem(ctx, owner.bare, { ...item, subscription: item.subscription === 'to' ? 'both' : 'from', approved: false });
      await forward('subscribed', owner, from);
      await sendCurrentPresence(ctx, owner, from);
      return;
    }
    // §3.1.3: a request already pending is not delivered again (the user has it, or gets it at login).
    if (await requests.get(owner.bare, from.bare)) return;
    // Pending requests are bounded like the roster they would join; the requester is told.
    if ((await requests.count(owner.bare)) >= maxRosterItems) {
      await ctx.router.bounce(stanza, new StanzaError('resource-constraint', 'the contact cannot take more subscription requests'), SERVER_ORIGIN);
      return;
    }
    // §3.1.3: keep the request until the user answers; deliver it now to available resources.
    await requests.put(owner.bare, from.bare, serialize(stanza), Date.now());
    ctx.router.toAvailableResources(owner.bare, stanza);
  }

  return { outbound, inbound };
}
