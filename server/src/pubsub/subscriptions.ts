// XEP-0060 subscriptions on a PubSubService: subscribe (§6.1, pending where the node's owners
// approve: 'authorize' access, §6.1.2 and §8.6), unsubscribe (§6.2), subscription options (§6.3,
// FORM_TYPE pubsub#subscribe_options: pubsub#deliver), and the owner's side: approving or denying a
// pending request (§8.6) and setting subscriptions (§8.8.2). Every change is one atomic store change
// (PubSubStore.modifyNode), so requests racing on two cluster nodes both count.
import { randomBytes } from 'node:crypto';
import { NS, xml, type Element, type JID } from '@parley/shared';
import { badRequest, forbidden, nodeNotFound, PubSubError, unsupported } from './errors.ts';
import type { PubSubService } from './service.ts';
import type { NodeChange, StoredItem, StoredNode, SubscriptionOptions } from './store.ts';

export type SubscriptionState = 'subscribed' | 'pending';

export interface Subscribed {
  readonly node: StoredNode;
  readonly subid: string;
  readonly state: SubscriptionState;
  /** §6.1.7: the last item, for a new (not pending) subscriber where the node sends it. */
  readonly last: StoredItem | undefined;
  /** The subscription's options, when the request set some (§6.3.7: echoed in the result). */
  readonly options: SubscriptionOptions | undefined;
}

const DEFAULT_OPTIONS: SubscriptionOptions = { deliver: true };

const newSubid = () => randomBytes(9).toString('base64url');

/** §6.1: `subscriber` (the requester's own bare or full JID) subscribes, with options (§6.3.7) if given. */
export async function subscribe(service: PubSubService, requester: JID, name: string, subscriber: JID,
  values: Map<string, string[]> | null): Promise<Subscribed> {
  const node = await service.node(name);
  // §6.1.3.1: one may subscribe only oneself
  if (subscriber.bare !== requester.bare) throw badRequest('invalid-jid', 'the subscriber JID is not yours');
  const options = values ? readOptions(service, values) : undefined;
  const key = subscriber.full;
  const affiliation = service.affiliationOf(requester, node);
  if (affiliation === 'outcast') throw forbidden('you are banned from this node');
  // §6.1.3.7
  if (node.pending[key] !== undefined) throw new PubSubError('not-authorized', 'pending-subscription', 'your subscription awaits the owner\'s approval');
  // §6.1.2: on an 'authorize' node the owners decide, unless one is affiliated already
  const needsApproval = node.config.accessModel === 'authorize' && affiliation === 'none' && node.subscriptions[key] === undefined;
  if (!needsApproval) await service.requireRead(requester, node);
  const fresh = newSubid();
  const updated = await service.store.modifyNode(service.jid, name, (current) => {
    const existing = current.subscriptions[key] ?? current.pending[key];
    const change: NodeChange = {};
    if (existing === undefined) {
      if (needsApproval) change.pending = { ...current.pending, [key]: fresh };
      else change.subscriptions = { ...current.subscriptions, [key]: fresh };
    }
    if (options) change.subscriptionOptions = { ...current.subscriptionOptions, [key]: options };
    return Object.keys(change).length > 0 ? change : null;
  });
  if (!updated) throw nodeNotFound();
  const state: SubscriptionState = updated.subscriptions[key] !== undefined ? 'subscribed' : 'pending';
  const subid = updated.subscriptions[key] ?? updated.pending[key]!;
  if (state === 'pending') await service.broadcaster.askApproval?.(updated, key, subid);
  const last = state === 'subscribed' && node.config.sendLastPublishedItem !== 'never'
    ? (await service.store.getItems(service.jid, name, { max: 1 }))[0] : undefined;
  return { node: updated, subid, state, last, options };
}

/** §6.2: the subscriber itself (or an owner of the node) ends a subscription, pending or not. */
export async function unsubscribe(service: PubSubService, requester: JID, name: string, subscriber: JID, subid: string | undefined): Promise<void> {
  const node = await service.node(name);
  // §6.2.3.3
  if (subscriber.bare !== requester.bare && service.affiliationOf(requester, node) !== 'owner') {
    throw new PubSubError('forbidden', undefined, 'you may not end that JID\'s subscription');
  }
  const key = subscriber.full;
  const current = node.subscriptions[key] ?? node.pending[key];
  // §6.2.3.2
  if (current === undefined) throw new PubSubError('unexpected-request', 'not-subscribed', 'that JID is not subscribed');
  // §6.2.3.5
  if (subid !== undefined && subid !== current) throw new PubSubError('not-acceptable', 'invalid-subid', 'no such subscription id');
  await service.store.modifyNode(service.jid, name, (latest) => withoutSubscription(latest, key));
}

/** §6.3.2: the subscription's options as a form ('result' after a subscribe with options). */
export async function subscriptionOptions(service: PubSubService, requester: JID, name: string, subscriber: JID, subid: string | undefined): Promise<Element> {
  const { node, key } = await ownSubscription(service, requester, name, subscriber, subid);
  return optionsForm(node.subscriptionOptions[key] ?? DEFAULT_OPTIONS, 'form');
}

/** §6.3.5: the subscriber submits its options. */
export async function setSubscriptionOptions(service: PubSubService, requester: JID, name: string, subscriber: JID, subid: string | undefined,
  values: Map<string, string[]>): Promise<void> {
  const { key } = await ownSubscription(service, requester, name, subscriber, subid);
  const options = readOptions(service, values);
  await service.store.modifyNode(service.jid, name, (current) =>
    current.subscriptions[key] !== undefined || current.pending[key] !== undefined
      ? { subscriptionOptions: { ...current.subscriptionOptions, [key]: options } } : null);
}

