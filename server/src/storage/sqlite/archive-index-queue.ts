// SQLite ArchiveIndexQueue (table archive_index_queue): archive entries waiting for the external
// index (Elasticsearch), written before any request and removed once it acknowledged them.
import type BetterSqlite3 from 'better-sqlite3';
import type { ArchiveIndexQueue, QueuedDocument } from '../types.ts';
import type { FeatureSchema } from './migrations.ts';

export const ARCHIVE_INDEX_QUEUE_SCHEMA: FeatureSchema = {
  feature: 'archive-index-queue',
  migrations: [{
    description: 'queue of archive entries waiting for Elasticsearch',
    up(db) {
      db.exec(`
        -- Entries waiting to be indexed in Elasticsearch (archive/elasticsearch/): written
        -- before any request, removed once Elasticsearch acknowledged them.
        CREATE TABLE archive_index_queue (
          id       INTEGER PRIMARY KEY AUTOINCREMENT,
          seq      INTEGER NOT NULL,
          entry    TEXT NOT NULL,
          attempts INTEGER NOT NULL DEFAULT 0
        );
      `);
    },
  }],
};

export class SqliteArchiveIndexQueue implements ArchiveIndexQueue {
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
    this.insertTx = db.transaction((documents: ReadonlyArray<{ seq: number; document: string }>) => {
      for (const { seq, document } of documents) this.insert.run(seq, document);
    });
    this.selectBatch = db.prepare<[number], { id: number; seq: number; entry: string; attempts: number }>(
      'SELECT id, seq, entry, attempts FROM archive_index_queue ORDER BY id LIMIT ?');
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

  async push(documents: ReadonlyArray<{ seq: number; document: string }>): Promise<void> {
    if (documents.length) this.insertTx.immediate(documents);
  }

  async peek(limit: number, maxBytes: number): Promise<QueuedDocument[]> {
    const out: QueuedDocument[] = [];
    let bytes = 0;
    for (const row of this.selectBatch.iterate(limit)) {
      if (out.length > 0 && bytes + row.entry.length > maxBytes) break;
      bytes += row.entry.length;
      out.push({ queueId: row.id, seq: row.seq, document: row.entry, attempts: row.attempts });
    }
    return out;
  }

  async remove(queueIds: number[]): Promise<void> {
    if (queueIds.length) this.deleteTx.immediate(queueIds);
  }

  async failed(queueIds: number[]): Promise<void> {
    if (queueIds.length) this.bumpTx.immediate(queueIds);
  }

  async lowestId(): Promise<number | null> {
    return this.selectLowest.get() ?? null;
  }

  async highestId(): Promise<number | null> {
    return this.selectHighest.get() ?? null;
  }

  async size(): Promise<number> {
    return this.selectCount.get() ?? 0;
  }

  async highestSeq(): Promise<number> {
    return this.selectHighestSeq.get() ?? 0;
  }

  async dropOlderThan(seq: number): Promise<number> {
    return this.deleteOlder.run(seq).changes;
  }
}
