// BlockListStore on the query layer: the JIDs each account blocks (XEP-0191), in the order they were blocked.
import type { BlockListStore } from '../types.ts';
import { count, type SqlScope } from './database.ts';
import type { SqlFeatureSchema } from './schema.ts';

export const BLOCK_LISTS_SCHEMA: SqlFeatureSchema = {
  feature: 'block-lists',
  migrations: [{
    description: 'XEP-0191 block lists',
    statements: ({ schema, type, id }) => [
      // the id keeps the order in which JIDs were blocked
      id(schema.createTable('blocked_jids'), 'id')
        .addColumn('owner', type.text, (col) => col.notNull())
        .addColumn('jid', type.text, (col) => col.notNull())
        .addColumn('blocked_at', type.integer, (col) => col.notNull())
        .addUniqueConstraint('blocked_jids_owner_jid', ['owner', 'jid']),
    ],
  }],
};

export class SqlBlockListStore implements BlockListStore {
  constructor(private readonly scope: SqlScope) {}

  async list(owner: string): Promise<string[]> {
    const rows = await this.scope.db.selectFrom('blocked_jids').select('jid').where('owner', '=', owner).orderBy('id').execute();
    return rows.map((row) => row.jid);
  }

  async add(owner: string, jids: readonly string[]): Promise<number> {
    if (jids.length === 0) return 0;
    return this.scope.atomic(async (db) => {
      const now = Date.now();
      let added = 0;
      for (const jid of jids) {
        const inserted = await db.insertInto('blocked_jids').values({ owner, jid, blocked_at: now })
          .onConflict((oc) => oc.columns(['owner', 'jid']).doNothing()).executeTakeFirst();
        added += count(inserted.numInsertedOrUpdatedRows);
      }
      return added;
    });
  }

  async remove(owner: string, jids: readonly string[]): Promise<number> {
    if (jids.length === 0) return 0;
    const deleted = await this.scope.db.deleteFrom('blocked_jids').where('owner', '=', owner).where('jid', 'in', [...jids]).executeTakeFirst();
    return count(deleted.numDeletedRows);
  }

  async clear(owner: string): Promise<number> {
    return count((await this.scope.db.deleteFrom('blocked_jids').where('owner', '=', owner).executeTakeFirst()).numDeletedRows);
  }
}
