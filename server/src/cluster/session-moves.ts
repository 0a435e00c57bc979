// XEP-0198 resumption on any node of the cluster (core/session-moves.ts): the request goes to the
// holding node over the bus, and its answer (the session's state) comes back.
import type { SessionEntry } from '../core/session-table.ts';
import type { SessionMoves } from '../core/session-moves.ts';
import type { ClusterNode } from './cluster-node.ts';

export function clusterSessionMoves(cluster: ClusterNode): SessionMoves {
  return {
    fetch: (entry: SessionEntry, request: string, timeoutMs: number) =>
      cluster.bus.request(entry.node, 'session-move', JSON.stringify({ s: entry.sessionId, r: request }), timeoutMs),
    answer: (handler) => {
      cluster.bus.respond('session-move', (data) => {
        const { s, r } = JSON.parse(data) as { s: string; r: string };
        return handler(s, r);
      });
    },
    forget: (entry) => cluster.table.applyRemove(entry.node, entry.sessionId),
  };
}
