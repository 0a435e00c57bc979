// Migrations written once for both SQL dialects of the state storage (SQLite and PostgreSQL): a
// migration is a list of DDL statements built with Kysely's schema builder and compiled for the
// dialect at hand, so the same definition creates the same tables on either. Each backend runs them
// its own way: SQLite synchronously through storage/sqlite/migrations.ts (which also adopts legacy
// files), PostgreSQL through storage/postgres/migrations.ts. Both record applied migrations by
// feature and version in schema_migrations. Never edit a migration that has shipped: append one.
//
// The few things the two dialects spell differently are the helpers of `SchemaContext`: column
// types (an ms timestamp needs BIGINT on PostgreSQL), auto-increment ids, SQLite's WITHOUT ROWID,
// and AFTER DELETE triggers (a trigger function on PostgreSQL).
import { CompiledQuery, DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from './kysely.ts';
import type { CreateTableBuilder, Expression, SchemaModule } from 'kysely';
import type { FeatureSchema } from '../sqlite/migrations.ts';

export type SqlDialect = 'sqlite' | 'postgres';

/** Something that compiles to one SQL statement (Kysely's builders, or raw text). */
export interface Compilable {
  compile(): CompiledQuery;
}

export interface SchemaContext {
  readonly dialect: SqlDialect;
  readonly schema: SchemaModule;
  /** Column types: SQLite's affinities (spelled as the first schemas did), their PostgreSQL equivalents. */
  readonly type: {
    readonly text: Expression<unknown>;
    /** 64-bit: ms timestamps, archive positions, counters. */
    readonly integer: Expression<unknown>;
    readonly blob: Expression<unknown>;
  };
  /** SQLite's WITHOUT ROWID where it applies (a table with a primary key and no rowid use); nothing on PostgreSQL. */
  withoutRowid<T extends string, C extends string>(table: CreateTableBuilder<T, C>): CreateTableBuilder<T, C>;
  /** An id column filled in increasing order: INTEGER PRIMARY KEY [AUTOINCREMENT] on SQLite, an identity on PostgreSQL. */
  id<T extends string, C extends string>(table: CreateTableBuilder<T, C>, column: string, options?: { neverReused?: boolean }): CreateTableBuilder<T, C>;
  /** AFTER DELETE ON `table` FOR EACH ROW, running `statements` (which may refer to OLD.column). */
  afterDelete(name: string, table: string, statements: readonly string[]): Compilable[];
  /** A statement as it is (the same text on both dialects, or chosen by `dialect`). */
  raw(text: string): Compilable;
}

export interface SqlMigration {
  description: string;
  statements(context: SchemaContext): Compilable[];
}

/** One feature's tables, as in storage/sqlite/migrations.ts, with migrations for both dialects. */
export interface SqlFeatureSchema {
  feature: string;
  migrations: readonly SqlMigration[];
  /** Features whose tables these refer to (foreign keys, triggers): migrated first. */
  requires?: readonly SqlFeatureSchema[];
}

/** Kysely instances that only compile (DummyDriver): the statements of a migration for one dialect. */
const compilers: Record<SqlDialect, Kysely<unknown>> = {
  sqlite: new Kysely<unknown>({
    dialect: {
      createAdapter: () => new SqliteAdapter(), createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new SqliteIntrospector(db), createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  }),
  postgres: new Kysely<unknown>({
    dialect: {
      createAdapter: () => new PostgresAdapter(), createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db), createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  }),
};

const raw = (text: string): Compilable => ({ compile: () => CompiledQuery.raw(text) });

function schemaContext(dialect: SqlDialect): SchemaContext {
  const sqlite = dialect === 'sqlite';
  return {
    dialect,
    schema: compilers[dialect].schema,
    type: {
      text: sql`TEXT`,
      integer: sqlite ? sql`INTEGER` : sql`BIGINT`,
      blob: sqlite ? sql`BLOB` : sql`BYTEA`,
    },
    withoutRowid: (table) => (sqlite ? table.modifyEnd(sql`WITHOUT ROWID`) : table),
    id: (table, column, options = {}) => (sqlite
      ? table.addColumn(column, sql`INTEGER`, (col) => (options.neverReused ? col.primaryKey().autoIncrement() : col.primaryKey()))
      : table.addColumn(column, sql`BIGINT`, (col) => col.primaryKey().generatedByDefaultAsIdentity())),
    afterDelete: (name, table, statements) => (sqlite
      ? [raw(`CREATE TRIGGER ${name} AFTER DELETE ON ${table} BEGIN\n${statements.map((s) => `  ${s};`).join('\n')}\nEND`)]
      : [
        raw(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN\n${statements.map((s) => `  ${s};`).join('\n')}\n  RETURN OLD;\nEND $$`),
        raw(`CREATE TRIGGER ${name} AFTER DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`),
      ]),
    raw,
  };
}

const contexts: Record<SqlDialect, SchemaContext> = { sqlite: schemaContext('sqlite'), postgres: schemaContext('postgres') };

/** The migration's statements for `dialect`. */
export function compileMigration(migration: SqlMigration, dialect: SqlDialect): CompiledQuery[] {
  return migration.statements(contexts[dialect]).map((statement) => statement.compile());
}

const sqliteSchemas = new WeakMap<SqlFeatureSchema, FeatureSchema>();

/** The feature as the SQLite migration runner (storage/sqlite/migrations.ts) takes it. */
export function sqliteSchema(schema: SqlFeatureSchema): FeatureSchema {
  let converted = sqliteSchemas.get(schema);
  if (!converted) {
    converted = {
      feature: schema.feature,
      requires: schema.requires?.map(sqliteSchema),
      migrations: schema.migrations.map((migration) => ({
        description: migration.description,
        up(db) {
          for (const statement of compileMigration(migration, 'sqlite')) {
            if (statement.parameters.length > 0) db.prepare(statement.sql).run(...statement.parameters);
            else db.exec(statement.sql);
          }
        },
      })),
    };
    sqliteSchemas.set(schema, converted);
  }
  return converted;
}
