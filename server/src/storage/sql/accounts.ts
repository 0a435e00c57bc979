// AccountStore on the query layer: accounts and their SCRAM credentials (RFC 5802 §3).
import { StorageConflictError, StorageNotFoundError } from '../errors.ts';
import type { Account, AccountStore, ScramCredential } from '../types.ts';
import { count, type SqlScope } from './database.ts';
import type { SqlFeatureSchema } from './schema.ts';
import type { StateDb } from './tables.ts';
import { sql } from './kysely.ts';

export const ACCOUNTS_SCHEMA: SqlFeatureSchema = {
  feature: 'accounts',
  migrations: [{
    description: 'accounts and their SCRAM verifiers',
    statements: ({ schema, type }) => [
      schema.createTable('accounts')
        .addColumn('jid', type.text, (col) => col.primaryKey())
        .addColumn('domain', type.text, (col) => col.notNull())
        .addColumn('username', type.text, (col) => col.notNull())
        .addColumn('name', type.text)
        .addColumn('created_at', type.integer, (col) => col.notNull()),
      schema.createIndex('accounts_by_domain').on('accounts').columns(['domain', 'username']),
      // RFC 5802 §3 verifiers, one row per hash function.
      schema.createTable('credentials')
        .addColumn('jid', type.text, (col) => col.notNull().references('accounts.jid').onDelete('cascade'))
        .addColumn('hash', type.text, (col) => col.notNull().check(sql`hash IN ('SHA-1', 'SHA-256')`))
        .addColumn('salt', type.text, (col) => col.notNull())
        .addColumn('iterations', type.integer, (col) => col.notNull())
        .addColumn('stored_key', type.text, (col) => col.notNull())
        .addColumn('server_key', type.text, (col) => col.notNull())
        .addPrimaryKeyConstraint('credentials_pk', ['jid', 'hash']),
    ],
  }],
};

type Hash = ScramCredential['hash'];

function splitBareJid(jid: string): { username: string; domain: string } {
  // normalized input (RFC 7622 §3): a localpart cannot contain '@' (§3.3.1), so the first '@' splits
  const at = jid.indexOf('@');
  if (at <= 0 || at === jid.length - 1 || jid.includes('/')) throw new TypeError(`not a bare JID with a localpart: ${jid}`);
  return { username: jid.slice(0, at), domain: jid.slice(at + 1) };
}

async function writeCredentials(db: StateDb, jid: string, credentials: ScramCredential[]): Promise<void> {
  // A repeated hash in one credential list: the last entry wins.
  for (const c of credentials) {
    const row = { jid, hash: c.hash, salt: c.salt, iterations: c.iterations, stored_key: c.storedKey, server_key: c.serverKey };
    await db.insertInto('credentials').values(row)
      .onConflict((oc) => oc.columns(['jid', 'hash']).doUpdateSet({
        salt: row.salt, iterations: row.iterations, stored_key: row.stored_key, server_key: row.server_key,
      }))
      .execute();
  }
}

/**
 * The tables of other features keyed by an account's bare JID without a foreign key (they belong to
 * those features): account deletion clears them in the same transaction.
 */
const OWNED_ROWS = [
  ['roster_items', 'owner'], ['roster_versions', 'owner'], ['subscription_requests', 'owner'], ['offline_messages', 'recipient'],
  ['vcards', 'jid'], ['archive_preferences', 'owner'], ['key_values', 'owner'], ['blocked_jids', 'owner'],
] as const;

export class SqlAccountStore implements AccountStore {
  constructor(private readonly scope: SqlScope) {}

  async create(jid: string, credentials: ScramCredential[], name: string | null = null): Promise<void> {
    const { username, domain } = splitBareJid(jid);
    await this.scope.atomic(async (db) => {
      const inserted = await db.insertInto('accounts').values({ jid, domain, username, name, created_at: Date.now() })
        .onConflict((oc) => oc.column('jid').doNothing()).executeTakeFirst();
      if (count(inserted.numInsertedOrUpdatedRows) === 0) throw new StorageConflictError(`account already exists: ${jid}`);
      await writeCredentials(db, jid, credentials);
    });
  }

  async get(jid: string): Promise<Account | null> {
    const row = await this.scope.db.selectFrom('accounts').select(['jid', 'domain', 'username', 'name', 'created_at'])
      .where('jid', '=', jid).executeTakeFirst();
    return row ? { jid: row.jid, domain: row.domain, username: row.username, name: row.name, createdAt: row.created_at } : null;
  }

  async getCredential(jid: string, hash: Hash): Promise<ScramCredential | null> {
    const row = await this.scope.db.selectFrom('credentials').select(['hash', 'salt', 'iterations', 'stored_key', 'server_key'])
      .where('jid', '=', jid).where('hash', '=', hash).executeTakeFirst();
    return row
      ? { hash: row.hash, salt: row.salt, iterations: row.iterations, storedKey: row.stored_key, serverKey: row.server_key }
      : null;
  }

  async setCredentials(jid: string, credentials: ScramCredential[]): Promise<void> {
    await this.scope.atomic(async (db) => {
      const exists = await db.selectFrom('accounts').select('jid').where('jid', '=', jid).executeTakeFirst();
      if (!exists) throw new StorageNotFoundError(`no such account: ${jid}`);
      // the fast-tokens feature's trigger ends the account's FAST tokens with the old credentials
      await db.deleteFrom('credentials').where('jid', '=', jid).execute();
      await writeCredentials(db, jid, credentials);
    });
  }

  async delete(jid: string): Promise<boolean> {
    return this.scope.atomic(async (db) => {
      for (const [table, column] of OWNED_ROWS) {
        await db.deleteFrom(table).where(sql.ref(column), '=', jid).execute();
      }
      // credentials go with the account row (ON DELETE CASCADE)
      const deleted = await db.deleteFrom('accounts').where('jid', '=', jid).executeTakeFirst();
      return count(deleted.numDeletedRows) > 0;
    });
  }

  async listByDomain(domain: string): Promise<Account[]> {
    const rows = await this.scope.db.selectFrom('accounts').select(['jid', 'domain', 'username', 'name', 'created_at'])
      .where('domain', '=', domain).orderBy('username').execute();
    return rows.map((row) => ({ jid: row.jid, domain: row.domain, username: row.username, name: row.name, createdAt: row.created_at }));
  }
}
