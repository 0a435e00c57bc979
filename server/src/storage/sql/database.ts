// The connection a SQL backend gives the stores written once on the query layer (storage/sql/):
// a Kysely instance for SQLite (better-sqlite3, storage/sqlite/connection.ts) or PostgreSQL (pg,
// storage/postgres/), and its transactions.
import type { Kysely, Transaction } from 'kysely';
import type { SqlDialect } from './schema.ts';
import type { StateDb, StateTables } from './tables.ts';

export interface SqlDatabase {
  readonly dialect: SqlDialect;
  readonly db: Kysely<StateTables>;
  /**
   * Runs `work` in one serializable transaction, committing when it returns and rolling back when it
   * throws. `work` may run more than once (PostgreSQL retries a transaction that lost a
   * serialization conflict), so it does nothing but queries on the transaction it is given.
   */
  transaction<T>(work: (trx: Transaction<StateTables>) => Promise<T>): Promise<T>;
  /** Runs several reads that see one state (SQLite: the connection held; PostgreSQL: one repeatable-read transaction). */
  read<T>(work: (db: StateDb) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Where a store runs its queries: the database itself (outside a transaction) or an open
 * transaction (Storage.transaction()). `atomic` runs several queries as one change: in a
 * transaction of their own outside, or as part of the open one inside.
 */
export interface SqlScope {
  readonly dialect: SqlDialect;
  readonly db: StateDb;
  atomic<T>(work: (db: StateDb) => Promise<T>): Promise<T>;
  /** Several reads that see one state: without a write lock outside, within the open transaction inside. */
  read<T>(work: (db: StateDb) => Promise<T>): Promise<T>;
}

export function outsideScope(database: SqlDatabase): SqlScope {
  return { dialect: database.dialect, db: database.db, atomic: (work) => database.transaction(work), read: (work) => database.read(work) };
}

export function insideScope(dialect: SqlDialect, trx: Transaction<StateTables>): SqlScope {
  return { dialect, db: trx, atomic: (work) => work(trx), read: (work) => work(trx) };
}

/** Rows a Kysely write result counts (numAffectedRows and the like are bigints). */
export function count(rows: bigint | undefined): number {
  return Number(rows ?? 0n);
}
