// XEP-0060 on the wire: an iq's <pubsub/> (§6–§7, entity use cases) or <pubsub xmlns='#owner'/>
// (§8, owner use cases) read into calls on a PubSubService, and the results written back. Shared
// by every host of a service (PEP accounts, a pubsub component).
import { NS, StanzaError, tryParseJid, xml, type Element, type JID } from '@parley/shared';
import { badRequest, PubSubError, unsupported } from './errors.ts';
import { configForm, formValues } from './node-config.ts';
import { itemsElement, viewOf, type PubSubService } from './service.ts';
import type { Affiliation, StoredItem, StoredNode } from './store.ts';

export interface PubSubAnswer {
  /** The iq result's payload (null: an empty result). */
  readonly result: Element | null;
  /** A new subscriber's last item (§6.1.7), sent after the result. */
  readonly lastItem?: { readonly node: StoredNode; readonly item: StoredItem; readonly to: JID };
}

const AFFILIATIONS = new Set<Affiliation | 'none'>(['owner', 'publisher', 'publish-only', 'member', 'outcast', 'none']);

function elementsOf(parent: Element): Element[] {
  return parent.children.filter((node): node is Element => typeof node !== 'string');
}

/** The one action element of a <pubsub/> (publish may come with publish-options, create and subscribe with their forms). */
function action(payload: Element, companions: readonly string[]): Element {
  const children = elementsOf(payload);
  const main = children.filter((child) => !companions.includes(child.name));
  if (main.length !== 1 || children.length > 2) throw new StanzaError('bad-request', 'a pubsub request carries one action');
  return main[0]!;
}

/** The data form of a companion element (<publish-options/>, <configure/>), read into values. */
function companionForm(payload: Element, name: string, formType: string): Map<string, string[]> | null {
  const companion = payload.getChild(name);
  if (!companion) return null;
  const form = companion.getChild('x', NS.dataForms);
  return form ? formValues(form, formType) : null;
}

function subscriberJid(element: Element): JID {
  const jid = tryParseJid(element.attrs.jid ?? '');
  if (!jid) throw badRequest('jid-required', 'a subscriber JID is required');
  return jid;
}

/** §6 and §7: what any entity may ask of a service. */
export async function entityRequest(service: PubSubService, requester: JID, type: 'get' | 'set', payload: Element): Promise<PubSubAnswer> {
  const request = action(payload, type === 'set' ? ['publish-options', 'configure', 'options'] : []);
  const node = request.attrs.node ?? '';
  const pubsub = (...children: Element[]) => xml('pubsub', { xmlns: NS.pubsub }, ...children);
  switch (`${type} ${request.name}`) {
    case 'set publish': {
      const items = request.getChildren('item');
      if (items.length > 1) throw badRequest('invalid-payload', 'publish one item at a time');
      const options = companionForm(payload, 'publish-options', NS.pubsubPublishOptions);
      const id = await service.publish(requester, node, items[0] ?? null, options);
      return { result: pubsub(xml('publish', { node }, xml('item', { id }))) };
    }
    case 'set retract': {
      const ids = request.getChildren('item').map((item) => item.attrs.id ?? '');
      if (ids.length !== 1 || !ids[0]) throw badRequest('item-required', 'name the one item to retract');
      await service.retract(requester, node, ids[0], request.attrs.notify === 'true' || request.attrs.notify === '1');
      return { result: null };
    }
    case 'get items': {
      const ids = request.getChildren('item').map((item) => item.attrs.id).filter((id): id is string => !!id);
      let max: number | undefined;
      if (request.attrs.max_items !== undefined) {
        if (!/^\d+$/.test(request.attrs.max_items)) throw new StanzaError('bad-request', 'max_items is a number');
        max = Number(request.attrs.max_items);
      }
      const { items } = await service.items(requester, node, ids.length ? { ids } : { max });
      return { result: pubsub(itemsElement(node, items.map(viewOf))) };
    }
    case 'set create': {
      const values = companionForm(payload, 'configure', NS.pubsubNodeConfig);
      const created = await service.create(requester, node);
      if (values && values.size) await service.configure(requester, created.node, values);
      return { result: null };
    }
    case 'set subscribe': {
      if (payload.getChild('options')) throw unsupported('subscription-options');
      const { node: subscribed, subid, last } = await service.subscribe(requester, node, subscriberJid(request));
      const jid = subscriberJid(request);
      return {
        result: pubsub(xml('subscription', { node, jid: jid.full, subid, subscription: 'subscribed' })),
        lastItem: last ? { node: subscribed, item: last, to: jid } : undefined,
      };
    }
    case 'set unsubscribe':
      await service.unsubscribe(requester, node, subscriberJid(request));
      return { result: null };
    case 'get subscriptions': {
      const nodes = (await service.nodes()).filter((entry) => !node || entry.node === node);
      const mine = nodes.flatMap((entry) => Object.entries(entry.subscriptions)
        .filter(([jid]) => tryParseJid(jid)?.bare === requester.bare)
        .map(([jid, subid]) => xml('subscription', { node: entry.node, jid, subid, subscription: 'subscribed' })));
      return { result: pubsub(xml('subscriptions', { node: node || undefined }, ...mine)) };
    }
    case 'get affiliations': {
      const nodes = (await service.nodes()).filter((entry) => !node || entry.node === node);
      const owner = service.jid === requester.bare;
      const mine = nodes.flatMap((entry) => {
        const affiliation = owner ? 'owner' : entry.affiliations[requester.bare];
        return affiliation ? [xml('affiliation', { node: entry.node, affiliation })] : [];
      });
      return { result: pubsub(xml('affiliations', { node: node || undefined }, ...mine)) };
    }
    case 'get default':
      return { result: pubsub(xml('default', {}, configForm(service.defaultConfig(), 'form'))) };
    case 'get options':
    case 'set options':
      throw unsupported('subscription-options');
    default:
      throw new PubSubError('feature-not-implemented', undefined, `<${request.name.slice(0, 64)}/> is not a pubsub request`);
  }
}

