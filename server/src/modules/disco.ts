// XEP-0030 service discovery: what the server and an account are and what they support, taken
// from what the loaded modules registered (never a hand-kept list); items and nodes from the
// modules' providers (core/disco.ts).
import { JID, NS, StanzaError, xml, type Element } from '@parley/shared';
import { defineModule } from '../core/module-api.ts';
import type { DiscoInfo, DiscoItem } from '../core/disco.ts';

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
    // providers are asked about the canonical domain: an alias lists what its domain lists
    const domainOf = (to: JID) => new JID('', ctx.hosts.canonical(to.domain));
    ctx.iq('host', 'get', info, async ({ payload, from, to }) => {
      const node = payload.attrs.node;
      if (node) {
        // §3.2: a node of the server's (XEP-0050 §2.2 the commands node)
        const found = await features.nodeInfo('domain', { requester: from, entity: domainOf(to), node });
        if (!found) throw new StanzaError('item-not-found');
        return infoQuery(node, found);
      }
      return xml('query', { xmlns: NS.discoInfo },
        ...features.identities().map((identity) => xml('identity', { ...identity })),
        ...features.serverFeatures().map((feature) => xml('feature', { var: feature })));
    });
    ctx.iq('host', 'get', items, async ({ payload, from, to }) => {
      const node = payload.attrs.node;
      // §4: the services on the domain (XEP-0045 §6.1, XEP-0363 §3), or a node's items
      const found = await features.items('domain', { requester: from, entity: domainOf(to), node });
      if (!found) throw new StanzaError('item-not-found');
      return itemsQuery(node, found);
    });
    // XEP-0030 §3.1 / RFC 6121 §8.5.1: the server answers for an account's bare JID.
    features.account(NS.discoInfo);
    ctx.iq('account', 'get', info, async ({ payload, from, to }) => {
      const node = payload.attrs.node;
      if (node) {
        // XEP-0060 §5.3: a node of the account's (its provider applies its own access rules)
        const found = await features.nodeInfo('account', { requester: from, entity: to.toBare(), node });
        if (!found) throw new StanzaError('item-not-found');
        return infoQuery(node, found);
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
      if (from.bare !== to.bare && !features.hasProviders('account')) throw new StanzaError('service-unavailable');
      const node = payload.attrs.node;
      // XEP-0060 §5.2: what each provider shows this requester (a PEP service: the nodes it may read)
      const found = await features.items('account', { requester: from, entity: to.toBare(), node });
      if (!found) throw new StanzaError('item-not-found');
      return itemsQuery(node, found);
    });
  },
});

function infoQuery(node: string, info: DiscoInfo): Element {
  return xml('query', { xmlns: NS.discoInfo, node },
    ...info.identities.map((identity) => xml('identity', { ...identity })),
    ...info.features.map((feature) => xml('feature', { var: feature })),
    ...(info.extensions ?? []));
}

function itemsQuery(node: string | undefined, items: readonly DiscoItem[]): Element {
  return xml('query', { xmlns: NS.discoItems, node },
    ...items.map((item) => xml('item', { jid: item.jid, node: item.node, name: item.name })));
}
