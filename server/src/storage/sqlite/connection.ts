// The SQLite connection the state storage shares with the embedded directory and the suite event
// log, with the one-at-a-time transactions of Storage.transaction().
//
// better-sqlite3 is synchronous, so a transaction whose work only awaits the stores it was given
// runs from BEGIN to COMMIT within one turn of the event loop (promise callbacks only). Other
// callers' store calls could still run in between (their promise callbacks interleave with the
// transaction's): the stores handed out by guard() wait until the transaction ended, so they never
// write into it nor read its uncommitted state. A transaction that waits for anything else (I/O,
// a timer) would hold the file's write lock while other connections (the archive's) block on it:
// it is rolled back with TransactionSpannedIoError.

import type BetterSqlite3 from 'better-sqlite3';

export class TransactionSpannedIoError extends Error {
  override name = 'TransactionSpannedIoError';
  constructor() {
    super('a storage transaction waited for something other than its stores; it was rolled back');
  }
}

type Method = (...args: unknown[]) => unknown;

/** A transaction open this long is stuck (see transaction()). */
const STUCK_MS = 2000;

/** Methods of an object and its prototypes (up to Object.prototype), by name. */
function methodNames(store: object): string[] {
  const names = new Set<string>();
  for (let proto: object | null = store; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor') continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (descriptor && typeof descriptor.value === 'function') names.add(name);
    }
  }
  return [...names];
}

export class SqliteConnection {
  /** Settles when the open transaction ends; null when none is open. */
  private current: Promise<void> | null = null;

  constructor(readonly db: BetterSqlite3.Database) {}

  get open(): boolean {
    return this.db.open;
  }

  /** Calls `method` once no transaction is open (checked in the same turn as the call). */
  private async whenIdle(method: Method, store: object, args: unknown[]): Promise<unknown> {
    while (this.current) await this.current;
    return method.apply(store, args);
  }

  /**
   * A view of `store` whose methods wait while a transaction is open (each store method returns a
   * promise, so waiting changes nothing for the caller). Other properties read through.
   */
  guard<T extends object>(store: T): T {
    const guarded = Object.create(store) as Record<string, Method>;
    for (const name of methodNames(store)) {
      const method = (store as unknown as Record<string, Method>)[name]!;
      guarded[name] = (...args: unknown[]) => (this.current === null
        ? method.apply(store, args)
        : this.whenIdle(method, store, args));
    }
    return guarded as unknown as T;
  }

  /**
   * Runs `work` in one write transaction (BEGIN IMMEDIATE … COMMIT), after any transaction already
   * open; rolls back when it throws. `work` must use only the unguarded stores it is given: a
   * guarded store called inside waits for the transaction to end, which waits for it.
   */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    // waiting and claiming in the same turn: two waiters never both start
    while (this.current) await this.current;
    let end!: () => void;
    this.current = new Promise<void>((resolve) => { end = resolve; });
    let turned = false;
    let stuck: NodeJS.Timeout | undefined;
    const probe = setImmediate(() => {
      turned = true;
      // a work that calls the guarded stores waits for its own transaction: say so rather than hang quietly
      stuck = setTimeout(() => process.emitWarning(`a storage transaction is still open after ${STUCK_MS} ms: its work waits for `
        + 'something other than the stores it was given (an outside store call inside a transaction never returns)'), STUCK_MS);
      stuck.unref();
    });
    try {
      this.db.exec('BEGIN IMMEDIATE');
      const result = await work();
      if (turned) throw new TransactionSpannedIoError();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.open && this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    } finally {
      clearImmediate(probe);
      clearTimeout(stuck);
      this.current = null;
      end();
    }
  }
}
