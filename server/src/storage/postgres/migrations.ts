// Runs the feature migrations (storage/sql/schema.ts) on PostgreSQL: each pending one in its own
// transaction with its schema_migrations row (PostgreSQL's DDL is transactional, so a crash leaves a
// consistent version), under an advisory lock so that nodes starting together migrate once.
import { sql } from '../sql/kysely.ts';
import type { Kysely } from 'kysely';
import { compileMigration, type SqlFeatureSchema } from '../sql/schema.ts';

/** pg_advisory_xact_lock key of Parley's migrations (any constant no other program of the database uses). */
const MIGRATION_LOCK = 0x7061726c; // 'parl'

interface MigrationTables {
  schema_migrations: { feature: string; version: number; description: string; applied_at: number };
}

export async function migratePostgres(db: Kysely<unknown>, schemas: readonly SqlFeatureSchema[]): Promise<void> {
  const kysely = db as Kysely<MigrationTables>;
  await kysely.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
    await trx.schema.createTable('schema_migrations').ifNotExists()
      .addColumn('feature', 'text', (col) => col.notNull())
      .addColumn('version', 'integer', (col) => col.notNull())
      .addColumn('description', 'text', (col) => col.notNull())
      .addColumn('applied_at', 'bigint', (col) => col.notNull())
      .addPrimaryKeyConstraint('schema_migrations_pk', ['feature', 'version'])
      .execute();
  });
  const done = new Set<string>();
  const run = async (schema: SqlFeatureSchema): Promise<void> => {
    if (done.has(schema.feature)) return;
    for (const required of schema.requires ?? []) await run(required);
    done.add(schema.feature);
    for (let version = 1; version <= schema.migrations.length; version++) {
      await kysely.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
        const applied = await trx.selectFrom('schema_migrations').select('version').where('feature', '=', schema.feature).execute();
        const newest = Math.max(0, ...applied.map((row) => Number(row.version)));
        if (newest > schema.migrations.length) {
          throw new Error(`the ${schema.feature} schema of this database (version ${newest}) is newer than this server supports (${schema.migrations.length})`);
        }
        if (applied.some((row) => Number(row.version) === version)) return;
        const migration = schema.migrations[version - 1]!;
        for (const statement of compileMigration(migration, 'postgres')) await trx.executeQuery(statement);
        await trx.insertInto('schema_migrations')
          .values({ feature: schema.feature, version, description: migration.description, applied_at: Date.now() }).execute();
      });
    }
  };
  for (const schema of schemas) await run(schema);
}
