// A generic XEP-0060 pubsub service (as Prosody's util/pubsub.lua serves mod_pep and mod_pubsub):
// nodes, items and who may do what, over a PubSubStore. What the service's host decides — who owns
// it, who passes an access model, who may create nodes, who is told about an event — comes in as a
// ServicePolicy and a Broadcaster, so an account's PEP service (modules/pep/) and the pubsub.<domain>
// components (components/pubsub/) share this code. Subscriptions (service-subscriptions.ts) are
// changed atomically in the store. One instance per request: it keeps nothing between requests.
import { randomBytes } from 'node:crypto';
import { NS, serialize, xml, type Element, type JID } from '@parley/shared';
import { parsePayload } from './payloads.ts';
import { accessDenied, badRequest, forbidden, nodeNotFound, itemNotFound, PubSubError, preconditionNotMet } from './errors.ts';
import { applyForm, InvalidConfig, itemLimit, unmetPrecondition, type ConfigChoices, type NodeConfig } from './node-config.ts';
import type { Affiliation, PubSubStore, StoredItem, StoredNode } from './store.ts';

/** A result now or later (what a policy hook returns). */
type Awaitable<T = void> = T | Promise<T>;

export interface PubSubLimits {
  /** Items a node keeps at most ('max' in a node's configuration means this many). */
  maxItems: number;
  /** Nodes a service holds at most. */
  maxNodes: number;
  /** Bytes of one item's payload, serialized. */
  maxPayloadBytes: number;
}

/** What the service's host decides (PEP: the account is the owner, roster relations decide access). */
export interface ServicePolicy {
  /** Whether `requester` owns the whole service (a PEP service: the account, any resource; a component: its admins). */
  isOwner(requester: JID): boolean;
  /** The owner every node has without an affiliation (PEP: the account's bare JID); null where owners are affiliations. */
  readonly owner: string | null;
  /** §8.1: whether `requester` may create nodes (PEP: the owner; a component: as configured). */
  mayCreateNodes(requester: JID): boolean;
  /** §8.1.2: a create without a node name gets a generated one (else not-acceptable, nodeid-required). */
  readonly instantNodes: boolean;
  /** §6.3: subscribers may set subscription options (else feature-not-implemented, subscription-options). */
  readonly subscriptionOptions: boolean;
  /** The values the service offers for list options (node-config.ts ConfigChoices). */
  readonly configChoices: ConfigChoices;
  /** Whether `requester` passes the node's access model (XEP-0060 §4.5). Owners always do. */
  passesAccessModel(requester: JID, node: StoredNode): Promise<boolean>;
  /** The configuration of a node created without one (XEP-0163 §4.2 for PEP). */
  defaultConfig(node: string): NodeConfig;
  /** A publish to a missing node creates it (XEP-0163 §3 auto-create; only for owners). */
  readonly autoCreate: boolean;
}

/** An event for the node's audience (§7.1.2.1 items, §7.2.2.1 retract, §8.4 purge, §8.4 delete, §8.2.4 config). */
export interface PubSubEvent {
  readonly kind: 'items' | 'retract' | 'purge' | 'delete' | 'config';
  readonly node: StoredNode;
  /** <event xmlns='…#event'/> */
  readonly event: Element;
  /** Who caused it (publishers are not excluded from their own notifications: XEP-0163 §4.3). */
  readonly actor: JID;
}

export interface Broadcaster {
  broadcast(event: PubSubEvent): Awaitable;
  /** §8.6: ask the node's owners to approve a pending subscription ('authorize' access). */
  askApproval?(node: StoredNode, subscriber: string, subid: string): Awaitable;
  /** §8.6, §8.8.4: tell a subscriber what became of its subscription. */
  subscriptionChanged?(node: StoredNode, subscriber: string, state: 'subscribed' | 'none', subid?: string): Awaitable;
}

const MAX_NODE_NAME = 1024;
const MAX_ITEM_ID = 1024;

export class PubSubService {
  constructor(
    /** The service's JID: an account's bare JID for PEP, pubsub.<domain> for a component. */
    readonly jid: string,
    readonly store: PubSubStore,
    readonly policy: ServicePolicy,
    readonly broadcaster: Broadcaster,
    readonly limits: PubSubLimits,
  ) {}

  async node(name: string): Promise<StoredNode> {
    checkNodeName(name);
    const node = await this.store.getNode(this.jid, name);
    if (!node) throw nodeNotFound();
    return node;
  }

