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
    ctx.iq('host', 'get', info, ({ payload, from, to }) => {
      if (payload.attrs.node) {
        const node = features.serverNode(payload.attrs.node)?.info?.(from, to);
        if (!node) throw new StanzaError('item-not-found');
        return xml('query', { xmlns: NS.discoInfo, node: payload.attrs.node },
          ...node.identities.map((identity) => xml('identity', { ...identity })),
          ...node.features.map((feature) => xml('feature', { var: feature })),
          ...(node.extensions ?? []));
      }
      return xml('query', { xmlns: NS.discoInfo },
        ...features.identities().map((identity) => xml('identity', { ...identity })),
        ...features.serverFeatures().map((feature) => xml('feature', { var: feature })));
    });
    ctx.iq('host', 'get', items, ({ payload, from, to }) => {
      const node = payload.attrs.node;
      const found = node ? features.serverNode(node)?.items?.(from, to) : features.serverItems(from, to);
      if (!found) throw new StanzaError('item-not-found');
      return xml('query', { xmlns: NS.discoItems, node },
        ...found.map((item) => xml('item', { jid: item.jid, node: item.node, name: item.name })));
    });
    // XEP-0030 §3.1 / RFC 6121 §8.5.1: the server answers for an account's bare JID.
    features.account(NS.discoInfo);
    ctx.iq('account', 'get', info, async ({ payload, from, to }) => {
      if (payload.attrs.node) throw new StanzaError('item-not-found');
      if (from.bare !== to.bare) {
        // only someone with a presence subscription learns that the account exists (XEP-0030 §8)
        const item = await ctx.services.storage.roster.getItem(to.bare, from.bare);
        if (!item || (item.subscription !== 'from' && item.subscription !== 'both')) throw new StanzaError('service-unavailable');
      }
      return xml('query', { xmlns: NS.discoInfo },
        xml('identity', { category: 'account', type: 'registered' }),
        ...features.accountFeatures().map((feature) => xml('feature', { var: feature })));
    });
    ctx.iq('account', 'get', items, ({ payload, from, to }) => {
      if (from.bare !== to.bare) throw new StanzaError('service-unavailable');
      return xml('query', { xmlns: NS.discoItems, node: payload.attrs.node });
    });
  },
});
