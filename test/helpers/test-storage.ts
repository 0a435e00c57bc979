// Which state storage the integration tests' servers use: the data folder's SQLite file (default),
// or PostgreSQL with PARLEY_TEST_STORAGE=postgres — one PostgreSQL 15 for the whole run, started by
// test/helpers/postgres-global-setup.ts, a database of its own per test data folder.
import { inject } from 'vitest';
import { openDataStores, type DataStores, type StorageSettings } from '../../server/src/data-folder.ts';
import { createDatabase } from './postgres.ts';

export type TestStorageBackend = 'sqlite' | 'postgres';

export const testStorageBackend: TestStorageBackend = process.env.PARLEY_TEST_STORAGE === 'postgres' ? 'postgres' : 'sqlite';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The maintenance database's URL of the run's PostgreSQL (PARLEY_TEST_STORAGE=postgres). */
    parleyPostgresUrl: string;
    /** A database with every feature's tables migrated, copied for each test data folder. */
    parleyPostgresTemplate: string;
  }
}

/** data folder → its PostgreSQL database (two servers on one data folder share one database). */
const databases = new Map<string, Promise<string>>();
let created = 0;

async function newDatabase(adminUrl: string, template: string): Promise<string> {
  const name = `parley_test_${process.pid}_${++created}_${Math.random().toString(36).slice(2, 8)}`;
  await createDatabase(adminUrl, name, template);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The `storage` configuration of the test servers on this data folder. */
export async function testStorageSettings(dataDir: string): Promise<StorageSettings> {
  if (testStorageBackend === 'sqlite') return { backend: 'sqlite' };
  let url = databases.get(dataDir);
  if (!url) {
    const adminUrl = inject('parleyPostgresUrl');
    if (!adminUrl) throw new Error('PARLEY_TEST_STORAGE=postgres but no PostgreSQL was started (the integration project\'s globalSetup starts it)');
    // a copy of the migrated template: a server starts without running the migrations
    url = newDatabase(adminUrl, inject('parleyPostgresTemplate'));
    databases.set(dataDir, url);
  }
  return { backend: 'postgres', postgres: { url: await url, poolSize: 5 } };
}

/** The state stores of a test data folder, where its servers keep them. */
export async function openTestDataStores(dataDir: string): Promise<DataStores> {
  return openDataStores(dataDir, await testStorageSettings(dataDir));
}

/** The environment that points a `parley` CLI process at the same state stores as a test server (config.ts PARLEY_POSTGRES_URL). */
export function storageEnv(settings: StorageSettings): NodeJS.ProcessEnv {
  return settings.backend === 'postgres'
    ? { ...process.env, PARLEY_STORAGE_BACKEND: 'postgres', PARLEY_POSTGRES_URL: settings.postgres?.url ?? '' }
    : { ...process.env };
}
