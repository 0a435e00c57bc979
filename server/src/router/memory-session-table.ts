// The session table in this process's memory (one node). The shared implementation for a cluster
// keeps the same synchronous reads over a replica (core/session-table.ts).
import type { SessionEntry, SessionEntryChange, SessionTable } from '../core/session-table.ts';

const NONE: readonly SessionEntry[] = Object.freeze([]);

export class MemorySessionTable implements SessionTable {
  private readonly byFull = new Map<string, SessionEntry>();
  private readonly byId = new Map<string, SessionEntry>();
  /**
   * Resources per bare JID. Arrays are replaced, never changed in place, so a reader iterating one
   * (the router delivering to every resource) is not disturbed by a session ending meanwhile.
   */
  private readonly byBare = new Map<string, readonly SessionEntry[]>();

  get size(): number {
    return this.byId.size;
  }

  register(entry: SessionEntry): void {
    const full = entry.jid.full;
    if (this.byFull.has(full)) throw new Error(`${full} is already bound`);
    this.byFull.set(full, entry);
    this.byId.set(entry.sessionId, entry);
    this.byBare.set(entry.jid.bare, [...(this.byBare.get(entry.jid.bare) ?? NONE), entry]);
  }

  update(sessionId: string, change: SessionEntryChange): void {
    const entry = this.byId.get(sessionId);
    if (entry) Object.assign(entry, change);
  }

  unregister(sessionId: string): void {
    const entry = this.byId.get(sessionId);
    if (!entry) return;
    this.byId.delete(sessionId);
    this.byFull.delete(entry.jid.full);
    const rest = (this.byBare.get(entry.jid.bare) ?? NONE).filter((other) => other !== entry);
    if (rest.length) this.byBare.set(entry.jid.bare, rest);
    else this.byBare.delete(entry.jid.bare);
  }

  cleanupNode(node: string): void {
    for (const entry of [...this.byId.values()]) if (entry.node === node) this.unregister(entry.sessionId);
  }

  get(fullJid: string): SessionEntry | undefined {
    return this.byFull.get(fullJid);
  }

  /** The entry with that session id. */
  bySession(sessionId: string): SessionEntry | undefined {
    return this.byId.get(sessionId);
  }

  resources(bareJid: string): readonly SessionEntry[] {
    return this.byBare.get(bareJid) ?? NONE;
  }

  hasSessions(bareJid: string): boolean {
    return this.byBare.has(bareJid);
  }

  all(): Iterable<SessionEntry> {
    return this.byId.values();
  }
}
