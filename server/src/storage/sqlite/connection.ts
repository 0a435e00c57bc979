// The SQLite connection the state storage shares with the embedded directory, the pubsub store and
// the suite event log, as a Kysely database (storage/sql/database.ts) over better-sqlite3.
//
// One connection, one query at a time (a mutex): a transaction holds the connection from BEGIN
// IMMEDIATE to COMMIT, so calls from outside wait until it ended and never write into it nor read
// its uncommitted state. better-sqlite3 is synchronous, so a transaction whose work only awaits
// its queries runs within one turn of the event loop (promise callbacks only). A transaction that
// waits for anything else (I/O, a timer) would hold the file's write lock while other connections
// (the archive's) block on it: it is rolled back with TransactionSpannedIoError.
import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from '../sql/kysely.ts';
import type { DatabaseConnection, Driver, QueryResult, Transaction } from 'kysely';
import type { SqlDatabase } from '../sql/database.ts';
import type { StateDb, StateTables } from '../sql/tables.ts';

export class TransactionSpannedIoError extends Error {
  override name = 'TransactionSpannedIoError';
  constructor() {
    super('a storage transaction waited for something other than its stores; it was rolled back');
  }
}

/** A transaction open this long is stuck (see transaction()). */
const STUCK_MS = 2000;
/** Prepared statements kept by SQL text (the query layer compiles the same few texts again and again). */
const STATEMENT_CACHE_SIZE = 500;

class BetterSqliteConnection implements DatabaseConnection {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(private readonly db: BetterSqlite3.Database) {}

  private prepare(text: string): BetterSqlite3.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(text, statement);
    }
    return statement;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.prepare(query.sql);
    const parameters = query.parameters as unknown[];
    if (statement.reader) return { rows: statement.all(...parameters) as R[] };
    const { changes, lastInsertRowid } = statement.run(...parameters);
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not used on the SQLite connection');
  }
}

/**
 * Kysely's driver on one better-sqlite3 connection: a mutex, and BEGIN IMMEDIATE for transactions.
 * The mutex hands the connection to its waiters one by one in arrival order: waking every waiter
 * at each release (a shared promise) costs O(n²) with n queries waiting, and a 5,000-contact
 * sign-in queues thousands (one per presence probe).
 */
class BetterSqliteDriver implements Driver {
  private readonly connection: BetterSqliteConnection;
  private held = false;
  /** Waiters in arrival order from `next` on (no shift per hand-off). */
  private waiters: Array<() => void> = [];
  private next = 0;

  constructor(private readonly db: BetterSqlite3.Database) {
    this.connection = new BetterSqliteConnection(db);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    if (!this.held) this.held = true;
    // the releaser passes the connection on: `held` stays true for us
    else await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    // IMMEDIATE takes the write lock at once: a deferred transaction that read first could not
    // upgrade while the archive's connection writes (SQLITE_BUSY without waiting)
    await connection.executeQuery(CompiledQuery.raw('BEGIN IMMEDIATE'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('COMMIT'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.db.open && this.db.inTransaction) await connection.executeQuery(CompiledQuery.raw('ROLLBACK'));
  }

  async releaseConnection(): Promise<void> {
    const waiter = this.waiters[this.next];
    if (!waiter) {
      this.held = false;
      this.waiters = [];
      this.next = 0;
      return;
    }
    this.waiters[this.next++] = undefined as unknown as () => void;
    if (this.next > 1024 && this.next * 2 > this.waiters.length) {
      this.waiters = this.waiters.slice(this.next);
      this.next = 0;
    }
    waiter();
  }

  async destroy(): Promise<void> {}
}

export class SqliteConnection implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  readonly db: Kysely<StateTables>;

  constructor(readonly file: BetterSqlite3.Database) {
    this.db = new Kysely<StateTables>({
      dialect: {
        createAdapter: () => new SqliteAdapter(),
        createDriver: () => new BetterSqliteDriver(file),
        createIntrospector: (db) => new SqliteIntrospector(db),
        createQueryCompiler: () => new SqliteQueryCompiler(),
      },
    });
  }

  get open(): boolean {
    return this.file.open;
  }

  /**
   * Runs `work` in one write transaction (BEGIN IMMEDIATE … COMMIT), after any transaction or query
   * already running; rolls back when it throws. `work` uses only the transaction it is given: a
   * call on the outside database waits for the transaction to end, which waits for it.
   */
  transaction<T>(work: (trx: Transaction<StateTables>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      let turned = false;
      let stuck: NodeJS.Timeout | undefined;
      const probe = setImmediate(() => {
        turned = true;
        // a work that calls the outside stores waits for its own transaction: say so rather than hang quietly
        stuck = setTimeout(() => process.emitWarning(`a storage transaction is still open after ${STUCK_MS} ms: its work waits for `
          + 'something other than the stores it was given (an outside store call inside a transaction never returns)'), STUCK_MS);
        stuck.unref();
      });
      try {
        const result = await work(trx);
        if (turned) throw new TransactionSpannedIoError();
        return result;
      } finally {
        clearImmediate(probe);
        clearTimeout(stuck);
      }
    });
  }

  /** Several reads on the connection held, without a write lock: nothing else writes on it meanwhile. */
  read<T>(work: (db: StateDb) => Promise<T>): Promise<T> {
    return this.db.connection().execute(work);
  }

  /** Folds the WAL back into the main file and closes (the directory and event log go with it). Safe to call twice. */
  async close(): Promise<void> {
    if (!this.file.open) return;
    this.file.pragma('wal_checkpoint(TRUNCATE)');
    this.file.close();
  }
}
