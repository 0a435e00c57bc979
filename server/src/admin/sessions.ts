// The admin's view of who is signed in, and the kick button. Sessions are read from the session
// table (every node's bound resources, core/session-table.ts); a kick is a suite event, so the node
// that holds the session ends it (modules/suite-sync.ts → session/local-sessions.ts), wherever it is.
import type { SessionTableView } from '../core/session-table.ts';
import type { SuiteEventPublisher } from '../directory/suite-events.ts';
import { AdminError } from './errors.ts';

/** One bound resource as the console lists it. */
export interface SessionListing {
  resource: string;
  jid: string;
  node: string;
  /** Initial presence sent (RFC 6121 §4.2) and not yet unavailable. */
  available: boolean;
  priority: number;
  /** The last broadcast presence's <show/> ('' for plain available) and <status/>. */
  show: string;
  status: string;
  /** Kept without a stream for resumption (XEP-0198), until this time. */
  hibernatedUntil: string | null;
  /** The transport of a session this node holds ('tcp', 'websocket', 'bosh'…), null for another node's. */
  transport: string | null;
}

/** The transport of a session held by this node, or null. */
export type LocalTransport = (sessionId: string) => string | null;

export class AdminSessions {
  constructor(private readonly table: SessionTableView, private readonly events: SuiteEventPublisher, private readonly transportOf: LocalTransport) {}

  /** The account's bound resources (`account` is its canonical bare JID). */
  list(account: string): SessionListing[] {
    return this.table.resources(account).map((entry) => ({
      resource: entry.jid.resource ?? '',
      jid: entry.jid.full,
      node: entry.node,
      available: entry.available,
      priority: entry.priority,
      show: entry.presence?.getChildText('show') ?? '',
      status: entry.presence?.getChildText('status') ?? '',
      hibernatedUntil: entry.hibernatedUntil === null ? null : new Date(entry.hibernatedUntil).toISOString(),
      transport: this.transportOf(entry.sessionId),
    }));
  }

  /** Ends one resource's session (or, without a resource, all of the account's); resolves once this node acted on it. */
  async kick(account: string, resource?: string): Promise<{ kicked: string[] }> {
    const entries = resource === undefined ? [...this.table.resources(account)] : [this.table.get(`${account}/${resource}`)];
    const kicked = entries.flatMap((entry) => (entry ? [entry.jid.full] : []));
    if (kicked.length === 0) throw new AdminError(resource === undefined ? `${account} has no sessions` : `${account}/${resource} is not signed in`, 'not-found');
    await this.events.publish({
      type: 'session.kick', jid: resource === undefined ? account : `${account}/${resource}`, reason: 'the session was ended by an administrator',
    });
    return { kicked };
  }
}
