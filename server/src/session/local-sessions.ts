// The live sessions of this node (by session id), and their lifecycle: bind (RFC 6120 §7, the
// newer session wins a conflict: §7.7.2.2), a stream's end as a vetoable session-ending (a module
// may keep the session hibernated, as Prosody's pre-resource-unbind lets mod_smacks), then
// resource-unbind. Each bound session has its row in the session table.
import { StreamError, type Element, type JID } from '@parley/shared';
import type { Logger } from '../logger.ts';
import type { Awaitable } from '../core/events.ts';
import { SessionEnding, type ServerHub, type SessionEndReason } from '../core/server-events.ts';
import type { SessionEntryChange, SessionTable } from '../core/session-table.ts';
import type { LocalDelivery } from '../router/delivery.ts';
import { StanzaCounts } from '../metrics/counters.ts';
import { ClientSession, type SessionOwner, type SessionStream } from './client-session.ts';

export interface LocalSessionServices {
  /** This node's name in the session table. */
  readonly node: string;
  readonly table: SessionTable;
  readonly hub: ServerHub;
  readonly log: Logger;
  /** Where a bound client's stanzas go: the router (RFC 6120 §8.1.2.1 stamping happens there). */
  readonly fromClient: (session: ClientSession, stanza: Element) => Awaitable;
  /** Stanzas delivered to sessions, by kind (metrics/counters.ts). */
  readonly delivered?: StanzaCounts;
}

export class LocalSessions implements LocalDelivery, SessionOwner {
  private readonly byId = new Map<string, ClientSession>();
  readonly log: Logger;
  readonly delivered: StanzaCounts;

  constructor(private readonly services: LocalSessionServices) {
    this.log = services.log;
    this.delivered = services.delivered ?? new StanzaCounts();
    // Suite directory changes (modules/suite-sync.ts): RFC 6120 §4.9.3.12, the entity is no longer
    // authorized for the stream it negotiated.
    services.hub.on('im-access-withdrawn', (event) => {
      for (const entry of services.table.resources(event.jid)) {
        this.session(entry.sessionId)?.streamError(new StreamError('not-authorized', event.reason));
      }
    });
    // An admin's kick (modules/suite-sync.ts): as ejabberd's kick_session, a policy-violation stream
    // error (RFC 6120 §4.9.3.14); a session kept for resumption simply ends.
    services.hub.on('session-kick', (event) => {
      const entries = event.jid.includes('/') ? [services.table.get(event.jid)] : services.table.resources(event.jid);
      for (const entry of [...entries]) {
        const session = entry && entry.node === services.node ? this.byId.get(entry.sessionId) : undefined;
        if (!session) continue;
        this.log.info({ jid: session.jid.full, reason: event.reason }, 'session ended by an admin');
        if (session.attached) session.streamError(new StreamError('policy-violation', event.reason));
        else this.endDetached(session);
      }
    });
    // An admin ended a user's sessions (XEP-0133 end-user-session), all of them or one resource.
    services.hub.on('sessions-end', (event) => {
      for (const entry of services.table.resources(event.jid.bare)) {
        if (!event.jid.isBare && entry.jid.full !== event.jid.full) continue;
        this.session(entry.sessionId)?.streamError(new StreamError(event.condition, event.text));
      }
    });
    // A removed domain's streams end with host-gone (stream/open-streams.ts); its sessions kept without a stream end here.
    services.hub.on('host-removed', (event) => {
      for (const session of [...this.byId.values()]) if (!session.attached && session.jid.domain === event.name) this.endDetached(session);
    });
  }

  get size(): number {
    return this.byId.size;
  }

  session(sessionId: string): ClientSession | undefined {
    return this.byId.get(sessionId);
  }

  /** The bound session of this node with that full JID. */
  get(fullJid: string): ClientSession | undefined {
    const entry = this.services.table.get(fullJid);
    return entry ? this.byId.get(entry.sessionId) : undefined;
  }

  all(): IterableIterator<ClientSession> {
    return this.byId.values();
  }

