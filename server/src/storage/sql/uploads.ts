// UploadStore on the query layer: XEP-0363 slots and the files stored through them
// (components/upload/), in the state storage so that any node can check a slot or serve a file.
import { sql } from './kysely.ts';
import type { Upload, UploadStore } from '../types.ts';
import { count, type SqlScope } from './database.ts';
import type { SqlFeatureSchema } from './schema.ts';
import type { StateDb, UploadsTable } from './tables.ts';

export const UPLOADS_SCHEMA: SqlFeatureSchema = {
  feature: 'uploads',
  migrations: [{
    description: 'HTTP file upload slots and files',
    statements: ({ schema, type, withoutRowid }) => [
      withoutRowid(schema.createTable('uploads')
        .addColumn('id', type.text, (col) => col.primaryKey())
        .addColumn('owner', type.text, (col) => col.notNull())
        .addColumn('filename', type.text, (col) => col.notNull())
        .addColumn('size', type.integer, (col) => col.notNull())
        .addColumn('content_type', type.text, (col) => col.notNull())
        .addColumn('created_at', type.integer, (col) => col.notNull())
        .addColumn('slot_expires_at', type.integer, (col) => col.notNull())
        .addColumn('state', type.text, (col) => col.notNull().check(sql`state IN ('reserved', 'uploading', 'stored')`))
        .addColumn('stored_at', type.integer)),
      schema.createIndex('uploads_by_owner').on('uploads').column('owner'),
      schema.createIndex('uploads_by_state').on('uploads').columns(['state', 'slot_expires_at']),
    ],
  }],
};

const COLUMNS = ['id', 'owner', 'filename', 'size', 'content_type', 'created_at', 'slot_expires_at', 'state', 'stored_at'] as const;

function toUpload(row: UploadsTable): Upload {
  return {
    id: row.id, owner: row.owner, filename: row.filename, size: row.size, contentType: row.content_type,
    createdAt: row.created_at, slotExpiresAt: row.slot_expires_at, state: row.state, storedAt: row.stored_at,
  };
}

async function usageOf(db: StateDb, owner: string, now: number): Promise<number> {
  // a slot past its expiry no longer counts (it can no longer be used)
  const row = await db.selectFrom('uploads').select((eb) => eb.fn.coalesce(eb.fn.sum<number>('size'), sql<number>`0`).as('bytes'))
    .where('owner', '=', owner)
    .where((eb) => eb.or([eb('state', '<>', 'reserved'), eb('slot_expires_at', '>', now)]))
    .executeTakeFirstOrThrow();
  return Number(row.bytes);
}

export class SqlUploadStore implements UploadStore {
  constructor(private readonly scope: SqlScope) {}

  async reserve(upload: Omit<Upload, 'state' | 'storedAt'>, quotaBytes: number, now: number): Promise<boolean> {
    return this.scope.atomic(async (db) => {
      if (await usageOf(db, upload.owner, now) + upload.size > quotaBytes) return false;
      await db.insertInto('uploads').values({
        id: upload.id, owner: upload.owner, filename: upload.filename, size: upload.size, content_type: upload.contentType,
        created_at: upload.createdAt, slot_expires_at: upload.slotExpiresAt, state: 'reserved',
      }).execute();
      return true;
    });
  }

  async get(id: string): Promise<Upload | undefined> {
    const row = await this.scope.db.selectFrom('uploads').select(COLUMNS).where('id', '=', id).executeTakeFirst();
    return row ? toUpload(row) : undefined;
  }

  async claim(id: string, now: number): Promise<boolean> {
    const updated = await this.scope.db.updateTable('uploads').set({ state: 'uploading' })
      .where('id', '=', id).where('state', '=', 'reserved').where('slot_expires_at', '>', now).executeTakeFirst();
    return count(updated.numUpdatedRows) === 1;
  }

  async complete(id: string, now: number): Promise<void> {
    await this.scope.db.updateTable('uploads').set({ state: 'stored', stored_at: now }).where('id', '=', id).where('state', '=', 'uploading').execute();
  }

  async remove(id: string): Promise<void> {
    await this.scope.db.deleteFrom('uploads').where('id', '=', id).execute();
  }

  usage(owner: string, now: number): Promise<number> {
    return usageOf(this.scope.db, owner, now);
  }

  async prune(now: number, stuckMs: number, storedBefore: number | null): Promise<Upload[]> {
    const stuckBefore = now - stuckMs;
    const storedLimit = storedBefore ?? Number.MIN_SAFE_INTEGER;
    return this.scope.atomic(async (db) => {
      const rows = await db.selectFrom('uploads').select(COLUMNS).where((eb) => eb.or([
        eb.and([eb('state', '=', 'reserved'), eb('slot_expires_at', '<=', now)]),
        eb.and([eb('state', '=', 'uploading'), eb('slot_expires_at', '<=', stuckBefore)]),
        eb.and([eb('state', '=', 'stored'), eb('stored_at', '<', storedLimit)]),
      ])).execute();
      for (const row of rows) await db.deleteFrom('uploads').where('id', '=', row.id).execute();
      return rows.map(toUpload);
    });
  }
}
