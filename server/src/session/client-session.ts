// A bound client session (RFC 6120 §7): its full JID, its presence in the session table and the
// data modules keep on it — apart from the stream that carries it, so that a stream can go while
// the session stays (stream management hibernates it, then attaches the resumed stream).
// Stanzas go out through deliver() (what stream management will count and queue), nonzas through
// write(). A detached session keeps its JID and presence.
import { randomBytes } from 'node:crypto';
import { serialize, type Element, type JID, type StreamError } from '@parley/shared';
import type { Logger } from '../logger.ts';
import type { StanzaCounts } from '../metrics/counters.ts';
import type { Awaitable } from '../core/events.ts';
import type { SessionHandle } from '../core/origin.ts';
import { SessionData } from '../core/session-data.ts';
import { NO_INTERESTS, type SessionEntry, type SessionEntryChange } from '../core/session-table.ts';
import type { DeliveryReceipt, StanzaAcknowledgement, StanzaHold } from '../core/session-output.ts';

/** What a session needs from the stream attached to it (stream/c2s-stream.ts implements it). */
export interface SessionStream {
  /** 'tcp', 'websocket', 'bosh' */
  readonly transport: string;
  /** Serialized XML for the peer. */
  write(xml: string): void;
  /** Hold later output until the group commit has stored what this session's last stanza wrote. */
  markUncommittedWrite(): void;
  streamError(error: StreamError): void;
  close(): void;
  /**
   * The session went on to another stream (XEP-0198 §5 resumption): this stream forgets it (its end
   * does not end the session) and ends with `error`.
   */
  release(error: StreamError): void;
}

/** What a session needs from the session layer that made it (local-sessions.ts). */
export interface SessionOwner {
  readonly log: Logger;
  /** Stanzas written to sessions, by kind (metrics/counters.ts). */
  readonly delivered: StanzaCounts;
  /** A client stanza after binding: to the router (RFC 6120 §8.1.2.1 stamping happens there). */
  fromClient(session: ClientSession, stanza: Element): Awaitable;
  updateEntry(session: ClientSession, change: SessionEntryChange): void;
  /** A stanza for a session without a stream (hibernated). */
  undeliverable(session: ClientSession, xml: string): void;
  /** A session without a stream is closed: it ends now. */
  endDetached(session: ClientSession): void;
  /** The session moved to another node: it leaves this one without ending. */
  handOver(session: ClientSession): void;
}

export class ClientSession implements SessionHandle {
  /** XEP-0198 counting (modules/stream-management/), once the client enabled it. */
  acknowledgement: StanzaAcknowledgement | null = null;
  /** XEP-0352 holding (modules/csi.ts), while the client is inactive. */
  hold: StanzaHold | null = null;
  /** Its session table row; id and JID are read from it (one copy per idle connection, not two). */
  readonly entry: SessionEntry;
  private moduleData: SessionData | null = null;
  private current: SessionStream | null = null;
  private isEnded = false;
  private childLog: Logger | null = null;

  constructor(jid: JID, node: string, private readonly owner: SessionOwner) {
    const sessionId = randomBytes(9).toString('base64url');
    this.entry = {
      sessionId, node, jid, available: false, priority: 0, presence: null, interests: NO_INTERESTS, resumptionId: null, hibernatedUntil: null,
    };
  }

  get kind(): 'client' {
    return 'client';
  }

  get id(): string {
    return this.entry.sessionId;
  }

  get jid(): JID {
    return this.entry.jid;
  }

  /** Module fields, made on first use (most sessions never store any: idle memory). */
  get data(): SessionData {
    return this.moduleData ??= new SessionData();
  }

  /** A child logger with { session: id, jid }, made on first use (most sessions never log). */
  get log(): Logger {
    return this.childLog ??= this.owner.log.child({ session: this.id, jid: this.jid.full });
  }

  get stream(): SessionStream | null {
    return this.current;
  }

  get transport(): string | null {
    return this.current?.transport ?? null;
  }

  get attached(): boolean {
    return this.current !== null;
  }

  get ended(): boolean {
    return this.isEnded;
  }

  attach(stream: SessionStream): void {
    this.current = stream;
  }

  /** The stream is gone; returns it. */
  detach(): SessionStream | null {
    const stream = this.current;
    this.current = null;
    return stream;
  }

  /** Called by the session layer once the session left the session table. */
  markEnded(): void {
    this.isEnded = true;
    this.current = null;
  }

  // ---- from the client ----

  receive(stanza: Element): Awaitable {
    this.acknowledgement?.received();
    return this.owner.fromClient(this, stanza);
  }

  // ---- to the client: hold (XEP-0352), count and keep (XEP-0198), write ----

  deliver(stanza: Element): void {
    this.owner.delivered.add(stanza.name);
    this.pass(serialize(stanza));
  }

  deliverSerialized(xml: string): void {
    this.owner.delivered.addSerialized(xml);
    this.pass(xml);
  }

  /** Held while the client is inactive, or on to deliverNow. */
  private pass(xml: string): void {
    if (this.hold !== null && this.hold.take(xml)) return;
    this.deliverNow(xml);
  }

  deliverNow(xml: string): void {
    if (this.isEnded) return;
    if (this.acknowledgement !== null) {
      // kept until acknowledged, also while no stream carries the session (resent on resumption)
      this.acknowledgement.sent(xml, null);
      this.current?.write(xml);
    } else if (this.current) {
      this.current.write(xml);
    } else {
      this.owner.undeliverable(this, xml);
    }
  }

  deliverStored(xml: string, receipt: DeliveryReceipt): void {
    if (this.isEnded) return;
    this.owner.delivered.addSerialized(xml);
    if (this.acknowledgement !== null) {
      this.acknowledgement.sent(xml, receipt);
      this.current?.write(xml);
    } else if (this.current) {
      this.current.write(xml);
      receipt.delivered();
    }
    // no stream and nothing counts: it stays stored, for the next session
  }

  write(nonza: Element | string): void {
    this.current?.write(typeof nonza === 'string' ? nonza : serialize(nonza));
  }

  markUncommittedWrite(): void {
    this.current?.markUncommittedWrite();
  }

  streamError(error: StreamError): void {
    if (this.current) this.current.streamError(error);
    else if (!this.isEnded) this.owner.endDetached(this);
  }

  close(): void {
    if (this.current) this.current.close();
    else if (!this.isEnded) this.owner.endDetached(this);
  }

  handOver(): void {
    if (!this.isEnded) this.owner.handOver(this);
  }

  // ---- the session table entry ----

  setPresence(available: boolean, priority: number, presence: Element | null): void {
    this.owner.updateEntry(this, { available, priority, presence });
  }

  addInterest(interest: string): void {
    if (this.entry.interests.has(interest)) return;
    this.owner.updateEntry(this, { interests: new Set([...this.entry.interests, interest]) });
  }

  setInterests(interests: ReadonlySet<string>): void {
    this.owner.updateEntry(this, { interests });
  }

  removeInterest(interest: string): void {
    if (!this.entry.interests.has(interest)) return;
    const rest = new Set(this.entry.interests);
    rest.delete(interest);
    this.owner.updateEntry(this, { interests: rest.size ? rest : NO_INTERESTS });
  }

  setResumption(resumptionId: string | null, hibernatedUntil: number | null): void {
    this.owner.updateEntry(this, { resumptionId, hibernatedUntil });
  }
}
