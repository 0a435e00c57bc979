// OfflineStore on the query layer: messages queued for a bare JID with no available resource
// (RFC 6121 §8.5.2.2.1), delivered later in arrival order (ids only grow).
import type { NewOfflineMessage, OfflineMessage, OfflineStore } from '../types.ts';
import { count, type SqlScope } from './database.ts';
import type { SqlFeatureSchema } from './schema.ts';
import type { StateDb } from './tables.ts';

export const OFFLINE_SCHEMA: SqlFeatureSchema = {
  feature: 'offline',
  migrations: [{
    description: 'offline messages',
    statements: ({ schema, type, id }) => [
      id(schema.createTable('offline_messages'), 'id', { neverReused: true })
        .addColumn('recipient', type.text, (col) => col.notNull())
        .addColumn('stanza', type.text, (col) => col.notNull())
        .addColumn('stamped_at', type.integer, (col) => col.notNull()),
      schema.createIndex('offline_messages_by_recipient').on('offline_messages').columns(['recipient', 'id']),
    ],
  }],
};

function toMessage(row: { id: number; recipient: string; stanza: string; stamped_at: number }): OfflineMessage {
  return { id: Number(row.id), to: row.recipient, stanza: row.stanza, stampedAt: row.stamped_at };
}

async function queued(db: StateDb, to: string): Promise<number> {
  const row = await db.selectFrom('offline_messages').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('recipient', '=', to).executeTakeFirstOrThrow();
  return Number(row.n);
}

function selectFor(db: StateDb, to: string) {
  return db.selectFrom('offline_messages').select(['id', 'recipient', 'stanza', 'stamped_at']).where('recipient', '=', to).orderBy('id');
}

export class SqlOfflineStore implements OfflineStore {
  constructor(private readonly scope: SqlScope) {}

  async push(to: string, stanza: string, stampedAt: number, limit: number): Promise<boolean> {
    // count and insert in one transaction, so that concurrent pushes cannot overshoot the limit
    return this.scope.atomic(async (db) => {
      if (await queued(db, to) >= limit) return false;
      await db.insertInto('offline_messages').values({ recipient: to, stanza, stamped_at: stampedAt }).execute();
      return true;
    });
  }

  async pushAll(messages: NewOfflineMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.scope.atomic(async (db) => {
      // one statement per message keeps the ids in the given order on both dialects
      for (const message of messages) {
        await db.insertInto('offline_messages').values({ recipient: message.to, stanza: message.stanza, stamped_at: message.stampedAt }).execute();
      }
    });
  }

  async takeAll(to: string): Promise<OfflineMessage[]> {
    return this.scope.atomic(async (db) => {
      const messages = (await selectFor(db, to).execute()).map(toMessage);
      if (messages.length > 0) await db.deleteFrom('offline_messages').where('recipient', '=', to).execute();
      return messages;
    });
  }

  async list(to: string): Promise<OfflineMessage[]> {
    return (await selectFor(this.scope.db, to).execute()).map(toMessage);
  }

  async remove(to: string, ids: readonly number[]): Promise<number> {
    if (ids.length === 0) return 0;
    const deleted = await this.scope.db.deleteFrom('offline_messages').where('recipient', '=', to).where('id', 'in', [...ids]).executeTakeFirst();
    return count(deleted.numDeletedRows);
  }

  async count(to: string): Promise<number> {
    return queued(this.scope.db, to);
  }
}