  /** §6.5.9: outcasts never, owners always, everyone else as the access model says. */
  async mayRead(requester: JID, node: StoredNode): Promise<boolean> {
    if (this.policy.isOwner(requester)) return true;
    const affiliation = node.affiliations[requester.bare];
    if (affiliation === 'outcast') return false;
    if (affiliation === 'owner' || affiliation === 'publisher' || affiliation === 'member') return true;
    return this.policy.passesAccessModel(requester, node);
  }

  affiliationOf(requester: JID, node: StoredNode | null): Affiliation | 'none' {
    if (this.policy.isOwner(requester)) return 'owner';
    return node?.affiliations[requester.bare] ?? 'none';
  }

  requireOwner(requester: JID, node: StoredNode | null, action: string): void {
    if (this.affiliationOf(requester, node) !== 'owner') throw forbidden(`only the owner may ${action}`);
  }

  // ---- §7.1 publish (with XEP-0223 publish-options) ----

  async publish(requester: JID, name: string, item: Element | null, options: Map<string, string[]> | null): Promise<string> {
    checkNodeName(name);
    let node = await this.store.getNode(this.jid, name);
    if (!node) node = await this.autoCreate(requester, name, options);
    else if (options) {
      const unmet = unmetPrecondition(node.config, options, this.limits.maxItems, this.policy.configChoices);
      if (unmet) throw preconditionNotMet(`the node's ${unmet} is not what publish-options asks for`);
    }
    const affiliation = this.affiliationOf(requester, node);
    const mayPublish = affiliation === 'owner' || affiliation === 'publisher' || affiliation === 'publish-only'
      || (node.config.publishModel === 'open' && affiliation !== 'outcast')
      || (node.config.publishModel === 'subscribers' && node.subscriptions[requester.bare] !== undefined);
    if (!mayPublish) throw forbidden('you may not publish to this node');
    const payload = itemPayload(item, node.config, this.limits.maxPayloadBytes);
    const id = item?.attrs.id || randomBytes(9).toString('base64url');
    if (id.length > MAX_ITEM_ID) throw badRequest(undefined, 'item id too long');
    const stored: StoredItem = { id, payload: payload ? serialize(payload) : '', publisher: requester.bare, publishedAt: Date.now() };
    if (node.config.persistItems) await this.store.publish(this.jid, name, stored, itemLimit(node.config, this.limits.maxItems));
    if (node.config.deliverNotifications) {
      await this.broadcaster.broadcast({ kind: 'items', node, actor: requester, event: itemsEvent(name, [{ id, payload }], node.config.deliverPayloads) });
    }
    return id;
  }

  private async autoCreate(requester: JID, name: string, options: Map<string, string[]> | null): Promise<StoredNode> {
    if (!this.policy.autoCreate || !this.policy.isOwner(requester)) throw nodeNotFound();
    let config = this.policy.defaultConfig(name);
    if (options) {
      try {
        config = applyForm(config, options, this.limits.maxItems, this.policy.configChoices);
      } catch (error) {
        if (error instanceof InvalidConfig) throw preconditionNotMet(error.message);
        throw error;
      }
    }
    return this.create(requester, name, config);
  }

  /** A configuration submitted by an owner (§8.2.3, §8.1.3 create-and-configure); not-acceptable when invalid (§8.2.5.4). */
  configWith(config: NodeConfig, values: Map<string, string[]>): NodeConfig {
    try {
      return applyForm(config, values, this.limits.maxItems, this.policy.configChoices);
    } catch (error) {
      if (error instanceof InvalidConfig) throw new PubSubError('not-acceptable', undefined, error.message);
      throw error;
    }
  }

  // ---- §8.1 create, §8.4 delete, §8.5 purge ----

  /** §8.1; an empty name asks for an instant node (§8.1.2). The creator is the node's owner. */
  async create(requester: JID, name: string, config?: NodeConfig | Map<string, string[]>): Promise<StoredNode> {
    if (name === '') {
      if (!this.policy.instantNodes) throw new PubSubError('not-acceptable', 'nodeid-required', 'name the node: this service has no instant nodes');
      name = randomBytes(12).toString('hex');
    }
    checkNodeName(name);
    if (!this.policy.mayCreateNodes(requester)) throw forbidden('you may not create nodes here');
    const chosen = config instanceof Map ? this.configWith(this.policy.defaultConfig(name), config) : config ?? this.policy.defaultConfig(name);
    const existing = await this.store.listNodes(this.jid);
    if (existing.some((node) => node.node === name)) throw new PubSubError('conflict', undefined, 'the node exists');
    if (existing.length >= this.limits.maxNodes) throw new PubSubError('not-allowed', 'max-nodes-exceeded', `at most ${this.limits.maxNodes} nodes`);
    const affiliations: Record<string, Affiliation> = requester.bare === this.policy.owner ? {} : { [requester.bare]: 'owner' };
    if (!(await this.store.createNode(this.jid, name, { config: chosen, affiliations }))) throw new PubSubError('conflict', undefined, 'the node exists');
    return (await this.store.getNode(this.jid, name))!;
  }

