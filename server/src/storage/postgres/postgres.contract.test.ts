// The state storage contract (storage/contract/), the pubsub store's (pubsub/contract.ts) and the
// directory's with the suite event log (directory/contract.ts) on PostgreSQL 15: one server for the file (test/helpers/postgres.ts), a database of its own per test.
import { afterAll, beforeAll } from 'vitest';
import { startPostgres, type PostgresServer } from '../../../../test/helpers/postgres.ts';
import { storageContract } from '../contract/index.ts';
import { pubSubStoreContract } from '../../pubsub/contract.ts';
import { directoryContract } from '../../directory/contract.ts';
import { openDataStores } from '../../data-folder.ts';
import { openPostgresStorage } from './index.ts';

let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgres();
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

storageContract('PostgreSQL', async () => {
  const storage = await openPostgresStorage({ url: await server.createDatabase(), poolSize: 4 });
  return { storage, dispose: () => storage.close() };
});

pubSubStoreContract('PostgreSQL', async () => {
  const data = await openDataStores('', { backend: 'postgres', postgres: { url: await server.createDatabase(), poolSize: 4 } });
  return {
    store: data.pubsub,
    createAccount: async (jid) => { await data.storage.accounts.create(jid, []); },
    deleteAccount: async (jid) => { await data.storage.accounts.delete(jid); },
    dispose: () => data.close(),
  };
});

directoryContract('PostgreSQL', async () => {
  const data = await openDataStores('', { backend: 'postgres', postgres: { url: await server.createDatabase(), poolSize: 4 } });
  return { data, dispose: () => data.close() };
});