  /**
   * Bind a resource for a stream. RFC 6120 §7.7.2.2: the new session wins; the older one with the
   * same full JID ends first (contacts see it go unavailable), then its stream gets <conflict/>.
   */
  bind(jid: JID, stream: SessionStream): ClientSession {
    const { table, hub, node } = this.services;
    const existing = table.get(jid.full);
    if (existing) {
      const previous = existing.node === node ? this.byId.get(existing.sessionId) : undefined;
      if (previous) {
        const stream = previous.detach();
        this.end(previous, { kind: 'replaced' });
        stream?.streamError(new StreamError('conflict', 'replaced by a new session for the same resource'));
      } else {
        table.unregister(existing.sessionId); // held by another node: the cluster will tell it (later)
      }
    }
    const session = new ClientSession(jid, node, this);
    session.attach(stream);
    this.byId.set(session.id, session);
    table.register(session.entry);
    this.settle(hub.emit('resource-bind', { session }), 'resource-bind');
    return session;
  }

  /**
   * XEP-0198 §5: a new stream takes the session over, whether it waits without a stream or its old
   * stream has not noticed yet that its connection is gone (that stream then ends with conflict).
   */
  resume(session: ClientSession, stream: SessionStream): void {
    if (session.ended || this.byId.get(session.id) !== session) throw new Error(`session ${session.id} is not live here`);
    const previous = session.detach();
    session.attach(stream);
    previous?.release(new StreamError('conflict', 'the session was resumed on another stream'));
    this.settle(this.services.hub.emit('session-resumed', { session }), 'session-resumed');
  }

  /**
   * The session's stream ended. Without a veto the session ends; with one it stays bound,
   * detached, until a module resumes or ends it.
   */
  streamEnded(session: ClientSession, reason: SessionEndReason): void {
    if (session.ended) return;
    session.detach();
    const ending = new SessionEnding(session, reason);
    const pending = this.services.hub.emit('session-ending', ending);
    if (pending) {
      pending.then(() => this.decide(session, ending), (error: unknown) => {
        this.log.error({ err: error }, 'session-ending handler failed');
        this.end(session, reason);
      });
    } else {
      this.decide(session, ending);
    }
  }

  // ---- SessionOwner ----

  fromClient(session: ClientSession, stanza: Element): Awaitable {
    return this.services.fromClient(session, stanza);
  }

  updateEntry(session: ClientSession, change: SessionEntryChange): void {
    this.services.table.update(session.id, change);
  }

  undeliverable(session: ClientSession, xml: string): void {
    this.settle(this.services.hub.emit('delivery-failed', { session, stanza: xml }), 'delivery-failed');
  }

  endDetached(session: ClientSession): void {
    this.end(session, { kind: 'closed' });
  }

  handOver(session: ClientSession): void {
    if (session.ended || this.byId.get(session.id) !== session) return;
    const stream = session.detach();
    this.byId.delete(session.id);
    this.services.table.unregister(session.id);
    session.markEnded();
    stream?.release(new StreamError('conflict', 'the session was resumed on another node'));
    session.log.debug('session handed over to another node');
  }

  private decide(session: ClientSession, ending: SessionEnding): void {
    if (session.ended || session.attached) return; // resumed or ended meanwhile
    if (ending.vetoed) {
      session.log.debug({ reason: ending.reason.kind }, 'session kept without a stream');
      return;
    }
    this.end(session, ending.reason);
  }

  private end(session: ClientSession, reason: SessionEndReason | { kind: 'replaced' }): void {
    if (session.ended || this.byId.get(session.id) !== session) return;
    this.byId.delete(session.id);
    this.services.table.unregister(session.id);
    session.markEnded();
    this.settle(this.services.hub.emit('resource-unbind', { session, reason }), 'resource-unbind');
  }

  /** Lifecycle notifications are not awaited by the stream; their failures are logged. */
  private settle(pending: Awaitable, event: string): void {
    pending?.catch((error: unknown) => this.log.error({ err: error, event }, 'session event handler failed'));
  }
}
