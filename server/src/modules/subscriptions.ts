// RFC 6121 §3: the subscription handshake, outbound (from a local user) and inbound (to a local user).
// The state table is RFC 6121 Appendix A; each branch cites the section it follows.
import { JID, NS, serialize, xml, type Element } from '@parley/shared';
import type { ServerContext } from '../context.ts';
import type { RosterItem, StateStores, Subscription } from '../storage/index.ts';
import { changeRoster, emptyItem } from './roster-items.ts';
import { sendCurrentPresence, sendUnavailable } from './presence.ts';

const hasTo = (s: Subscription) => s === 'to' || s === 'both';
const hasFrom = (s: Subscription) => s === 'from' || s === 'both';

export function subscriptionHandlers(ctx: ServerContext) {
  /** Route a subscription stanza between bare JIDs (§3.1.2: the server stamps bare 'from' and 'to'). */
  function forward(type: string, from: JID, to: JID, original?: Element): Promise<void> | void {
    const stanza = xml('presence', { xmlns: NS.client, type, from: from.bare, to: to.bare, id: original?.attrs.id });
    if (original) for (const node of original.children) stanza.children.push(node); // e.g. a <status/> or <nick/>
    return ctx.router.route(stanza, from, to);
  }

  /** The user's item for the contact, or a fresh one (§2.1.2: subscription none). */
  const itemOf = async (stores: StateStores, owner: string, contact: string): Promise<RosterItem> =>
    (await stores.roster.getItem(owner, contact)) ?? emptyItem(contact);

  // Each handler reads and changes the roster and the pending requests in one transaction
  // (changeRoster), then routes what the change calls for.

  async function outbound(stanza: Element, user: JID, contact: JID): Promise<void> {
    const userBare = user.toBare();
    const owner = userBare.bare;
    if (contact.bare === owner) return; // subscribing to oneself means nothing
    switch (stanza.attrs.type) {
      case 'subscribe':
        // §3.1.2: ask='subscribe' until answered; already subscribed → the contact's server answers.
        await changeRoster(ctx, async ({ stores, save }) => {
          const item = await itemOf(stores, owner, contact.bare);
          if (!hasTo(item.subscription) && !item.ask) await save(owner, { ...item, ask: true });
        });
        await forward('subscribe', userBare, contact, stanza);
        return;
      case 'subscribed': {
        // §3.1.5 approval of a pending request, or §3.4 pre-approval when there is none.
        const approved = await changeRoster(ctx, async ({ stores, save }) => {
          const item = await itemOf(stores, owner, contact.bare);
          const pending = await stores.subscriptionRequests.get(owner, contact.bare);
          if (hasFrom(item.subscription)) return false;
          if (!pending) {
            if (!item.approved) await save(owner, { ...item, approved: true });
            return false;
          }
          await stores.subscriptionRequests.remove(owner, contact.bare);
          await save(owner, { ...item, subscription: item.subscription === 'to' ? 'both' : 'from', approved: false });
          return true;
        });
        if (!approved) return;
        await forward('subscribed', userBare, contact);
        await sendCurrentPresence(ctx, userBare, contact);
        return;
      }
      case 'unsubscribe':
        // §3.3.2: the user stops receiving the contact's presence.
        await changeRoster(ctx, async ({ stores, save }) => {
          const item = await itemOf(stores, owner, contact.bare);
          if (hasTo(item.subscription) || item.ask) {
            await save(owner, { ...item, subscription: item.subscription === 'both' ? 'from' : 'none', ask: false });
          }
        });
        await forward('unsubscribe', userBare, contact);
        return;
      case 'unsubscribed': {
        // §3.2.2: cancel the contact's subscription, deny a pending request, or revoke a pre-approval.
        const { subscribed, hadPending } = await changeRoster(ctx, async ({ stores, save }) => {
          const item = await itemOf(stores, owner, contact.bare);
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
    const account = ctx.sessions.hasSessions(owner.bare) || (await ctx.storage.accounts.get(owner.bare)) !== null;
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
      // §3.1.3: keep the request until the user answers.
      await stores.subscriptionRequests.put(owner.bare, from.bare, serialize(stanza), Date.now());
      return 'pending';
    });
    if (outcome === 'pending') {
      // … and deliver it now to available resources.
      ctx.router.toAvailableResources(owner.bare, stanza);
      return;
    }
    await forward('subscribed', owner, from);
    if (outcome === 'pre-approved') await sendCurrentPresence(ctx, owner, from);
  }

  return { outbound, inbound };
}
