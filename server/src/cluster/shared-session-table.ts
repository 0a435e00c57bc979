// The session table shared by the nodes of a cluster (issue 15), as MongooseIM's CETS tables keep
// theirs: every node holds a full replica in memory (reads stay synchronous: core/session-table.ts)
// and is the only writer of its own entries, which it announces on the cluster bus; other nodes'
// entries arrive from there. A node's entries leave with it (cleanupNode: it stopped heart-beating,
// or started again and so lost them).
import type { SessionEntry, SessionEntryChange, SessionTable } from '../core/session-table.ts';
import { MemorySessionTable } from '../router/memory-session-table.ts';
import { fromWire, toWire, type WireEntry } from './entry-codec.ts';

/** What the table tells the other nodes. */
export interface SessionTableAnnouncer {
  /** One of this node's entries is new or changed. */
  set(entry: SessionEntry): void;
  /** One of this node's entries is gone. */
  remove(sessionId: string): void;
  /** A newer session took the full JID of another node's entry (RFC 6120 §7.7.2.2): that node ends it. */
  replaced(entry: SessionEntry): void;
  /** Another node's newer session holds the full JID of one of this node's entries: ours ends. */
  taken(entry: SessionEntry): void;
}

export class SharedSessionTable implements SessionTable {
  private readonly replica = new MemorySessionTable();
  /**
   * This node's entries changed in this turn of the event loop, announced at its end: modules finish
   * the presence they store (the XEP-0153 photo hash is added on presence/broadcast after the
   * entry took the stanza), and several changes of one entry cross the bus once.
   */
  private readonly changed = new Set<SessionEntry>();
  private announceScheduled = false;

  constructor(private readonly node: string, private readonly announce: SessionTableAnnouncer) {}

  get size(): number {
    return this.replica.size;
  }

  // ---- this node's entries ----

  register(entry: SessionEntry): void {
    this.replica.register(entry);
    if (entry.node === this.node) this.announceLater(entry);
  }

  update(sessionId: string, change: SessionEntryChange): void {
    const entry = this.replica.bySession(sessionId);
    if (!entry) return;
    this.replica.update(sessionId, change);
    if (entry.node === this.node) this.announceLater(entry);
  }

  unregister(sessionId: string): void {
    const entry = this.replica.bySession(sessionId);
    if (!entry) return;
    this.replica.unregister(sessionId);
    if (entry.node !== this.node) return this.announce.replaced(entry);
    this.announceChanges(); // what was announced before goes first, then the removal
    this.announce.remove(sessionId);
  }

  /** Announce this turn's changes now (before a message that depends on them, e.g. a hand-over). */
  announceChanges(): void {
    this.announceScheduled = false;
    for (const entry of this.changed) if (this.replica.bySession(entry.sessionId) === entry) this.announce.set(entry);
    this.changed.clear();
  }

  private announceLater(entry: SessionEntry): void {
    this.changed.add(entry);
    if (this.announceScheduled) return;
    this.announceScheduled = true;
    setImmediate(() => this.announceChanges());
  }

  cleanupNode(node: string): void {
    this.replica.cleanupNode(node);
  }

  /** The entries a node holds (those lost with it). */
  entriesOf(node: string): SessionEntry[] {
    const entries: SessionEntry[] = [];
    for (const entry of this.replica.all()) if (entry.node === node) entries.push(entry);
    return entries;
  }

  // ---- other nodes' entries, from the bus ----

  /** Another node's entry, new or changed (a full copy each time). */
  applySet(wire: WireEntry): void {
    const entry = fromWire(wire);
    if (!entry || entry.node === this.node) return;
    const known = this.replica.bySession(entry.sessionId);
    if (known) this.replica.unregister(known.sessionId);
    // the same full JID under another session: the newer one won on its node (or ours ends it)
    const holder = this.replica.get(entry.jid.full);
    if (holder) {
      this.replica.unregister(holder.sessionId);
      // the other node saw ours and replaced it (§7.7.2.2), or both bound at once: the announced one stays
      if (holder.node === this.node) this.announce.taken(holder);
    }
    this.replica.register(entry);
  }

  applyRemove(node: string, sessionId: string): void {
    const entry = this.replica.bySession(sessionId);
    if (entry && entry.node === node && node !== this.node) this.replica.unregister(sessionId);
  }

  /** This node's entries, for a node that joins (it replays them into its replica). */
  localEntries(): WireEntry[] {
    return this.entriesOf(this.node).map(toWire);
  }

  // ---- reads ----

  get(fullJid: string): SessionEntry | undefined {
    return this.replica.get(fullJid);
  }

  bySession(sessionId: string): SessionEntry | undefined {
    return this.replica.bySession(sessionId);
  }

  resources(bareJid: string): readonly SessionEntry[] {
    return this.replica.resources(bareJid);
  }

  hasSessions(bareJid: string): boolean {
    return this.replica.hasSessions(bareJid);
  }

  all(): Iterable<SessionEntry> {
    return this.replica.all();
  }
}
