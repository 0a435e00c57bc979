// MUC room ownership in a cluster (issue 15): one node holds each room — its occupants, history,
// message order — and the others forward the room's stanzas to it, as ejabberd's mod_muc keeps a
// room in one process of the cluster. A component that places its entities this way says so
// (Component.placement: 'one-node-per-local-part'); the service's own address (disco, the room
// directory) is answered by any node. The first node a room's stanza reaches picks its owner by
// rendezvous hashing over the nodes alive; the owner claims the room on the bus, so the room stays
// there while that node lives (a node that joins later does not take rooms away). When two claim
// one room, the smaller node name wins on every node. A lost node's rooms go to others: persistent
// rooms are loaded from the shared store there; their occupants find out by self-ping (XEP-0410)
// and join again.
import { createHash } from 'node:crypto';
import { parseStanza, serialize, tryParseJid, type Element, type JID } from '@parley/shared';
import type { Component } from '../core/hosts.ts';
import type { Awaitable } from '../core/events.ts';
import { SERVER_ORIGIN, type Origin } from '../core/origin.ts';
import type { ClusterBus } from './bus.ts';
import type { Membership } from './membership.ts';

const FIELD = '\u0001';

/** What placement uses of its node (cluster-node.ts, which owns the placement, passes itself). */
export interface PlacementNode {
  readonly node: string;
  readonly bus: ClusterBus;
  readonly membership: Pick<Membership, 'has' | 'alive'>;
  onInbox(kind: string, handler: (data: string) => void): void;
  onNodeJoined(listener: (node: string) => void): void;
  onNodeLost(listener: (node: string) => void): void;
}

export class RoomPlacement {
  /** Room (bare JID) → the node that claimed it. */
  private readonly claims = new Map<string, string>();
  /** Placed components by domain (what stanzas forwarded here are given to). */
  private readonly components = new Map<string, Component>();

  constructor(private readonly cluster: PlacementNode) {
    const { bus, node } = cluster;
    cluster.onInbox('c', (data) => this.forwarded(data));
    // a node that joins gets the claims of this node's rooms (it heard none before)
    cluster.onInbox('k', (data) => {
      const at = data.indexOf(FIELD);
      const owner = data.slice(1, at);
      for (const room of JSON.parse(data.slice(at + 1)) as string[]) this.claimed(room, owner);
    });
    bus.onBroadcast('room', (data) => {
      const at = data.indexOf(FIELD);
      this.claimed(data.slice(0, at), data.slice(at + 1));
    });
    cluster.onNodeJoined((other) => {
      const mine = [...this.claims].filter(([, owner]) => owner === node).map(([room]) => room);
      if (mine.length) bus.send(other, `k${node}${FIELD}${JSON.stringify(mine)}`);
    });
    cluster.onNodeLost((lost) => {
      for (const [room, owner] of this.claims) if (owner === lost) this.claims.delete(room);
    });
  }

  /** The component as the host table serves it: placed rooms when it asks for it, else itself. */
  place(component: Component): Component {
    if (component.placement !== 'one-node-per-local-part') return component;
    this.components.set(component.name, component);
    return {
      kind: 'component', name: component.name,
      receive: (stanza, from, to, origin) => this.route(component, stanza, from, to, origin),
    };
  }

  /** The node holding a room now, or to hold it: its claim, else the rendezvous choice. */
  ownerOf(room: string): string {
    const claimed = this.claims.get(room);
    if (claimed !== undefined && this.cluster.membership.has(claimed)) return claimed;
    let best = this.cluster.node;
    let bestScore = '';
    for (const node of this.cluster.membership.alive()) {
      const score = createHash('sha1').update(`${room}\n${node}`).digest('hex');
      if (score > bestScore) {
        best = node;
        bestScore = score;
      }
    }
    return best;
  }

  private route(component: Component, stanza: Element, from: JID, to: JID, origin: Origin): Awaitable {
    if (to.local === '') return component.receive(stanza, from, to, origin);
    const room = `${to.local}@${component.name}`;
    const owner = this.ownerOf(room);
    if (owner === this.cluster.node) {
      this.claim(room);
      return component.receive(stanza, from, to, origin);
    }
    this.cluster.bus.send(owner, `c${from.full}${FIELD}${to.full}${FIELD}${serialize(stanza)}`);
  }

  /** A room stanza another node forwarded: this node holds the room (or passes it to the one that claimed it). */
  private forwarded(data: string): void {
    const first = data.indexOf(FIELD);
    const second = data.indexOf(FIELD, first + 1);
    const from = tryParseJid(data.slice(1, first));
    const to = tryParseJid(data.slice(first + 1, second));
    const stanza = parseStanza(data.slice(second + 1));
    if (!from || !to || !stanza) return;
    const component = this.components.get(to.domain);
    if (!component) return;
    const room = `${to.local}@${to.domain}`;
    const claimed = this.claims.get(room);
    if (claimed !== undefined && claimed !== this.cluster.node && this.cluster.membership.has(claimed)) {
      this.cluster.bus.send(claimed, data); // the sender's view was behind: one hop more
      return;
    }
    this.claim(room);
    void Promise.resolve(component.receive(stanza, from, to, SERVER_ORIGIN));
  }

  private claim(room: string): void {
    if (this.claims.get(room) === this.cluster.node) return;
    this.claims.set(room, this.cluster.node);
    this.cluster.bus.broadcast('room', `${room}${FIELD}${this.cluster.node}`);
  }

  private claimed(room: string, node: string): void {
    const current = this.claims.get(room);
    // two claims for one room: the smaller node name wins, the same on every node
    if (current !== undefined && current !== node && this.cluster.membership.has(current) && current < node) return;
    this.claims.set(room, node);
  }
}
