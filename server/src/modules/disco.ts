// XEP-0030 service discovery: what the server and an account are and what they support,
// taken from what the loaded modules registered (never a hand-kept list).
import { NS, StanzaError, xml } from '@parley/shared';
import type { ParleyModule } from './registry.ts';

export const discoModule: ParleyModule = {
  name: 'disco',
  implements: [{ spec: 'XEP-0030', version: '2.5rc3', status: 'complete' }],
  register(ctx) {
    const features = ctx.modules.discoFeatures;
    features.add(NS.discoInfo);
    features.add(NS.discoItems);
    const info = { name: 'query', xmlns: NS.discoInfo };
    const items = { name: 'query', xmlns: NS.discoItems };
    ctx.modules.iq('host', 'get', info, (_iq, _from, _to, _origin, query) => {
      if (query.attrs.node) throw new StanzaError('item-not-found');
      return xml('query', { xmlns: NS.discoInfo },
        xml('identity', { category: 'server', type: 'im', name: 'Parley' }),
        ...[...features].sort().map((feature) => xml('feature', { var: feature })));
    });
    ctx.modules.iq('host', 'get', items, (_iq, _from, _to, _origin, query) => {
      if (query.attrs.node) throw new StanzaError('item-not-found');
      return xml('query', { xmlns: NS.discoItems });
    });
    // XEP-0030 §3.1 / RFC 6121 §8.5.1: the server answers for an account's bare JID.
    ctx.modules.accountFeatures.add(NS.discoInfo);
    ctx.modules.iq('account', 'get', info, async (_iq, from, to, _origin, query) => {
      if (query.attrs.node) throw new StanzaError('item-not-found');
      if (from.bare !== to.bare) {
        // only someone with a presence subscription learns that the account exists (XEP-0030 §8)
        const item = await ctx.storage.roster.getItem(to.bare, from.bare);
        if (!item || (item.subscription !== 'from' && item.subscription !== 'both')) throw new StanzaError('service-unavailable');
      }
      return xml('query', { xmlns: NS.discoInfo },
        xml('identity', { category: 'account', type: 'registered' }),
        ...[...ctx.modules.accountFeatures].sort().map((feature) => xml('feature', { var: feature })));
    });
    ctx.modules.iq('account', 'get', items, (_iq, from, to, _origin, query) => {
      if (from.bare !== to.bare) throw new StanzaError('service-unavailable');
      return xml('query', { xmlns: NS.discoItems, node: query.attrs.node });
    });
  },
};
