// Sessions that move between the nodes of a cluster (cluster/session-moves.ts implements it): a
// client that resumes its stream (XEP-0198 §5) on another node than the one where its session
// waits asks that node for it; the module that keeps the session's state (stream management)
// hands it over there and takes it in here. Null on a single node.
import type { SessionEntry } from './session-table.ts';

export interface SessionMoves {
  /**
   * Ask the node holding `entry` to give the session up; resolves with what that node's module
   * handed over, rejects with the reason it refused (or that it did not answer in time).
   */
  fetch(entry: SessionEntry, request: string, timeoutMs: number): Promise<string>;
  /** Answer other nodes' fetches of this node's sessions (one module does). */
  answer(handler: (sessionId: string, request: string) => string | Promise<string>): void;
  /** The entry has left its node (its removal is on the way): forget it here before its JID is bound again. */
  forget(entry: SessionEntry): void;
}
