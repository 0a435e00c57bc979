// How the router reaches a session once the session table has named it: on this node through the
// live session objects (session/local-sessions.ts implements LocalDelivery), on another node
// through the cluster bus later (NodeForwarder; until then every entry is this node's).
import type { SessionHandle } from '../core/origin.ts';
import type { SessionEntry } from '../core/session-table.ts';

export interface LocalDelivery {
  /** The live session of this node with that id. */
  session(sessionId: string): SessionHandle | undefined;
}

export interface NodeForwarder {
  /** Deliver serialized XML to a session held by another node. */
  forward(entry: SessionEntry, xml: string): void;
}

/** One node: an entry of another node cannot exist yet, so there is nothing to forward to. */
export const LOCAL_NODE_ONLY: NodeForwarder = {
  forward() {},
};
