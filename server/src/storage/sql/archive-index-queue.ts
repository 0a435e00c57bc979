// ArchiveIndexQueue on the query layer (table archive_index_queue): archive entries waiting for the
// external index (Elasticsearch), written before any request and removed once it acknowledged them.
import type { ArchiveIndexQueue, QueuedDocument } from '../types.ts';
import { count, type SqlScope } from './database.ts';
import type { SqlFeatureSchema } from './schema.ts';

export const ARCHIVE_INDEX_QUEUE_SCHEMA: SqlFeatureSchema = {
  feature: 'archive-index-queue',
  migrations: [{
    description: 'queue of archive entries waiting for Elasticsearch',
    statements: ({ schema, type, id }) => [
      id(schema.createTable('archive_index_queue'), 'id', { neverReused: true })
        .addColumn('seq', type.integer, (col) => col.notNull())
        .addColumn('entry', type.text, (col) => col.notNull())
        .addColumn('attempts', type.integer, (col) => col.notNull().defaultTo(0)),
    ],
  }],
};

export class SqlArchiveIndexQueue implements ArchiveIndexQueue {
  constructor(private readonly scope: SqlScope) {}

  async push(documents: ReadonlyArray<{ seq: number; document: string }>): Promise<void> {
    if (documents.length === 0) return;
    await this.scope.atomic(async (db) => {
      for (const { seq, document } of documents) await db.insertInto('archive_index_queue').values({ seq, entry: document }).execute();
    });
  }

  async peek(limit: number, maxBytes: number, afterId?: number): Promise<QueuedDocument[]> {
    let query = this.scope.db.selectFrom('archive_index_queue').select(['id', 'seq', 'entry', 'attempts']);
    if (afterId !== undefined) query = query.where('id', '>', afterId);
    const rows = await query.orderBy('id').limit(limit).execute();
    const out: QueuedDocument[] = [];
    let bytes = 0;
    for (const row of rows) {
      if (out.length > 0 && bytes + row.entry.length > maxBytes) break;
      bytes += row.entry.length;
      out.push({ queueId: Number(row.id), seq: Number(row.seq), document: row.entry, attempts: Number(row.attempts) });
    }
    return out;
  }

  async remove(queueIds: number[]): Promise<void> {
    if (queueIds.length) await this.scope.db.deleteFrom('archive_index_queue').where('id', 'in', queueIds).execute();
  }

  async failed(queueIds: number[]): Promise<void> {
    if (queueIds.length) {
      await this.scope.db.updateTable('archive_index_queue').set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', 'in', queueIds).execute();
    }
  }

  private async aggregate(fn: 'min' | 'max', column: 'id' | 'seq'): Promise<number | null> {
    const row = await this.scope.db.selectFrom('archive_index_queue').select((eb) => eb.fn[fn](column).as('value')).executeTakeFirst();
    return row?.value === null || row?.value === undefined ? null : Number(row.value);
  }

  lowestId(): Promise<number | null> {
    return this.aggregate('min', 'id');
  }

  highestId(): Promise<number | null> {
    return this.aggregate('max', 'id');
  }

  async size(): Promise<number> {
    const row = await this.scope.db.selectFrom('archive_index_queue').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async highestSeq(): Promise<number> {
    return (await this.aggregate('max', 'seq')) ?? 0;
  }

  async dropOlderThan(seq: number): Promise<number> {
    return count((await this.scope.db.deleteFrom('archive_index_queue').where('seq', '<', seq).executeTakeFirst()).numDeletedRows);
  }
}