  async delete(requester: JID, name: string): Promise<void> {
    const node = await this.node(name);
    this.requireOwner(requester, node, 'delete the node');
    await this.store.deleteNode(this.jid, name);
    if (node.config.notifyDelete) {
      await this.broadcaster.broadcast({ kind: 'delete', node, actor: requester, event: xml('event', { xmlns: NS.pubsubEvent }, xml('delete', { node: name })) });
    }
  }

  async purge(requester: JID, name: string): Promise<void> {
    const node = await this.node(name);
    this.requireOwner(requester, node, 'purge the node');
    if (!node.config.persistItems) throw new PubSubError('feature-not-implemented', 'unsupported', 'the node keeps no items', 'persistent-items');
    await this.store.purge(this.jid, name);
    if (node.config.notifyRetract) {
      await this.broadcaster.broadcast({ kind: 'purge', node, actor: requester, event: xml('event', { xmlns: NS.pubsubEvent }, xml('purge', { node: name })) });
    }
  }

  // ---- §7.2 retract ----

  async retract(requester: JID, name: string, id: string, notify: boolean): Promise<void> {
    const node = await this.node(name);
    const affiliation = this.affiliationOf(requester, node);
    if (affiliation !== 'owner' && affiliation !== 'publisher') throw forbidden('you may not retract items here');
    if (!(await this.store.retract(this.jid, name, id))) throw itemNotFound();
    if (notify || node.config.notifyRetract) {
      await this.broadcaster.broadcast({
        kind: 'retract', node, actor: requester,
        event: xml('event', { xmlns: NS.pubsubEvent }, xml('items', { node: name }, xml('retract', { id }))),
      });
    }
  }

  // ---- §6.5 items ----

  async items(requester: JID, name: string, query: { ids?: string[]; max?: number }): Promise<{ node: StoredNode; items: StoredItem[] }> {
    const node = await this.node(name);
    await this.requireRead(requester, node);
    return { node, items: await this.store.getItems(this.jid, name, query) };
  }

  async requireRead(requester: JID, node: StoredNode): Promise<void> {
    if (await this.mayRead(requester, node)) return;
    if (node.affiliations[requester.bare] === 'outcast') throw forbidden('you are banned from this node');
    throw accessDenied(node.config.accessModel);
  }

  // ---- §8.2 configure, §8.9 affiliations ----

  async configuration(requester: JID, name: string): Promise<StoredNode> {
    const node = await this.node(name);
    this.requireOwner(requester, node, 'configure the node');
    return node;
  }

  async configure(requester: JID, name: string, values: Map<string, string[]>): Promise<void> {
    const node = await this.configuration(requester, name);
    const config = this.configWith(node.config, values);
    // a node closed to its whitelist keeps the subscriptions of its affiliates only (§4.5)
    const updated = await this.store.modifyNode(this.jid, name, (current) => {
      if (config.accessModel !== 'whitelist') return { config };
      const keep = (jid: string) => bareOf(jid) === this.policy.owner || affiliated(current, jid);
      return { config, subscriptions: pick(current.subscriptions, keep), pending: pick(current.pending, keep) };
    });
    if (!updated) throw nodeNotFound();
    // fewer items allowed now: the oldest go at once
    const keep = itemLimit(config, this.limits.maxItems);
    const items = await this.store.getItems(this.jid, name);
    for (const item of items.slice(keep)) await this.store.retract(this.jid, name, item.id);
    if (config.notifyConfig) {
      await this.broadcaster.broadcast({
        kind: 'config', node: updated, actor: requester,
        event: xml('event', { xmlns: NS.pubsubEvent }, xml('configuration', { node: name })),
      });
    }
  }

