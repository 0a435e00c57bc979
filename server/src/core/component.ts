// A service on its own domain (MUC, upload…), served through the router's host table
// (router/host-table.ts): every stanza to that domain, any local part or resource, is its.
import type { Element, JID } from '@parley/shared';
import type { Awaitable } from './events.ts';
import type { Origin } from './origin.ts';

export interface Component {
  readonly kind: 'component';
  readonly name: string;
  /**
   * In a cluster (cluster/room-placement.ts): 'one-node-per-local-part' — each entity of the domain
   * (a MUC room) lives on one node, which the others forward its stanzas to. Otherwise every node
   * takes the stanzas it routes.
   */
  readonly placement?: 'one-node-per-local-part';
  receive(stanza: Element, from: JID, to: JID, origin: Origin): Awaitable;
}

/** How a module serves component domains (the host table implements it). */
export interface ComponentHosts {
  /** Serve the component's domain from now on; throws if the name is taken. */
  addComponent(component: Component): void;
  removeComponent(name: string): void;
  /** A name served here (account domain, alias or component). */
  has(name: string): boolean;
  /** The canonical account domains served now (host-added / host-removed announce changes). */
  accountDomains(): string[];
}
