// A generic XEP-0060 pubsub service (as Prosody's util/pubsub.lua serves mod_pep and mod_pubsub):
// nodes, items and who may do what, over a PubSubStore. What the service's host decides — who owns
// it, who passes an access model, who is told about an event — comes in as a ServicePolicy and a
// Broadcaster, so an account's PEP service (modules/pep/) and a pubsub component share this code.
// One instance per request: it keeps nothing between requests (the store does).
import { randomBytes } from 'node:crypto';
import { NS, serialize, xml, type Element, type JID } from '@parley/shared';
import { parsePayload } from './payloads.ts';
import { accessDenied, badRequest, forbidden, nodeNotFound, itemNotFound, PubSubError, preconditionNotMet } from './errors.ts';
import { applyForm, InvalidConfig, itemLimit, unmetPrecondition, type NodeConfig } from './node-config.ts';
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
  /** Whether `requester` owns the whole service (a PEP service: the account, any resource). */
  isOwner(requester: JID): boolean;
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
}

const MAX_NODE_NAME = 1024;
const MAX_ITEM_ID = 1024;

export class PubSubService {
  constructor(
    /** The service's JID: an account's bare JID for PEP. */
    readonly jid: string,
    private readonly store: PubSubStore,
    private readonly policy: ServicePolicy,
    private readonly broadcaster: Broadcaster,
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

  private affiliationOf(requester: JID, node: StoredNode | null): Affiliation | 'none' {
    if (this.policy.isOwner(requester)) return 'owner';
    return node?.affiliations[requester.bare] ?? 'none';
  }

  private requireOwner(requester: JID, node: StoredNode | null, action: string): void {
    if (this.affiliationOf(requester, node) !== 'owner') throw forbidden(`only the owner may ${action}`);
  }

  // ---- §7.1 publish (with XEP-0223 publish-options) ----

  async publish(requester: JID, name: string, item: Element | null, options: Map<string, string[]> | null): Promise<string> {
    checkNodeName(name);
    let node = await this.store.getNode(this.jid, name);
    if (!node) node = await this.autoCreate(requester, name, options);
    else if (options) {
      const unmet = unmetPrecondition(node.config, options, this.limits.maxItems);
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
        config = applyForm(config, options, this.limits.maxItems);
      } catch (error) {
        if (error instanceof InvalidConfig) throw preconditionNotMet(error.message);
        throw error;
      }
    }
    return this.create(requester, name, config);
  }

  // ---- §8.1 create, §8.4 delete, §8.5 purge ----

