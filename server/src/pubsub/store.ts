// Where a pubsub service keeps its nodes and items (XEP-0060 §4.5 persistent items): one store for
// every service of this server (an account's PEP service, a pubsub.<domain> component's),
// backend-neutral and Promise-based like the state storage (storage/types.ts), so that every node
// of a cluster sees the same nodes and items.
import type { NodeConfig } from './node-config.ts';

/** XEP-0060 §4.1 affiliations other than none (the owner of a PEP service is implicit). */
export type Affiliation = 'owner' | 'publisher' | 'publish-only' | 'member' | 'outcast';

export interface StoredNode {
  readonly service: string;
  readonly node: string;
  readonly config: NodeConfig;
  /** JIDs (bare) with an affiliation set by an owner (§8.9). */
  readonly affiliations: Readonly<Record<string, Affiliation>>;
  /** Explicit subscriptions (§6.1): JID (as subscribed, bare or full) → subscription id. */
  readonly subscriptions: Readonly<Record<string, string>>;
  /** Subscriptions awaiting an owner's approval (§6.1.2 'authorize' access): JID → subscription id. */
  readonly pending: Readonly<Record<string, string>>;
  /** §6.3 subscription options of those subscriptions (pending or not) that have some: JID → options. */
  readonly subscriptionOptions: Readonly<Record<string, SubscriptionOptions>>;
  /** ms epoch */
  readonly createdAt: number;
}

export interface StoredItem {
  readonly id: string;
  /** The <item/>'s payload element, serialized (empty for a notification-only item). */
  readonly payload: string;
  /** Bare JID of the publisher (§7.1.2 publisher attribute). */
  readonly publisher: string;
  /** ms epoch */
  readonly publishedAt: number;
}

/** XEP-0060 §6.3 subscription options (FORM_TYPE pubsub#subscribe_options) this engine keeps. */
export interface SubscriptionOptions {
  /** pubsub#deliver: false stops notifications without ending the subscription. */
  readonly deliver: boolean;
}

export interface NewNode {
  config: NodeConfig;
  affiliations?: Record<string, Affiliation>;
  subscriptions?: Record<string, string>;
  pending?: Record<string, string>;
  subscriptionOptions?: Record<string, SubscriptionOptions>;
}

/** The fields of a node a change may replace. */
export type NodeChange = Partial<NewNode>;

export interface PubSubStore {
  getNode(service: string, node: string): Promise<StoredNode | null>;
  /** Every node of a service, by name. */
  listNodes(service: string): Promise<StoredNode[]>;
  /** Returns false (and changes nothing) when the node exists already. */
  createNode(service: string, node: string, fields: NewNode): Promise<boolean>;
  /** Replaces the node's configuration, affiliations or subscriptions (those given). */
  updateNode(service: string, node: string, change: NodeChange): Promise<void>;
  /**
   * Reads the node and writes what `change` makes of it, as one atomic change (two requests that
   * change one node's subscriptions at once, on two cluster nodes, both count). `change` may run
   * more than once (a retried transaction): it only computes. Returns the node as it is afterwards
   * (null when there is none; `change` returning null writes nothing).
   */
  modifyNode(service: string, node: string, change: (node: StoredNode) => NodeChange | null): Promise<StoredNode | null>;
  /** Removes the node and its items; false when there was none. */
  deleteNode(service: string, node: string): Promise<boolean>;
  /**
   * Stores an item as the node's newest (an item with the same id is replaced: §7.1.2) and drops
   * the oldest beyond `keep`, in one transaction. Returns the ids it dropped.
   */
  publish(service: string, node: string, item: StoredItem, keep: number): Promise<string[]>;
  /** Newest first: these ids (those that exist), or the newest `max` (all when absent). */
  getItems(service: string, node: string, query?: { ids?: readonly string[]; max?: number }): Promise<StoredItem[]>;
  /** The newest item of each of the service's nodes that has one. */
  lastItems(service: string): Promise<Array<{ node: string; item: StoredItem }>>;
  retract(service: string, node: string, id: string): Promise<boolean>;
  /** Removes all items; returns how many went. */
  purge(service: string, node: string): Promise<number>;
  /** Removes every node and item of a service (an account deleted). */
  deleteService(service: string): Promise<void>;
}
