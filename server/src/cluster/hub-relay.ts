// Server notifications that concern every node, carried over the cluster bus (issue 15):
// - 'cache-invalidated' (core/cache.ts): a value one node changed in a store leaves the other
//   nodes' caches too (avatar hashes, archiving preferences);
// - 'sessions-end' (XEP-0133 §4.5 end-user-session on one node): the sessions other nodes hold
//   end there, with the same stream error.
// A relayed notification is acted on by the receiving node only, never relayed again.
import { StreamError, type StreamErrorCondition } from '@parley/shared';
import type { ServerHub } from '../core/server-events.ts';
import type { SessionTable } from '../core/session-table.ts';
import type { ClientSession } from '../session/client-session.ts';
import type { ClusterBus } from './bus.ts';

const FIELD = '\u0001';

export interface HubRelayParts {
  readonly node: string;
  readonly bus: ClusterBus;
  readonly hub: ServerHub;
  readonly table: SessionTable;
  /** A live session of this node by id. */
  session(sessionId: string): ClientSession | undefined;
  /** Inbox messages of this kind (first character) go to the handler. */
  onInbox(kind: string, handler: (data: string) => void): void;
}

export function relayHubEvents(parts: HubRelayParts): void {
  const { node, bus, hub, table } = parts;

  hub.on('cache-invalidated', (event) => {
    if (event.node === node) bus.broadcast('cache', `${node}${FIELD}${event.cache}${FIELD}${event.key}`);
  });
  bus.onBroadcast('cache', (data) => {
    const [from, cache, key] = data.split(FIELD);
    if (from === undefined || from === node || cache === undefined || key === undefined) return;
    void hub.emit('cache-invalidated', { cache, key, node: from });
  });

  hub.on('sessions-end', (event) => {
    for (const entry of table.resources(event.jid.bare)) {
      if (entry.node === node || (!event.jid.isBare && entry.jid.full !== event.jid.full)) continue;
      bus.send(entry.node, `e${entry.sessionId}${FIELD}${event.condition}${FIELD}${event.text}`);
    }
  });
  parts.onInbox('e', (data) => {
    const first = data.indexOf(FIELD);
    const second = data.indexOf(FIELD, first + 1);
    if (first < 0 || second < 0) return;
    const condition = data.slice(first + 1, second) as StreamErrorCondition;
    parts.session(data.slice(1, first))?.streamError(new StreamError(condition, data.slice(second + 1)));
  });
}
