// vitest globalSetup of the integration tests: with PARLEY_TEST_STORAGE=postgres, one PostgreSQL 15
// for the whole run (test/helpers/postgres.ts), its URL provided to the tests (test-storage.ts);
// stopped when the run ends. Without it, nothing is started.
import type { TestProject } from 'vitest/node';
import { openDataStores } from '../../server/src/data-folder.ts';
import { databaseOf, startPostgres, type PostgresServer } from './postgres.ts';

let server: PostgresServer | null = null;

export async function setup(project: TestProject): Promise<void> {
  if (process.env.PARLEY_TEST_STORAGE !== 'postgres') return;
  server = await startPostgres();
  // every feature's tables migrated once, in a template each test database is copied from
  const template = await server.createDatabase();
  await (await openDataStores('', { backend: 'postgres', postgres: { url: template, poolSize: 1 } })).close();
  project.provide('parleyPostgresUrl', server.url());
  project.provide('parleyPostgresTemplate', databaseOf(template));
}

export async function teardown(): Promise<void> {
  await server?.stop();
  server = null;
}
