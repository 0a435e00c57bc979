// PostgreSQL state storage (`storage.backend: postgres`): the stores of the query layer
// (storage/sql/) on a pool of `pg` connections, for nodes that share their state. Transactions are
// SERIALIZABLE and retried when PostgreSQL reports a serialization failure or a deadlock
// (SQLSTATE 40001, 40P01): the work of Storage.transaction() only queries, so running it again is safe.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Kysely, PostgresDialect } from '../sql/kysely.ts';
import type { Transaction } from 'kysely';
import { SqlStorage, STATE_SCHEMAS } from '../sql/index.ts';
import type { SqlDatabase } from '../sql/database.ts';
import type { SqlFeatureSchema } from '../sql/schema.ts';
import type { StateDb, StateTables } from '../sql/tables.ts';
import { migratePostgres } from './migrations.ts';

export interface PostgresOptions {
  /** postgres://user:password@host:port/database (libpq's connection URI). */
  url: string;
  /** Connections in the pool. */
  poolSize?: number;
}

/** Tries of a transaction that keeps losing serialization conflicts before its error is thrown. */
const TRANSACTION_TRIES = 30;
const RETRYABLE = new Set(['40001', '40P01']);

const INT8_OID = 20;
/**
 * BIGINT columns (ms timestamps, ids, counts) as JavaScript numbers, as SQLite gives them: pg returns
 * them as strings. Parley's values stay below 2^53 (archive positions are ms × 4096).
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID && format !== 'binary'
    ? (value: string) => Number(value)
    : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
};

function retryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && RETRYABLE.has((error as { code?: string }).code ?? '');
}

export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres' as const;
  readonly db: Kysely<StateTables>;
  private closed = false;

  constructor(readonly pool: pg.Pool) {
    this.db = new Kysely<StateTables>({ dialect: new PostgresDialect({ pool }) });
  }

  async transaction<T>(work: (trx: Transaction<StateTables>) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction().setIsolationLevel('serializable').execute(work);
      } catch (error) {
        if (!retryable(error) || attempt >= TRANSACTION_TRIES) throw error;
        // back off with jitter, so that the conflicting transactions do not meet again
        await sleep(Math.random() * Math.min(100, 2 ** attempt));
      }
    }
  }

  read<T>(work: (db: StateDb) => Promise<T>): Promise<T> {
    return this.db.transaction().setIsolationLevel('repeatable read').execute(work);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy();
  }
}

/** Connects (checking the server answers) and migrates `schemas` (default: the state storage's). */
export async function openPostgresDatabase(options: PostgresOptions, schemas: readonly SqlFeatureSchema[] = STATE_SCHEMAS): Promise<PostgresDatabase> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10, types });
  // an idle connection that fails (the server restarted) is dropped from the pool; the next query opens another
  pool.on('error', () => {});
  const database = new PostgresDatabase(pool);
  try {
    await migratePostgres(database.db as Kysely<unknown>, schemas);
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** The state storage on PostgreSQL, its tables migrated. */
export async function openPostgresStorage(options: PostgresOptions, schemas?: readonly SqlFeatureSchema[]): Promise<SqlStorage> {
  return new SqlStorage(await openPostgresDatabase(options, schemas));
}