async function ownSubscription(service: PubSubService, requester: JID, name: string, subscriber: JID, subid: string | undefined) {
  if (!service.policy.subscriptionOptions) throw unsupported('subscription-options');
  const node = await service.node(name);
  // §6.3.4.1
  if (subscriber.bare !== requester.bare && service.affiliationOf(requester, node) !== 'owner') {
    throw new PubSubError('forbidden', undefined, 'these are not your subscription\'s options');
  }
  const key = subscriber.full;
  const current = node.subscriptions[key] ?? node.pending[key];
  // §6.3.4.2, §6.3.4.5
  if (current === undefined) throw new PubSubError('unexpected-request', 'not-subscribed', 'that JID is not subscribed');
  if (subid !== undefined && subid !== current) throw new PubSubError('not-acceptable', 'invalid-subid', 'no such subscription id');
  return { node, key };
}

/** The subscription options form (§6.3.2): the one option kept here, pubsub#deliver. */
export function optionsForm(options: SubscriptionOptions, type: 'form' | 'result'): Element {
  return xml('x', { xmlns: NS.dataForms, type },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS.pubsubSubscribeOptions)),
    xml('field', { var: 'pubsub#deliver', type: 'boolean', label: 'Deliver event notifications' }, xml('value', {}, options.deliver ? '1' : '0')));
}

/** §6.3.5: a submitted options form; anything else than pubsub#deliver is bad-request, invalid-options. */
function readOptions(service: PubSubService, values: Map<string, string[]>): SubscriptionOptions {
  if (!service.policy.subscriptionOptions) throw unsupported('subscription-options');
  let deliver = true;
  for (const [name, list] of values) {
    const value = (list[0] ?? '').trim();
    if (name !== 'pubsub#deliver' || !['0', '1', 'true', 'false'].includes(value)) {
      throw badRequest('invalid-options', `the subscription options here are pubsub#deliver (a boolean), not ${name.slice(0, 100)}`);
    }
    deliver = value === '1' || value === 'true';
  }
  return { deliver };
}

/** The node without `key`'s subscription (active or pending) and its options; null when it has none. */
function withoutSubscription(node: StoredNode, key: string): NodeChange | null {
  if (node.subscriptions[key] === undefined && node.pending[key] === undefined) return null;
  const without = <V>(record: Readonly<Record<string, V>>) => Object.fromEntries(Object.entries(record).filter(([jid]) => jid !== key));
  return { subscriptions: without(node.subscriptions), pending: without(node.pending), subscriptionOptions: without(node.subscriptionOptions) };
}

/** §8.6: an owner allows or denies a pending subscription; the subscriber is told (§8.6 notifications). */
export async function decidePending(service: PubSubService, requester: JID, name: string, subscriber: string, allow: boolean): Promise<void> {
  const node = await service.node(name);
  service.requireOwner(requester, node, 'approve subscriptions');
  let subid: string | undefined;
  const updated = await service.store.modifyNode(service.jid, name, (current) => {
    subid = current.pending[subscriber];
    if (subid === undefined) return null;
    const pending = Object.fromEntries(Object.entries(current.pending).filter(([jid]) => jid !== subscriber));
    if (allow) return { pending, subscriptions: { ...current.subscriptions, [subscriber]: subid } };
    return withoutSubscription(current, subscriber);
  });
  if (!updated) throw nodeNotFound();
  if (subid === undefined) throw new PubSubError('item-not-found', undefined, 'no such pending subscription');
  await service.broadcaster.subscriptionChanged?.(updated, subscriber, allow ? 'subscribed' : 'none', allow ? subid : undefined);
}

/** §8.8.2: an owner sets subscriptions: 'subscribed' (approving a pending one, or new) or 'none'. */
export async function setSubscriptions(service: PubSubService, requester: JID, name: string,
  changes: ReadonlyArray<{ jid: JID; state: 'subscribed' | 'none' }>): Promise<void> {
  const node = await service.node(name);
  service.requireOwner(requester, node, 'manage subscriptions');
  const fresh = changes.map(() => newSubid());
  const before = node;
  const updated = await service.store.modifyNode(service.jid, name, (current) => {
    const subscriptions = { ...current.subscriptions };
    const pending = { ...current.pending };
    const options = { ...current.subscriptionOptions };
    changes.forEach(({ jid, state }, i) => {
      const key = jid.full;
      if (state === 'subscribed') subscriptions[key] = subscriptions[key] ?? pending[key] ?? fresh[i]!;
      else {
        delete subscriptions[key];
        delete options[key];
      }
      delete pending[key];
    });
    return { subscriptions, pending, subscriptionOptions: options };
  });
  if (!updated) throw nodeNotFound();
  // §8.8.4: each subscriber whose state changed hears of it
  for (const { jid, state } of changes) {
    const key = jid.full;
    const was = before.subscriptions[key] !== undefined;
    if (state === 'subscribed' && !was) await service.broadcaster.subscriptionChanged?.(updated, key, 'subscribed', updated.subscriptions[key]);
    if (state === 'none' && (was || before.pending[key] !== undefined)) await service.broadcaster.subscriptionChanged?.(updated, key, 'none');
  }
}
