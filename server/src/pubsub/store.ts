// Where a pubsub service keeps its nodes and items (XEP-0060 §4.5 persistent items): one store for
// every service of this server (a service is an account's PEP service, later a pubsub component's),
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

export interface NewNode {
  config: NodeConfig;
  affiliations?: Record<string, Affiliation>;
  subscriptions?: Record<string, string>;
}

export interface PubSubStore {
  getNode(service: string, node: string): Promise<StoredNode | null>;
  /** Every node of a service, by name. */
  listNodes(service: string): Promise<StoredNode[]>;
  /** Returns false (and changes nothing) when the node exists already. */
  createNode(service: string, node: string, fields: NewNode): Promise<boolean>;
  /** Replaces the node's configuration, affiliations or subscriptions (those given). */
  updateNode(service: string, node: string, change: Partial<NewNode>): Promise<void>;
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
