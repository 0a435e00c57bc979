// This node in a cluster (issue 15): membership by heartbeats, the shared session table kept
// current over the cluster bus, stanzas for other nodes' sessions forwarded to them (and theirs
// delivered here), and what happens when a node is lost — its entries leave the table, its
// unconfirmed messages are routed again, and the session-lost event lets modules act (presence:
// its contacts see it go unavailable, RFC 6121 §4.5.2). Cache invalidations and admin session ends
// reach every node (hub-relay.ts).
import { StreamError, type Element, type JID } from '@parley/shared';
import type { Logger } from '../logger.ts';
import type { ServerHub } from '../core/server-events.ts';
import type { SessionEntry } from '../core/session-table.ts';
import type { ClientSession } from '../session/client-session.ts';
import type { ClusterBus } from './bus.ts';
import { toWire, type WireEntry } from './entry-codec.ts';
import { Membership, type MembershipOptions } from './membership.ts';
import { ClusterForwarder, type ForwardedDeliveryTarget } from './node-forwarder.ts';
import { SharedSessionTable } from './shared-session-table.ts';
import { RoomPlacement } from './room-placement.ts';
import { relayHubEvents } from './hub-relay.ts';

const FIELD = '\u0001';

/** What the cluster needs of this node once its session layer and router exist. */
export interface ClusterLocalServices {
  /** A live session of this node by id. */
  session(sessionId: string): ClientSession | undefined;
  /** RFC 6121 §8.5 routing from the router. */
  route(stanza: Element, from: JID, to: JID): unknown;
}

/** Handlers for other kinds of inbox messages (room ownership, resumption), by first character. */
export type InboxHandler = (data: string) => void;

export class ClusterNode {
  readonly table: SharedSessionTable;
  readonly forwarder: ClusterForwarder;
  readonly membership: Membership;
  /** Which node holds each MUC room (room-placement.ts). */
  readonly rooms: RoomPlacement;
  private local: ClusterLocalServices | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly inboxHandlers = new Map<number, InboxHandler>();
  private readonly joinedListeners: Array<(node: string) => void> = [];
  private readonly lostListeners: Array<(node: string) => void> = [];

  constructor(readonly node: string, readonly bus: ClusterBus, private readonly options: MembershipOptions,
    private readonly hub: ServerHub, private readonly log: Logger) {
    this.table = new SharedSessionTable(node, {
      set: (entry) => bus.broadcast('table', `s${JSON.stringify(toWire(entry))}`),
      remove: (sessionId) => bus.broadcast('table', `r${node}${FIELD}${sessionId}`),
      replaced: (entry) => bus.send(entry.node, `x${entry.sessionId}`),
      taken: (entry) => this.endReplaced(entry.sessionId),
    });
    const target: ForwardedDeliveryTarget = {
      deliver: (sessionId, xml) => {
        const session = this.local?.session(sessionId);
        if (!session || session.ended) return false;
        session.deliverSerialized(xml);
        return true;
      },
      deliverKept: (sessionId, xml, done) => {
        const session = this.local?.session(sessionId);
        // without a stream and without counting, nothing would ever say it arrived: routed again instead
        if (!session || session.ended || (!session.attached && !session.acknowledgement)) return false;
        session.deliverStored(xml, {
          delivered: done,
          // the session ended before its client acknowledged it: the fallback of this node takes it
          undelivered: () => void Promise.resolve(hub.emit('delivery-failed', { session, stanza: xml })).finally(done),
        });
        return true;
      },
      route: (stanza, from, to) => this.local?.route(stanza, from, to),
    };
    this.forwarder = new ClusterForwarder(node, bus, target, log);
    this.membership = new Membership(node, options, {
      joined: (other) => {
        log.info({ node: other }, 'cluster: a node joined');
        for (const listener of this.joinedListeners) listener(other);
      },
      lost: (other, why) => this.nodeLost(other, why),
    });
    this.rooms = new RoomPlacement(this);
    relayHubEvents({
      node, bus, hub, table: this.table, session: (id) => this.local?.session(id),
      onInbox: (kind, handler) => this.onInbox(kind, handler),
    });
  }

  /** Inbox messages starting with `kind` go to `handler` (cluster features in their own files). */
  onInbox(kind: string, handler: InboxHandler): void {
    this.inboxHandlers.set(kind.charCodeAt(0), handler);
  }

  onNodeJoined(listener: (node: string) => void): void {
    this.joinedListeners.push(listener);
  }

  onNodeLost(listener: (node: string) => void): void {
    this.lostListeners.push(listener);
  }

  /** Subscribe, say hello (the others send their entries) and start heart-beating. */
  async start(local: ClusterLocalServices): Promise<void> {
    this.local = local;
    const { bus, node, membership } = this;
    bus.onBroadcast('heartbeat', (from) => membership.heard(from));
    bus.onBroadcast('hello', (from) => {
      if (from === node) return;
      membership.hello(from);
      // a node that joins gets this node's entries (it heard nothing before its hello)
      bus.send(from, `y${JSON.stringify(this.table.localEntries())}`);
    });
    bus.onBroadcast('goodbye', (from) => membership.goodbye(from));
    bus.onBroadcast('table', (data) => this.tableChange(data));
    bus.onInbox((data) => this.inbox(data));
    await bus.ready();
    bus.broadcast('hello', node);
    this.heartbeat = setInterval(() => {
      bus.broadcast('heartbeat', node);
      membership.sweep();
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
    this.log.info({ event: 'cluster', node }, 'cluster: joined');
  }

  /** Say goodbye (after this node's sessions ended and left the table) and close the bus. */
  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.bus.broadcast('goodbye', this.node);
    await this.bus.close();
  }

  private tableChange(data: string): void {
    if (data.charCodeAt(0) === 115) { // 's'
      const wire = JSON.parse(data.slice(1)) as WireEntry;
      if (wire.n === this.node) return;
      this.membership.heard(wire.n);
      this.table.applySet(wire);
    } else {
      const at = data.indexOf(FIELD);
      this.table.applyRemove(data.slice(1, at), data.slice(at + 1));
    }
  }

  private inbox(data: string): void {
    if (this.forwarder.receive(data)) return;
    const kind = data.charCodeAt(0);
    if (kind === 121) { // 'y': a node's entries, for this node that just joined
      for (const wire of JSON.parse(data.slice(1)) as WireEntry[]) {
        this.membership.heard(wire.n);
        this.table.applySet(wire);
      }
      return;
    }
    if (kind === 120) return this.endReplaced(data.slice(1)); // 'x'
    const handler = this.inboxHandlers.get(kind);
    if (handler) handler(data);
    else this.log.warn({ kind: data[0] }, 'cluster: an inbox message of an unknown kind');
  }

  /** RFC 6120 §7.7.2.2: a newer session on another node took this session's full JID. */
  private endReplaced(sessionId: string): void {
    this.local?.session(sessionId)?.streamError(new StreamError('conflict', 'replaced by a new session for the same resource'));
  }

  private nodeLost(node: string, why: string): void {
    const entries: SessionEntry[] = this.table.entriesOf(node);
    this.table.cleanupNode(node);
    const announce = this.membership.speaksForLost();
    this.log.warn({ event: 'cluster', node, why, sessions: entries.length, announce }, 'cluster: a node is gone');
    for (const entry of entries) {
      void Promise.resolve(this.hub.emit('session-lost', { entry, announce })).catch((error: unknown) => {
        this.log.error({ err: error }, 'session-lost handler failed');
      });
    }
    this.forwarder.nodeLost(node);
    for (const listener of this.lostListeners) listener(node);
  }
}
