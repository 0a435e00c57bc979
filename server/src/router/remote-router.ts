// Stanzas for domains this server does not serve go to the remote router. Federation (s2s streams)
// will implement it; until then the default answers as a server without federation does.
import { StanzaError, type Element, type JID } from '@parley/shared';
import type { Awaitable } from '../core/events.ts';
import type { Routing } from '../core/module-api.ts';
import type { Origin } from '../core/origin.ts';

export interface RemoteRouter {
  route(stanza: Element, from: JID, to: JID, origin: Origin): Awaitable;
}

/** RFC 6120 §10.4.3: no way to reach the remote domain → remote-server-not-found. */
export class BouncingRemoteRouter implements RemoteRouter {
  constructor(private readonly router: Pick<Routing, 'bounce'>) {}

  route(stanza: Element, _from: JID, to: JID, origin: Origin): Awaitable {
    return this.router.bounce(stanza, new StanzaError('remote-server-not-found', `${to.domain} is not served here`), origin);
  }
}
