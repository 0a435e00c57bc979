// Who sent a stanza (issue 10): a local client session, a server-to-server stream with its domain,
// a component, or the server itself. The router and modules decide by `origin.kind`; a local client
// session is its own origin object, so routing a client's stanza allocates no origin.
import type { Element, JID, StreamError } from '@parley/shared';
import type { Logger } from '../logger.ts';
import type { SessionEntry } from './session-table.ts';
import type { SessionData } from './session-data.ts';
import type { DeliveryReceipt, StanzaAcknowledgement, StanzaHold } from './session-output.ts';

/**
 * A bound client session of this node, as the router and modules see it (session/client-session.ts
 * implements it). Stanzas go out through deliver(), which stream management will count and queue;
 * nonzas through write(), never counted.
 */
export interface SessionHandle {
  readonly kind: 'client';
  readonly id: string;
  /** The bound full JID. */
  readonly jid: JID;
  /** Its row in the session table (availability, priority, last presence, interests). */
  readonly entry: SessionEntry;
  /** Module fields (typed keys: session-data.ts). */
  readonly data: SessionData;
  readonly log: Logger;
  /** A stream carries it now (false while a module keeps it hibernated). */
  readonly attached: boolean;
  /** The attached stream's transport ('tcp', 'websocket', 'bosh'), null without one. */
  readonly transport: string | null;
  /** Unbound: deliveries are dropped. */
  readonly ended: boolean;
  deliver(stanza: Element): void;
  /** A stanza already serialized (the router serializes once for many recipients; stored stanzas are text). */
  deliverSerialized(xml: string): void;
  /**
   * A stanza kept in storage until the client has it (an offline message): `receipt` is told once the
   * client acknowledged it (XEP-0198), or once written when the session does not count stanzas.
   */
  deliverStored(xml: string, receipt: DeliveryReceipt): void;
  /** Past the hold (XEP-0352 flushing what it held): counted and written. */
  deliverNow(xml: string): void;
  /** XEP-0198 counting, set by stream management once the client enabled it (null: nothing counts). */
  acknowledgement: StanzaAcknowledgement | null;
  /** XEP-0352: what holds stanzas while the client is inactive (null: everything goes out at once). */
  hold: StanzaHold | null;
  /** A nonza (stream management acks, …): never counted as a stanza. */
  write(nonza: Element | string): void;
  /** Availability as the presence module last set it (RFC 6121 §4): updates the session table. */
  setPresence(available: boolean, priority: number, presence: Element | null): void;
  addInterest(interest: string): void;
  /** Replace what the session asked to receive (XEP-0115: the '+notify' features of new caps). */
  setInterests(interests: ReadonlySet<string>): void;
  removeInterest(interest: string): void;
  /** XEP-0198 §5: the id the session resumes with and, while it waits without a stream, until when (session table). */
  setResumption(resumptionId: string | null, hibernatedUntil: number | null): void;
  /**
   * A stanza this session sent has an archive or offline write waiting for the group commit: what
   * its stream writes from now on waits until that write is committed (stream/output-gate.ts).
   */
  markUncommittedWrite(): void;
  /** End the stream with an error (or, without a stream, the session). */
  streamError(error: StreamError): void;
  /** Close the stream cleanly (or, without a stream, end the session). */
  close(): void;
  /**
   * The session moves to another node of the cluster (XEP-0198 resumption there): it leaves this
   * node without ending — no unavailable presence, nothing undeliverable — and a stream still
   * attached ends with <conflict/>.
   */
  handOver(): void;
}

export interface RemoteServerOrigin {
  readonly kind: 's2s';
  /** The peer's authenticated domain. */
  readonly domain: string;
  /** A stanza of this peer added an archive or offline write: its stream may stop reading (stream/input-hold.ts). */
  markUncommittedWrite?(): void;
}

export interface ComponentOrigin {
  readonly kind: 'component';
  readonly domain: string;
  /** As RemoteServerOrigin's. */
  markUncommittedWrite?(): void;
}

export interface ServerOrigin {
  readonly kind: 'server';
}

export type Origin = SessionHandle | RemoteServerOrigin | ComponentOrigin | ServerOrigin;

/**
 * A stanza from `origin` added an archive or offline write to the group commit: a client's stream
 * holds its output until the write is committed, and any stream may stop reading while the storage
 * is behind (storage/group-commit.ts `congested`).
 */
export function markUncommittedWrite(origin: Origin | null | undefined): void {
  if (origin && origin.kind !== 'server') origin.markUncommittedWrite?.();
}

/** Stanzas the server itself generates (subscription answers, probes, bounces). */
export const SERVER_ORIGIN: ServerOrigin = Object.freeze({ kind: 'server' });

/** The client session a stanza came from, if it came from one. */
export function clientOf(origin: Origin): SessionHandle | null {
  return origin.kind === 'client' ? origin : null;
}