  /** §8.9.2; an outcast loses its subscriptions (§4.1), and a node keeps an owner where owners are affiliations. */
  async setAffiliations(requester: JID, name: string, changes: Array<{ jid: JID; affiliation: Affiliation | 'none' }>): Promise<void> {
    await this.configuration(requester, name);
    const ownerless = this.policy.owner === null;
    let orphaned = false;
    const updated = await this.store.modifyNode(this.jid, name, (current) => {
      const affiliations = { ...current.affiliations };
      for (const { jid, affiliation } of changes) {
        if (affiliation === 'none') delete affiliations[jid.bare];
        else affiliations[jid.bare] = affiliation;
      }
      // a node nobody owns could never be configured or deleted again
      orphaned = ownerless && !Object.values(affiliations).includes('owner');
      if (orphaned) return null;
      const allowed = (jid: string) => affiliations[bareOf(jid)] !== 'outcast';
      return { affiliations, subscriptions: pick(current.subscriptions, allowed), pending: pick(current.pending, allowed) };
    });
    if (!updated) throw nodeNotFound();
    if (orphaned) throw new PubSubError('not-acceptable', undefined, 'a node keeps at least one owner');
  }

  /** §8.3: the configuration a new node gets. */
  defaultConfig(): NodeConfig {
    return this.policy.defaultConfig('');
  }

  async nodes(): Promise<StoredNode[]> {
    return this.store.listNodes(this.jid);
  }

  lastItems(): Promise<Array<{ node: string; item: StoredItem }>> {
    return this.store.lastItems(this.jid);
  }
}

/** An item as results and notifications carry it: its id and payload (none: a notification without payload). */
export interface ItemView {
  readonly id: string;
  readonly payload: Element | null;
}

/** The <event><items node><item id>payload</item></items></event> notification (§7.1.2.1). */
export function itemsEvent(node: string, items: readonly ItemView[], withPayloads: boolean): Element {
  return xml('event', { xmlns: NS.pubsubEvent }, itemsElement(node, items, withPayloads));
}

/** <items node><item id>payload</item>…</items>, as results (§6.5) and notifications carry them. */
export function itemsElement(node: string, items: readonly ItemView[], withPayloads = true): Element {
  return xml('items', { node }, ...items.map((item) => xml('item', { id: item.id }, withPayloads ? item.payload : null)));
}

/** A stored item with its payload parsed back (null when there is none or it no longer parses). */
export function viewOf(item: StoredItem): ItemView {
  return { id: item.id, payload: item.payload ? parsePayload(item.payload) : null };
}

/** Whether `jid` (bare or full) has an affiliation that counts on a whitelist: member or more. */
export function affiliated(node: StoredNode, jid: string): boolean {
  const affiliation = node.affiliations[bareOf(jid)];
  return affiliation === 'owner' || affiliation === 'publisher' || affiliation === 'member' || affiliation === 'publish-only';
}

export function bareOf(jid: string): string {
  const slash = jid.indexOf('/');
  return slash === -1 ? jid : jid.slice(0, slash);
}

/** The entries of a JID-keyed record that `keep` keeps. */
export function pick<V>(record: Readonly<Record<string, V>>, keep: (jid: string) => boolean): Record<string, V> {
  return Object.fromEntries(Object.entries(record).filter(([jid]) => keep(jid)));
}

function checkNodeName(name: string): void {
  if (!name) throw badRequest('nodeid-required', 'a node name is required');
  if (name.length > MAX_NODE_NAME) throw badRequest(undefined, 'node name too long');
}

/**
 * §7.1.3.6 (what each event type needs): a persistent node an item, a payload node a payload, a
 * transient notification-only node no item at all; §7.1.3.5–§7.1.3.7: one payload element, not too big.
 */
function itemPayload(item: Element | null, config: NodeConfig, maxBytes: number): Element | null {
  if (item && !config.persistItems && !config.deliverPayloads) {
    throw badRequest('item-forbidden', 'this node is transient and notification-only: publish without an item');
  }
  if (!item && config.persistItems) throw badRequest('item-required', 'this node keeps items: publish one');
  const children = item ? item.children.filter((node): node is Element => typeof node !== 'string') : [];
  if (children.length > 1) throw badRequest('invalid-payload', 'an item carries one payload element');
  const payload = children[0] ?? null;
  if (!payload && config.deliverPayloads) throw badRequest('payload-required', 'this node delivers payloads: publish an item with one');
  if (payload && serialize(payload).length > maxBytes) throw new PubSubError('not-acceptable', 'payload-too-big', `payloads are at most ${maxBytes} bytes here`);
  return payload;
}
