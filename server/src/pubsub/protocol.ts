// XEP-0060 on the wire: an iq's <pubsub/> (§6–§7, entity use cases) or <pubsub xmlns='#owner'/>
// (§8, owner use cases) read into calls on a PubSubService, and the results written back. Shared
// by every host of a service (PEP accounts, the pubsub.<domain> components).
import { NS, StanzaError, tryParseJid, xml, type Element, type JID } from '@parley/shared';
import { badRequest, PubSubError, unsupported } from './errors.ts';
import { configForm, formValues } from './node-config.ts';
import { itemsElement, viewOf, type PubSubService } from './service.ts';
import type { Affiliation, StoredItem, StoredNode } from './store.ts';
import {
  optionsForm, setSubscriptionOptions, setSubscriptions, subscribe, subscriptionOptions, unsubscribe,
} from './subscriptions.ts';

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
  // a companion alone is the action itself (<options/> to get or set subscription options: §6.3)
  const main = children.length === 1 ? children : children.filter((child) => !companions.includes(child.name));
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
  const pubsub = (...children: Array<Element | null>) => xml('pubsub', { xmlns: NS.pubsub }, ...children);
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
      // §8.1.3: the configuration comes with the create (not-acceptable when the service cannot take it)
      const values = companionForm(payload, 'configure', NS.pubsubNodeConfig);
      const created = await service.create(requester, node, values && values.size ? values : undefined);
      // §8.1.2: the name is given back (an instant node's was made here)
      return { result: pubsub(xml('create', { node: created.node })) };
    }
    case 'set subscribe': {
      const jid = subscriberJid(request);
      const values = companionForm(payload, 'options', NS.pubsubSubscribeOptions);
      const done = await subscribe(service, requester, node, jid, values);
      return {
        result: pubsub(xml('subscription', { node, jid: jid.full, subid: done.subid, subscription: done.state }),
          done.options ? xml('options', {}, optionsForm(done.options, 'result')) : null),
        lastItem: done.last ? { node: done.node, item: done.last, to: jid } : undefined,
      };
    }
    case 'set unsubscribe':
      await unsubscribe(service, requester, node, subscriberJid(request), request.attrs.subid);
      return { result: null };
    case 'get options': {
      const jid = subscriberJid(request);
      const form = await subscriptionOptions(service, requester, node, jid, request.attrs.subid);
      return { result: pubsub(xml('options', { node, jid: jid.full, subid: request.attrs.subid }, form)) };
    }
    case 'set options': {
      const form = request.getChild('x', NS.dataForms);
      if (!form) throw badRequest('invalid-options', 'the options form is missing');
      await setSubscriptionOptions(service, requester, node, subscriberJid(request), request.attrs.subid, formValues(form, NS.pubsubSubscribeOptions));
      return { result: null };
    }
    case 'get subscriptions': {
      // §5.6: the requester's subscriptions at the service (or at one node)
      const nodes = (await service.nodes()).filter((entry) => !node || entry.node === node);
      const mine = nodes.flatMap((entry) => subscriptionsOf(entry, (jid) => tryParseJid(jid)?.bare === requester.bare)
        .map((attrs) => xml('subscription', { node: entry.node, ...attrs })));
      return { result: pubsub(xml('subscriptions', { node: node || undefined }, ...mine)) };
    }
    case 'get affiliations': {
      // §5.7: the requester's affiliations
      const nodes = (await service.nodes()).filter((entry) => !node || entry.node === node);
      const mine = nodes.flatMap((entry) => {
        const affiliation = service.affiliationOf(requester, entry);
        return affiliation !== 'none' ? [xml('affiliation', { node: entry.node, affiliation })] : [];
      });
      return { result: pubsub(xml('affiliations', { node: node || undefined }, ...mine)) };
    }
    case 'get default':
      // §6.4: the default subscription options
      if (!service.policy.subscriptionOptions) throw unsupported('retrieve-default-sub');
      return { result: pubsub(xml('default', { node: node || undefined }, optionsForm({ deliver: true }, 'form'))) };
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
      return { result: owner(xml('configure', { node }, configForm(stored.config, 'form', service.policy.configChoices))) };
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
      return { result: owner(xml('default', {}, configForm(service.defaultConfig(), 'form', service.policy.configChoices))) };
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
          service.policy.owner ? xml('affiliation', { jid: service.policy.owner, affiliation: 'owner' }) : null,
          ...Object.entries(stored.affiliations).map(([jid, affiliation]) => xml('affiliation', { jid, affiliation })))),
      };
    }
    case 'set affiliations': {
      const changes = request.getChildren('affiliation').map((element) => {
        const jid = tryParseJid(element.attrs.jid ?? '');
        const affiliation = element.attrs.affiliation as Affiliation | 'none';
        if (!jid || !AFFILIATIONS.has(affiliation)) throw new StanzaError('bad-request', 'each affiliation needs a JID and a known affiliation');
        if (jid.bare === service.policy.owner) throw new StanzaError('not-acceptable', "the owner's own affiliation cannot change");
        return { jid, affiliation };
      });
      await service.setAffiliations(requester, node, changes);
      return { result: null };
    }
    case 'get subscriptions': {
      const stored = await service.configuration(requester, node);
      return {
        result: owner(xml('subscriptions', { node }, ...subscriptionsOf(stored, () => true).map((attrs) => xml('subscription', attrs)))),
      };
    }
    case 'set subscriptions': {
      // §8.8.2: 'subscribed' approves or adds, 'none' ends
      const changes = request.getChildren('subscription').map((element) => {
        const jid = tryParseJid(element.attrs.jid ?? '');
        const state = element.attrs.subscription;
        if (!jid || (state !== 'subscribed' && state !== 'none')) {
          throw new StanzaError('bad-request', "each subscription needs a JID and a state: 'subscribed' or 'none'");
        }
        return { jid, state: state as 'subscribed' | 'none' };
      });
      await setSubscriptions(service, requester, node, changes);
      return { result: null };
    }
    default:
      throw new PubSubError('feature-not-implemented', undefined, `<${request.name.slice(0, 64)}/> is not a pubsub owner request`);
  }
}

/** A node's subscriptions (pending ones too) that `include` takes, as <subscription/> attributes. */
function subscriptionsOf(node: StoredNode, include: (jid: string) => boolean): Array<Record<string, string>> {
  return [
    ...Object.entries(node.subscriptions).filter(([jid]) => include(jid)).map(([jid, subid]) => ({ jid, subid, subscription: 'subscribed' })),
    ...Object.entries(node.pending).filter(([jid]) => include(jid)).map(([jid, subid]) => ({ jid, subid, subscription: 'pending' })),
  ];
}
