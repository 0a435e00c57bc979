// The served names as modules see them (router/host-table.ts implements it), and what a component
// is: a service on its own domain (MUC, upload…) that takes every stanza to that domain, any local
// part or resource (ejabberd's ejabberd_router:register_route serves mod_muc the same way).
// Modules serve their components through ctx.hosts; XEP-0114 external components are put on the
// same host table by their streams (stream/component-stream.ts), with the same two calls.
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

/** What a module may read of the served names. */
export interface HostView {
  /** A domain or alias whose users have accounts here. */
  isAccountDomain(name: string): boolean;
  /** The domain an alias stands for; a domain (or an unknown name) is its own. */
  canonical(name: string): string;
  /** A name served here: account domain, alias or component. */
  has(name: string): boolean;
  /** Every canonical account domain served now (host-added / host-removed announce changes). */
  accountDomains(): string[];
}

/** The served names, where a module also serves its components' domains (on this node's router). */
export interface ComponentHosts extends HostView {
  /** Serve the component's domain from now on; throws if the name is taken. */
  addComponent(component: Component): void;
  /** Stop serving the component's domain; a name held by another component (or none) is left alone. */
  removeComponent(component: Component): void;
}
