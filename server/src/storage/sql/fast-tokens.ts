// FastTokenStore on the query layer: FAST tokens (XEP-0484), two slots per account and client
// ('new' and 'current', XEP-0484 §5.1), holding the token's SHA-256 and never the token itself.
import { sql } from './kysely.ts';
import type { FastTokenRecord, FastTokenSlot, FastTokenStore, NewFastToken } from '../types.ts';
import { ACCOUNTS_SCHEMA } from './accounts.ts';
import { count, type SqlScope } from './database.ts';
import type { SqlFeatureSchema } from './schema.ts';
import type { FastTokensTable, StateDb } from './tables.ts';

export const FAST_TOKENS_SCHEMA: SqlFeatureSchema = {
  feature: 'fast-tokens',
  // its triggers are on the accounts' tables
  requires: [ACCOUNTS_SCHEMA],
  migrations: [{
    description: 'FAST tokens (XEP-0484): per account and client, a new and a current slot',
    statements: ({ schema, type, withoutRowid, afterDelete }) => [
      withoutRowid(schema.createTable('fast_tokens')
        .addColumn('jid', type.text, (col) => col.notNull())
        .addColumn('client_id', type.text, (col) => col.notNull())
        .addColumn('slot', type.text, (col) => col.notNull().check(sql`slot IN ('new', 'current')`))
        .addColumn('mechanism', type.text, (col) => col.notNull())
        .addColumn('key_hash', type.text, (col) => col.notNull())
        .addColumn('issued_at', type.integer, (col) => col.notNull())
        .addColumn('expires_at', type.integer, (col) => col.notNull())
        .addColumn('user_agent', type.text)
        .addPrimaryKeyConstraint('fast_tokens_pk', ['jid', 'client_id', 'slot'])),
      schema.createIndex('fast_tokens_expiry').on('fast_tokens').column('expires_at'),
      // A new password (credentials replaced) or a deleted account ends every token of the account,
      // whichever path changed it (admin API, CLI, suite bus).
      ...afterDelete('credentials_fast_tokens_cleanup', 'credentials', ['DELETE FROM fast_tokens WHERE jid = OLD.jid']),
      ...afterDelete('accounts_fast_tokens_cleanup', 'accounts', ['DELETE FROM fast_tokens WHERE jid = OLD.jid']),
    ],
  }],
};

const COLUMNS = ['jid', 'client_id', 'slot', 'mechanism', 'key_hash', 'issued_at', 'expires_at', 'user_agent'] as const;

function toRecord(row: FastTokensTable): FastTokenRecord {
  return {
    jid: row.jid, clientId: row.client_id, slot: row.slot, mechanism: row.mechanism, keyHash: row.key_hash,
    issuedAt: row.issued_at, expiresAt: row.expires_at, userAgent: row.user_agent,
  };
}

async function put(db: StateDb, row: FastTokensTable): Promise<void> {
  await db.insertInto('fast_tokens').values(row)
    .onConflict((oc) => oc.columns(['jid', 'client_id', 'slot']).doUpdateSet({
      mechanism: row.mechanism, key_hash: row.key_hash, issued_at: row.issued_at, expires_at: row.expires_at, user_agent: row.user_agent,
    }))
    .execute();
}

function selectClient(db: StateDb, jid: string, clientId: string) {
  // 'new' sorts before 'current' descending: the slot to try first comes first (XEP-0484 §5.1)
  return db.selectFrom('fast_tokens').select(COLUMNS).where('jid', '=', jid).where('client_id', '=', clientId).orderBy('slot', 'desc');
}

export class SqlFastTokenStore implements FastTokenStore {
  constructor(private readonly scope: SqlScope) {}

  async forClient(jid: string, clientId: string): Promise<FastTokenRecord[]> {
    return (await selectClient(this.scope.db, jid, clientId).execute()).map(toRecord);
  }

  async forAccount(jid: string): Promise<FastTokenRecord[]> {
    const rows = await this.scope.db.selectFrom('fast_tokens').select(COLUMNS).where('jid', '=', jid)
      .orderBy('client_id').orderBy('slot', 'desc').execute();
    return rows.map(toRecord);
  }

  async putNew(token: NewFastToken): Promise<void> {
    await put(this.scope.db, {
      jid: token.jid, client_id: token.clientId, slot: 'new', mechanism: token.mechanism, key_hash: token.keyHash,
      issued_at: token.issuedAt, expires_at: token.expiresAt, user_agent: token.userAgent,
    });
  }

  async promote(jid: string, clientId: string): Promise<boolean> {
    return this.scope.atomic(async (db) => {
      const fresh = (await selectClient(db, jid, clientId).execute()).find((row) => row.slot === 'new');
      if (!fresh) return false;
      await db.deleteFrom('fast_tokens').where('jid', '=', jid).where('client_id', '=', clientId).where('slot', '=', 'new').execute();
      await put(db, { ...fresh, slot: 'current' });
      return true;
    });
  }

  async remove(jid: string, clientId: string, slot?: FastTokenSlot): Promise<number> {
    let query = this.scope.db.deleteFrom('fast_tokens').where('jid', '=', jid).where('client_id', '=', clientId);
    if (slot) query = query.where('slot', '=', slot);
    return count((await query.executeTakeFirst()).numDeletedRows);
  }

  async removeAccount(jid: string): Promise<number> {
    return count((await this.scope.db.deleteFrom('fast_tokens').where('jid', '=', jid).executeTakeFirst()).numDeletedRows);
  }

  async removeExpired(now: number): Promise<number> {
    return count((await this.scope.db.deleteFrom('fast_tokens').where('expires_at', '<=', now).executeTakeFirst()).numDeletedRows);
  }
}
