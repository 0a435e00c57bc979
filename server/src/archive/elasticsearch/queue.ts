// The local queue in front of Elasticsearch (table archive_index_queue in the embedded store):
// every entry is written here first and removed only once Elasticsearch acknowledged it, so an
// unreachable cluster, or a restart while it was unreachable, loses nothing.
import type BetterSqlite3 from 'better-sqlite3';
import type { ArchiveEntry } from '../types.ts';

export interface QueuedEntry {
  queueId: number;
  attempts: number;
  entry: ArchiveEntry;
}

export class IndexQueue {
  private readonly insert;
  private readonly insertTx;
  private readonly selectBatch;
  private readonly deleteOne;
  private readonly deleteTx;
  private readonly bumpOne;
  private readonly bumpTx;
  private readonly selectLowest;
  private readonly selectHighest;
  private readonly selectCount;
  private readonly selectHighestSeq;
  private readonly deleteOlder;

  constructor(db: BetterSqlite3.Database) {
    this.insert = db.prepare<[number, string]>('INSERT INTO archive_index_queue (seq, entry) VALUES (?, ?)');
    this.insertTx = db.transaction((entries: ArchiveEntry[]) => {
      for (const entry of entries) this.insert.run(entry.seq, JSON.stringify(entry));
    });
    this.selectBatch = db.prepare<[number], { id: number; entry: string; attempts: number }>(
      'SELECT id, entry, attempts FROM archive_index_queue ORDER BY id LIMIT ?');
    this.deleteOne = db.prepare<[number]>('DELETE FROM archive_index_queue WHERE id = ?');
    this.deleteTx = db.transaction((ids: number[]) => {
      for (const id of ids) this.deleteOne.run(id);
    });
    this.bumpOne = db.prepare<[number]>('UPDATE archive_index_queue SET attempts = attempts + 1 WHERE id = ?');
    this.bumpTx = db.transaction((ids: number[]) => {
      for (const id of ids) this.bumpOne.run(id);
    });
    this.selectLowest = db.prepare<[], number | null>('SELECT min(id) FROM archive_index_queue').pluck();
    this.selectHighest = db.prepare<[], number | null>('SELECT max(id) FROM archive_index_queue').pluck();
    this.selectCount = db.prepare<[], number>('SELECT count(*) FROM archive_index_queue').pluck();
    this.selectHighestSeq = db.prepare<[], number | null>('SELECT max(seq) FROM archive_index_queue').pluck();
    this.deleteOlder = db.prepare<[number]>('DELETE FROM archive_index_queue WHERE seq < ?');
  }

  push(entries: ArchiveEntry[]): void {
    this.insertTx.immediate(entries);
  }

  /** The oldest entries, at most `limit` of them and about `maxBytes` of JSON. */
  peek(limit: number, maxBytes: number): QueuedEntry[] {
    const out: QueuedEntry[] = [];
    let bytes = 0;
    for (const row of this.selectBatch.iterate(limit)) {
      if (out.length > 0 && bytes + row.entry.length > maxBytes) break;
      bytes += row.entry.length;
      out.push({ queueId: row.id, attempts: row.attempts, entry: JSON.parse(row.entry) as ArchiveEntry });
    }
    return out;
  }

  remove(queueIds: number[]): void {
    if (queueIds.length) this.deleteTx.immediate(queueIds);
  }

  /** Counts a failed attempt for these entries. */
  failed(queueIds: number[]): void {
    if (queueIds.length) this.bumpTx.immediate(queueIds);
  }

  /** The oldest queue id still waiting, or null when the queue is empty. */
  lowestId(): number | null {
    return this.selectLowest.get() ?? null;
  }

  highestId(): number | null {
    return this.selectHighest.get() ?? null;
  }

  size(): number {
    return this.selectCount.get() ?? 0;
  }

  highestSeq(): number {
    return this.selectHighestSeq.get() ?? 0;
  }

  /** Retention: entries that would be pruned once indexed need not be indexed at all. */
  dropOlderThan(seq: number): number {
    return this.deleteOlder.run(seq).changes;
  }
}
