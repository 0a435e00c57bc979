// Numbers for the bare JIDs the embedded archive has seen (table archive_jids): the index's tags
// are made of them (search.ts). A number is never given to another JID.
import type BetterSqlite3 from 'better-sqlite3';
import { ownerTag } from './search.ts';

/** JIDs whose number is kept in memory; past that the cache starts again (numbers stay in the table). */
const CACHE_SIZE = 100_000;

export class ArchiveJids {
  private readonly cache = new Map<string, number>();
  private readonly select;
  private readonly insert;
  private readonly setTag;

  constructor(db: BetterSqlite3.Database) {
    this.select = db.prepare<[string], number>('SELECT id FROM archive_jids WHERE jid = ?').pluck();
    this.insert = db.prepare<[string]>("INSERT INTO archive_jids (jid, owner_tag) VALUES (?, '')");
    // the account deletion trigger finds an archive's rows by its owner tag (migrations.ts)
    this.setTag = db.prepare<[string, number]>('UPDATE archive_jids SET owner_tag = ? WHERE id = ?');
  }

  /** The JID's number, or undefined when the archive never saw it (its archive is empty). */
  find(jid: string): number | undefined {
    const cached = this.cache.get(jid);
    if (cached !== undefined) return cached;
    const id = this.select.get(jid);
    if (id !== undefined) this.remember(jid, id);
    return id;
  }

  /** The JID's number, given now if it has none: call inside the write transaction. */
  numberOf(jid: string): number {
    const found = this.find(jid);
    if (found !== undefined) return found;
    const id = Number(this.insert.run(jid).lastInsertRowid);
    this.setTag.run(ownerTag(id), id);
    this.remember(jid, id);
    return id;
  }

  /** Forgets the cached numbers: the transaction that gave some was rolled back. */
  forget(): void {
    this.cache.clear();
  }

  private remember(jid: string, id: number): void {
    if (this.cache.size >= CACHE_SIZE) this.cache.clear();
    this.cache.set(jid, id);
  }
}
