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

/** The features and their requirements, each once, in migration order. */
function inOrder(schemas: readonly SqlFeatureSchema[]): SqlFeatureSchema[] {
  const out: SqlFeatureSchema[] = [];
  const visit = (schema: SqlFeatureSchema) => {
    if (out.some((known) => known.feature === schema.feature)) return;
    for (const required of schema.requires ?? []) visit(required);
    out.push(schema);
  };
  for (const schema of schemas) visit(schema);
  return out;
}

/** True when every migration of `schemas` is applied (one query: a node's usual start), false when some are not or the table is missing. */
async function upToDate(db: Kysely<MigrationTables>, schemas: readonly SqlFeatureSchema[]): Promise<boolean> {
  let applied: Array<{ feature: string; version: number }>;
  try {
    applied = await db.selectFrom('schema_migrations').select(['feature', 'version']).execute();
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') return false; // undefined_table: a new database
    throw error;
  }
  const versions = new Map<string, Set<number>>();
  for (const row of applied) versions.set(row.feature, (versions.get(row.feature) ?? new Set()).add(Number(row.version)));
  return schemas.every((schema) => {
    const have = versions.get(schema.feature) ?? new Set();
    // a newer version than this code knows is refused on the slow path, with its message
    return [...have].every((version) => version <= schema.migrations.length)
      && schema.migrations.every((_, index) => have.has(index + 1));
  });
}

export async function migratePostgres(db: Kysely<unknown>, schemas: readonly SqlFeatureSchema[]): Promise<void> {
  const kysely = db as Kysely<MigrationTables>;
  const ordered = inOrder(schemas);
  if (await upToDate(kysely, ordered)) return;
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
  for (const schema of ordered) {
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
  }
}
