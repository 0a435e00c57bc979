// The state storage contract (storage/contract/), the pubsub store's (pubsub/contract.ts) and the
// directory's with the suite event log (directory/contract.ts) on PostgreSQL 15: one server for the file (test/helpers/postgres.ts), a database of its own per test.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseOf, startPostgres, type PostgresServer } from '../../../../test/helpers/postgres.ts';
import { storageContract } from '../contract/index.ts';
import { pubSubStoreContract } from '../../pubsub/contract.ts';
import { directoryContract } from '../../directory/contract.ts';
import { openDataStores } from '../../data-folder.ts';
import { openPostgresStorage } from './index.ts';

let server: PostgresServer;
/** Every feature's tables migrated once (the migrations themselves run here, and below). */
let template: string;
let shared: string;

beforeAll(async () => {
  server = await startPostgres();
  const url = await server.createDatabase();
  await (await openDataStores('', { backend: 'postgres', postgres: { url, poolSize: 1 } })).close();
  template = databaseOf(url);
  shared = await server.createDatabase(template);
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

/**
 * The shared database emptied for the next test: every table but schema_migrations truncated, ids
 * restarted (a copy of the template per test costs half a second of CREATE DATABASE here).
 */
async function emptied(): Promise<string> {
  const client = new pg.Client({ connectionString: shared });
  await client.connect();
  try {
    const { rows } = await client.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'");
    await client.query(`TRUNCATE ${rows.map((row) => `"${row.tablename}"`).join(', ')} RESTART IDENTITY CASCADE`);
  } finally {
    await client.end();
  }
  return shared;
}

storageContract('PostgreSQL', async () => {
  const storage = await openPostgresStorage({ url: await emptied(), poolSize: 4 });
  return { storage, dispose: () => storage.close() };
});

pubSubStoreContract('PostgreSQL', async () => {
  const data = await openDataStores('', { backend: 'postgres', postgres: { url: await emptied(), poolSize: 4 } });
  return {
    store: data.pubsub,
    createAccount: async (jid) => { await data.storage.accounts.create(jid, []); },
    deleteAccount: async (jid) => { await data.storage.accounts.delete(jid); },
    dispose: () => data.close(),
  };
});

directoryContract('PostgreSQL', async () => {
  const data = await openDataStores('', { backend: 'postgres', postgres: { url: await emptied(), poolSize: 4 } });
  return { data, dispose: () => data.close() };
});

describe('PostgreSQL migrations', () => {
  async function query<R extends object>(url: string, text: string): Promise<R[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<R>(text)).rows;
    } finally {
      await client.end();
    }
  }

  it('two nodes starting together on an empty database migrate it once', async () => {
    const url = await server.createDatabase();
    const nodes = await Promise.all([1, 2].map(() => openDataStores('', { backend: 'postgres', postgres: { url, poolSize: 2 } })));
    try {
      const applied = await query<{ feature: string; version: number }>(url, 'SELECT feature, version FROM schema_migrations ORDER BY feature, version');
      expect(applied).toContainEqual({ feature: 'accounts', version: 1 });
      expect(applied).toContainEqual({ feature: 'directory', version: 3 });
      expect(applied).toContainEqual({ feature: 'subscription-requests', version: 2 });
      // one row each: the primary key would have refused a second, and the tables exist once
      expect(new Set(applied.map((row) => `${row.feature} ${row.version}`)).size).toBe(applied.length);
      await nodes[0]!.storage.accounts.create('alice@example.com', []);
      expect(await nodes[1]!.storage.accounts.get('alice@example.com')).toMatchObject({ jid: 'alice@example.com' });
    } finally {
      for (const node of nodes) await node.close();
    }
  });

  it('refuses a database on which a newer Parley applied migrations this code does not know', async () => {
    const url = await server.createDatabase(template);
    await query(url, "INSERT INTO schema_migrations (feature, version, description, applied_at) VALUES ('roster', 99, 'from the future', 0)");
    await expect(openDataStores('', { backend: 'postgres', postgres: { url, poolSize: 1 } })).rejects.toThrow(/roster schema of this database \(version 99\) is newer/);
  });
});
