// RFC 6121 §3–§4: presence subscriptions, broadcast, probes, directed presence, unavailable when a
// session ends. Fires presence/initial and presence/non-negative for the modules that act then
// (offline delivery: XEP-0160), and answers presence/rebroadcast and presence/unavailable-to.
import { NS, xml, type Element, type JID } from '@parley/shared';
import { defineModule } from '../../core/module-api.ts';
import { clientOf, type Origin } from '../../core/origin.ts';
import { answerProbe, broadcast, goUnavailable, lostUnavailable, rebroadcast, sendUnavailable, trackDirected } from './broadcast.ts';
import { presenceOptions } from './options.ts';
import { subscriptionHandlers } from './subscriptions.ts';

const SUBSCRIPTION_TYPES = new Set(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);

export const presenceModule = defineModule({
  name: 'presence',
  implements: [
    { spec: 'RFC 6121', status: 'complete', note: 'presence subscriptions §3, exchanging presence §4' },
    { spec: 'RFC 6121 §3.4', status: 'complete', note: 'subscription pre-approval' },
  ],
  options: presenceOptions,
  configuredOptions: (config) => ({
    maxRosterItems: config.limits.rosterItems, subscriptionRequestsPerMinute: config.limits.subscriptionRequestsPerMinute,
  }),
  register(ctx) {
    ctx.streamFeature(() => xml('sub', { xmlns: NS.preApproval }));
    const subscriptions = subscriptionHandlers(ctx);
    ctx.hook('presence/outbound', ({ stanza, from, to, origin }) => {
      const type = stanza.attrs.type;
      if (type !== undefined && SUBSCRIPTION_TYPES.has(type)) return subscriptions.outbound(stanza, from, to.toBare(), origin);
      const session = clientOf(origin)!; // outbound presence comes from a local client (router.fromClient)
      if (stanza.attrs.to === undefined) return broadcast(ctx, session, stanza);
      if (type === 'probe') return true; // clients do not probe (§4.3); the server does it for them
      trackDirected(session, stanza, to);
      return false; // directed presence is routed as it is
    });
    const inbound = (stanza: Element, from: JID, to: JID, _origin: Origin) => {
      const type = stanza.attrs.type;
      if (type !== undefined && SUBSCRIPTION_TYPES.has(type)) return subscriptions.inbound(stanza, from.toBare(), to.toBare());
      if (type === 'probe') return answerProbe(ctx, from, to.toBare());
      return false;
    };
    ctx.hook('presence/bare', ({ stanza, from, to, origin }) => inbound(stanza, from, to, origin));
    ctx.hook('presence/full', ({ stanza, from, to, origin }) => {
      const type = stanza.attrs.type;
      // subscription stanzas and probes are about the account, whatever resource they name
      if (type !== undefined && (SUBSCRIPTION_TYPES.has(type) || type === 'probe')) return inbound(stanza, from, to, origin);
      return false;
    });
    ctx.on('resource-unbind', ({ session }) => void goUnavailable(ctx, session, null));
    // a session lost with its node (cluster/): one node sends the unavailable presence it never sent
    ctx.on('session-lost', ({ entry, announce }) => announce ? lostUnavailable(ctx, entry) : undefined);
    // §3.1.3: requests that arrived while the user was offline are shown at the next login.
    ctx.on('presence/initial', async ({ session }) => {
      for (const request of await ctx.services.storage.subscriptionRequests.list(session.jid.bare)) session.deliverSerialized(request.stanza);
    });
    ctx.on('presence/rebroadcast', async ({ jid }) => {
      for (const entry of [...ctx.sessions.resources(jid)]) {
        const session = ctx.localSession(entry.sessionId);
        if (!session) continue;
        const done = rebroadcast(ctx, session);
        if (done !== true) await done;
      }
    });
    ctx.on('presence/unavailable-to', ({ owner, contact }) => sendUnavailable(ctx, owner, contact));
  },
});
