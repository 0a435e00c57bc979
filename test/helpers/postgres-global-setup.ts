// vitest globalSetup of the integration tests: with PARLEY_TEST_STORAGE=postgres, one PostgreSQL 15
// for the whole run (test/helpers/postgres.ts), its URL provided to the tests (test-storage.ts);
// stopped when the run ends. Without it, nothing is started.
import type { TestProject } from 'vitest/node';
import { startPostgres, type PostgresServer } from './postgres.ts';

let server: PostgresServer | null = null;

export async function setup(project: TestProject): Promise<void> {
  if (process.env.PARLEY_TEST_STORAGE !== 'postgres') return;
  server = await startPostgres();
  project.provide('parleyPostgresUrl', server.url());
}

export async function teardown(): Promise<void> {
  await server?.stop();
  server = null;
}
