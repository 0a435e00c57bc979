// Who is in the cluster: every node broadcasts a heartbeat; a node not heard from for `deadAfterMs`
// is gone, as is one that says hello again (it started anew and lost its sessions) or goodbye.
// Every node decides from its own view; the alive node with the smallest name speaks for a lost
// one (its contacts get unavailable presence once, not once per node).

export interface MembershipOptions {
  readonly heartbeatMs: number;
  readonly deadAfterMs: number;
}

export interface MembershipEvents {
  /** A node was heard from for the first time (or again after it was lost). */
  joined(node: string): void;
  /** A node is gone: stopped heart-beating, restarted (`restarted`), or said goodbye. */
  lost(node: string, why: 'silent' | 'restarted' | 'goodbye'): void;
}

export class Membership {
  private readonly lastHeard = new Map<string, number>();

  constructor(readonly self: string, private readonly options: MembershipOptions, private readonly events: MembershipEvents,
    private readonly now: () => number = Date.now) {}

  /** The nodes heard from, this one included, in name order. */
  alive(): string[] {
    return [this.self, ...this.lastHeard.keys()].sort();
  }

  has(node: string): boolean {
    return node === this.self || this.lastHeard.has(node);
  }

  /** Whether this node speaks for the lost ones (the first alive name). */
  speaksForLost(): boolean {
    for (const node of this.lastHeard.keys()) if (node < this.self) return false;
    return true;
  }

  heard(node: string): void {
    if (node === this.self) return;
    const known = this.lastHeard.has(node);
    this.lastHeard.set(node, this.now());
    if (!known) this.events.joined(node);
  }

  /** A hello: a node that starts; if we knew it, its earlier run is gone with its sessions. */
  hello(node: string): void {
    if (node === this.self) return;
    if (this.lastHeard.has(node)) {
      this.lastHeard.delete(node);
      this.events.lost(node, 'restarted');
    }
    this.heard(node);
  }

  goodbye(node: string): void {
    if (!this.lastHeard.delete(node)) return;
    this.events.lost(node, 'goodbye');
  }

  /** Nodes silent for too long are lost (called every heartbeat). */
  sweep(): void {
    const limit = this.now() - this.options.deadAfterMs;
    for (const [node, heard] of [...this.lastHeard]) {
      if (heard >= limit) continue;
      this.lastHeard.delete(node);
      this.events.lost(node, 'silent');
    }
  }
}
