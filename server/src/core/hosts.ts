// What modules see of the served names (router/host-table.ts implements it) and what a component
// is: a service on its own domain (MUC, upload…) that takes every stanza to that domain, any local
// part or resource (ejabberd's ejabberd_router:register_route serves mod_muc the same way).
import type { Element, JID } from '@parley/shared';
import type { Awaitable } from './events.ts';
import type { Origin } from './origin.ts';

export interface Component {
  readonly kind: 'component';
  readonly name: string;
  receive(stanza: Element, from: JID, to: JID, origin: Origin): Awaitable;
}

export interface HostView {
  /** A domain or alias whose users have accounts here. */
  isAccountDomain(name: string): boolean;
  /** The domain an alias stands for; a domain (or an unknown name) is its own. */
  canonical(name: string): string;
  /** A name served here: account domain, alias or component. */
  has(name: string): boolean;
  /** Every canonical account domain served now. */
  accountDomains(): string[];
}