/** §8: what owners ask of a service. */
export async function ownerRequest(service: PubSubService, requester: JID, type: 'get' | 'set', payload: Element): Promise<PubSubAnswer> {
  const request = action(payload, []);
  const node = request.attrs.node ?? '';
  const owner = (...children: Element[]) => xml('pubsub', { xmlns: NS.pubsubOwner }, ...children);
  switch (`${type} ${request.name}`) {
    case 'get configure': {
      const stored = await service.configuration(requester, node);
      return { result: owner(xml('configure', { node }, configForm(stored.config))) };
    }
    case 'set configure': {
      const form = request.getChild('x', NS.dataForms);
      if (!form) throw new StanzaError('bad-request', 'the configuration form is missing');
      // §8.2.6: a 'cancel' form changes nothing
      if (form.attrs.type === 'cancel') return { result: null };
      await service.configure(requester, node, formValues(form, NS.pubsubNodeConfig));
      return { result: null };
    }
    case 'get default':
      return { result: owner(xml('default', {}, configForm(service.defaultConfig()))) };
    case 'set delete':
      await service.delete(requester, node);
      return { result: null };
    case 'set purge':
      await service.purge(requester, node);
      return { result: null };
    case 'get affiliations': {
      const stored = await service.configuration(requester, node);
      return {
        result: owner(xml('affiliations', { node },
          xml('affiliation', { jid: service.jid, affiliation: 'owner' }),
          ...Object.entries(stored.affiliations).map(([jid, affiliation]) => xml('affiliation', { jid, affiliation })))),
      };
    }
    case 'set affiliations': {
      const changes = request.getChildren('affiliation').map((element) => {
        const jid = tryParseJid(element.attrs.jid ?? '');
        const affiliation = element.attrs.affiliation as Affiliation | 'none';
        if (!jid || !AFFILIATIONS.has(affiliation)) throw new StanzaError('bad-request', 'each affiliation needs a JID and a known affiliation');
        if (jid.bare === service.jid) throw new StanzaError('not-acceptable', "the owner's own affiliation cannot change");
        return { jid, affiliation };
      });
      await service.setAffiliations(requester, node, changes);
      return { result: null };
    }
    case 'get subscriptions': {
      const stored = await service.configuration(requester, node);
      return {
        result: owner(xml('subscriptions', { node },
          ...Object.entries(stored.subscriptions).map(([jid, subid]) => xml('subscription', { jid, subid, subscription: 'subscribed' })))),
      };
    }
    default:
      throw new PubSubError('feature-not-implemented', undefined, `<${request.name.slice(0, 64)}/> is not a pubsub owner request`);
  }
}