  async create(requester: JID, name: string, config: NodeConfig = this.policy.defaultConfig(name)): Promise<StoredNode> {
    checkNodeName(name);
    this.requireOwner(requester, null, 'create nodes');
    const existing = await this.store.listNodes(this.jid);
    if (existing.some((node) => node.node === name)) throw new PubSubError('conflict', undefined, 'the node exists');
    if (existing.length >= this.limits.maxNodes) throw new PubSubError('not-allowed', 'max-nodes-exceeded', `at most ${this.limits.maxNodes} nodes`);
    if (!(await this.store.createNode(this.jid, name, { config }))) throw new PubSubError('conflict', undefined, 'the node exists');
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

  private async requireRead(requester: JID, node: StoredNode): Promise<void> {
    if (await this.mayRead(requester, node)) return;
    if (node.affiliations[requester.bare] === 'outcast') throw forbidden('you are banned from this node');
    throw accessDenied(node.config.accessModel);
  }

  // ---- §6.1 subscribe, §6.2 unsubscribe ----

  async subscribe(requester: JID, name: string, subscriber: JID): Promise<{ node: StoredNode; subid: string; last: StoredItem | undefined }> {
    const node = await this.node(name);
    // §6.1.3.1: one may subscribe only oneself (bare or full JID)
    if (subscriber.bare !== requester.bare) throw badRequest('invalid-jid', 'the subscriber JID is not yours');
    await this.requireRead(requester, node);
    const subscriptions = { ...node.subscriptions };
    const subid = subscriptions[subscriber.full] ?? randomBytes(9).toString('base64url');
    subscriptions[subscriber.full] = subid;
    await this.store.updateNode(this.jid, name, { subscriptions });
    // §6.1.7: the last item goes to a new subscriber
    const last = node.config.sendLastPublishedItem === 'never' ? undefined : (await this.store.getItems(this.jid, name, { max: 1 }))[0];
    return { node: { ...node, subscriptions }, subid, last };
  }

  async unsubscribe(requester: JID, name: string, subscriber: JID): Promise<void> {
    const node = await this.node(name);
    if (subscriber.bare !== requester.bare && !this.policy.isOwner(requester)) throw badRequest('invalid-jid', 'the subscriber JID is not yours');
    if (node.subscriptions[subscriber.full] === undefined) {
      throw new PubSubError('unexpected-request', 'not-subscribed', 'that JID is not subscribed');
    }
    const subscriptions = { ...node.subscriptions };
    delete subscriptions[subscriber.full];
    await this.store.updateNode(this.jid, name, { subscriptions });
  }

  // ---- §8.2 configure, §8.9 affiliations ----

  async configuration(requester: JID, name: string): Promise<StoredNode> {
    const node = await this.node(name);
    this.requireOwner(requester, node, 'configure the node');
    return node;
  }

  async configure(requester: JID, name: string, values: Map<string, string[]>): Promise<void> {
    const node = await this.configuration(requester, name);
    let config: NodeConfig;
    try {
      config = applyForm(node.config, values, this.limits.maxItems);
    } catch (error) {
      if (error instanceof InvalidConfig) throw new PubSubError('not-acceptable', undefined, error.message);
      throw error;
    }
    await this.store.updateNode(this.jid, name, { config });
    // fewer items allowed now: the oldest go at once
    const keep = itemLimit(config, this.limits.maxItems);
    const items = await this.store.getItems(this.jid, name);
    for (const item of items.slice(keep)) await this.store.retract(this.jid, name, item.id);
    if (config.notifyConfig) {
      await this.broadcaster.broadcast({
        kind: 'config', node: { ...node, config }, actor: requester,
        event: xml('event', { xmlns: NS.pubsubEvent }, xml('configuration', { node: name })),
      });
    }
  }

  async setAffiliations(requester: JID, name: string, changes: Array<{ jid: JID; affiliation: Affiliation | 'none' }>): Promise<void> {
    const node = await this.configuration(requester, name);
    const affiliations = { ...node.affiliations };
    for (const { jid, affiliation } of changes) {
      if (affiliation === 'none') delete affiliations[jid.bare];
      else affiliations[jid.bare] = affiliation;
    }
    await this.store.updateNode(this.jid, name, { affiliations });
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

function checkNodeName(name: string): void {
  if (!name) throw badRequest('nodeid-required', 'a node name is required');
  if (name.length > MAX_NODE_NAME) throw badRequest(undefined, 'node name too long');
}

/** §7.1.3.5–§7.1.3.7: one payload element (none only where payloads are not delivered), not too big. */
function itemPayload(item: Element | null, config: NodeConfig, maxBytes: number): Element | null {
  const children = item ? item.children.filter((node): node is Element => typeof node !== 'string') : [];
  if (children.length > 1) throw badRequest('invalid-payload', 'an item carries one payload element');
  const payload = children[0] ?? null;
  if (!payload && (config.persistItems || config.deliverPayloads)) {
    throw badRequest(item ? 'payload-required' : 'item-required', 'this node needs an item with a payload');
  }
  if (payload && serialize(payload).length > maxBytes) throw new PubSubError('not-acceptable', 'payload-too-big', `payloads are at most ${maxBytes} bytes here`);
  return payload;
}
