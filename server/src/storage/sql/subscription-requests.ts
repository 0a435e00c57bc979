// SubscriptionRequestStore on the query layer: inbound subscription requests awaiting the owner's
// answer (RFC 6121 §3.1.3), kept for re-delivery at the owner's next login. One request per
// (owner, requester); a repeated request replaces the earlier one and counts as the newest.
import type { SubscriptionRequest, SubscriptionRequestStore } from '../types.ts';
import { count, type SqlScope } from './database.ts';
import type { SqlFeatureSchema } from './schema.ts';

export const SUBSCRIPTION_REQUESTS_SCHEMA: SqlFeatureSchema = {
  feature: 'subscription-requests',
  migrations: [{
    description: 'inbound subscription requests',
    statements: ({ schema, type }) => [
      schema.createTable('subscription_requests')
        .addColumn('owner', type.text, (col) => col.notNull())
        .addColumn('requester', type.text, (col) => col.notNull())
        .addColumn('stanza', type.text, (col) => col.notNull())
        .addColumn('received_at', type.integer, (col) => col.notNull())
        .addPrimaryKeyConstraint('subscription_requests_pk', ['owner', 'requester']),
    ],
  }, {
    // SQLite ordered equal timestamps by rowid (a replaced request took a fresh one); PostgreSQL has
    // no rowid: the arrival order is a column of its own, numbered per owner.
    description: 'arrival order of subscription requests',
    statements: ({ schema, type, raw, dialect }) => [
      schema.alterTable('subscription_requests').addColumn('arrival', type.integer, (col) => col.notNull().defaultTo(0)),
      ...(dialect === 'sqlite' ? [raw('UPDATE subscription_requests SET arrival = rowid')] : []),
    ],
  }],
};

const COLUMNS = ['requester', 'stanza', 'received_at'] as const;

function toRequest(row: { requester: string; stanza: string; received_at: number }): SubscriptionRequest {
  return { from: row.requester, stanza: row.stanza, receivedAt: row.received_at };
}

export class SqlSubscriptionRequestStore implements SubscriptionRequestStore {
  constructor(private readonly scope: SqlScope) {}

  async put(owner: string, from: string, stanza: string, receivedAt: number): Promise<void> {
    await this.scope.atomic(async (db) => {
      const last = await db.selectFrom('subscription_requests').select((eb) => eb.fn.max('arrival').as('arrival'))
        .where('owner', '=', owner).executeTakeFirst();
      const arrival = Number(last?.arrival ?? 0) + 1;
      await db.insertInto('subscription_requests').values({ owner, requester: from, stanza, received_at: receivedAt, arrival })
        .onConflict((oc) => oc.columns(['owner', 'requester']).doUpdateSet({ stanza, received_at: receivedAt, arrival }))
        .execute();
    });
  }

  async get(owner: string, from: string): Promise<SubscriptionRequest | null> {
    const row = await this.scope.db.selectFrom('subscription_requests').select(COLUMNS)
      .where('owner', '=', owner).where('requester', '=', from).executeTakeFirst();
    return row ? toRequest(row) : null;
  }

  async list(owner: string): Promise<SubscriptionRequest[]> {
    // oldest first; arrival order breaks ties between equal timestamps
    const rows = await this.scope.db.selectFrom('subscription_requests').select(COLUMNS)
      .where('owner', '=', owner).orderBy('received_at').orderBy('arrival').execute();
    return rows.map(toRequest);
  }

  async remove(owner: string, from: string): Promise<boolean> {
    const deleted = await this.scope.db.deleteFrom('subscription_requests')
      .where('owner', '=', owner).where('requester', '=', from).executeTakeFirst();
    return count(deleted.numDeletedRows) > 0;
  }

  async count(owner: string): Promise<number> {
    const row = await this.scope.db.selectFrom('subscription_requests').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('owner', '=', owner).executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
