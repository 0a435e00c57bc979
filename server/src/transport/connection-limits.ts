// Per-address connection limits (limits.connectionsPerIp, bosh.sessionsPerIp): a peer that opens
// connections without end must not exhaust the server (brief: "limits everywhere a peer controls").

/** Counts connections per IP address, for the per-IP limit. */
export class ConnectionCounter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** false when the address already has `limit` connections */
  acquire(address: string): boolean {
    const count = this.counts.get(address) ?? 0;
    if (count >= this.limit) return false;
    this.counts.set(address, count + 1);
    return true;
  }

  release(address: string): void {
    const count = (this.counts.get(address) ?? 1) - 1;
    if (count <= 0) this.counts.delete(address);
    else this.counts.set(address, count);
  }
}
