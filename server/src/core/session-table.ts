// The session table (issue 10): one entry per bound resource, whichever node holds its stream, as
// ejabberd's ejabberd_sm backends and MongooseIM's CETS tables keep them. The router and presence
// read entries, never session objects. Reads are synchronous on purpose: a shared table keeps a
// full replica on every node (kept current over the cluster bus), so routing never waits.
import type { Element, JID } from '@parley/shared';

export interface SessionEntry {
  readonly sessionId: string;
  /** The node that holds the session (router/memory-session-table.ts: this process). */
  readonly node: string;
  /** The full JID. */
  readonly jid: JID;
  /** Initial presence sent and not yet unavailable (RFC 6121 §4.2): an "available resource". */
  available: boolean;
  /** Priority of the last broadcast presence (RFC 6121 §4.7.2.3), -128..127. */
  priority: number;
  /** The last broadcast presence: probes and new subscribers are answered from it (RFC 6121 §4.3.2). */
  presence: Element | null;
  /** What the resource asked to receive: 'roster' (RFC 6121 §2.1.6 "interested resource") now; later 'carbons', CSI… */
  interests: ReadonlySet<string>;
  /**
   * XEP-0198 §5: the id a new stream resumes the session with (stream management with resumption
   * on), null otherwise. With `node` and `hibernatedUntil` the entry says where a dropped session
   * waits and how to take it over, for whichever node the client reconnects to.
   */
  resumptionId: string | null;
  /** ms epoch until which a session without a stream may be resumed; null while a stream carries it. */
  hibernatedUntil: number | null;
}

export type SessionEntryChange = Partial<Pick<SessionEntry,
  'available' | 'priority' | 'presence' | 'interests' | 'resumptionId' | 'hibernatedUntil'>>;

/** What readers (router, modules) may do with the table. */
export interface SessionTableView {
  get(fullJid: string): SessionEntry | undefined;
  /** An account's resources (bare JID); the same empty array when it has none. Do not keep or mutate it. */
  resources(bareJid: string): readonly SessionEntry[];
  hasSessions(bareJid: string): boolean;
  all(): Iterable<SessionEntry>;
  readonly size: number;
}

export interface SessionTable extends SessionTableView {
  /** A newly bound resource; its full JID must not be in the table (the session layer ends the old one first). */
  register(entry: SessionEntry): void;
  update(sessionId: string, change: SessionEntryChange): void;
  unregister(sessionId: string): void;
  /** Forget every entry of a node (at its start, or when the cluster learns it is gone). */
  cleanupNode(node: string): void;
}

export const NO_INTERESTS: ReadonlySet<string> = new Set();
