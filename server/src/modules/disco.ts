// XEP-0030 service discovery: what the server and an account are and what they support,
// taken from what the loaded modules registered (never a hand-kept list).
import { NS, StanzaError, xml } from '@parley/shared';
import { defineModule } from '../core/module-api.ts';

export const discoModule = defineModule({
  name: 'disco',
  implements: [{ spec: 'XEP-0030', version: '2.5rc3', status: 'complete' }],
  register(ctx) {
    const { features } = ctx;
    features.identity({ category: 'server', type: 'im', name: 'Parley' });
    features.server(NS.discoInfo);
    features.server(NS.discoItems);
    const info = { name: 'query', xmlns: NS.discoInfo };
    const items = { name: 'query', xmlns: NS.discoItems };
    ctx.iq('host', 'get', info, ({ payload }) => {
      if (payload.attrs.node) throw new StanzaError('item-not-found');
      return xml('query', { xmlns: NS.discoInfo },
        ...features.identities().map((identity) => xml('identity', { ...identity })),
        ...features.serverFeatures().map((feature) => xml('feature', { var: feature })));
    });
    ctx.iq('host', 'get', items, ({ payload, to }) => {
      if (payload.attrs.node) throw new StanzaError('item-not-found');
      return xml('query', { xmlns: NS.discoItems }, ...features.serverItems(to.domain).map((item) => xml('item', { ...item })));
    });
    // XEP-0030 §3.1 / RFC 6121 §8.5.1: the server answers for an account's bare JID.
    features.account(NS.discoInfo);
    ctx.iq('account', 'get', info, async ({ payload, from, to }) => {
      const node = payload.attrs.node;
      if (node) {
        // XEP-0060 §5.3: a node of the account's (its provider applies its own access rules)
        for (const provider of features.accountNodeInfoProviders()) {
          const children = await provider({ owner: to.toBare(), requester: from, node });
          if (children) return xml('query', { xmlns: NS.discoInfo, node }, ...children);
        }
        throw new StanzaError('item-not-found');
      }
      if (from.bare !== to.bare) {
        // only someone with a presence subscription learns that the account exists (XEP-0030 §8)
        const item = await ctx.services.storage.roster.getItem(to.bare, from.bare);
        if (!item || (item.subscription !== 'from' && item.subscription !== 'both')) throw new StanzaError('service-unavailable');
      }
      return xml('query', { xmlns: NS.discoInfo },
        xml('identity', { category: 'account', type: 'registered' }),
        ...features.accountIdentities().map((identity) => xml('identity', { ...identity })),
        ...features.accountFeatures().map((feature) => xml('feature', { var: feature })));
    });
    ctx.iq('account', 'get', items, async ({ payload, from, to }) => {
      const providers = features.accountItemProviders();
      if (from.bare !== to.bare && providers.length === 0) throw new StanzaError('service-unavailable');
      const node = payload.attrs.node;
      const found = [];
      // XEP-0060 §5.2: what each provider shows this requester (a PEP service: the nodes it may read)
      for (const provider of providers) found.push(...await provider({ owner: to.toBare(), requester: from, node }));
      return xml('query', { xmlns: NS.discoItems, node }, ...found);
    });
  },
});
