// The suite event log: events written by one process (the `parley` CLI) for another (the running
// server) to pick up (event-bus.ts EventLogRelay). The embedded implementation is a table in the
// data folder's SQLite file, on the state storage's connection.
import type { SqliteConnection } from '../storage/sqlite/connection.ts';
import { migrate, type FeatureSchema } from '../storage/sqlite/migrations.ts';

export interface SuiteEventLog {
  /** Appends a serialized event; returns its id (ids only grow). */
  append(event: string, at: number): Promise<number>;
  /** Entries after `id`, oldest first (a bounded batch). */
  since(id: number): Promise<Array<{ id: number; event: string }>>;
  lastId(): Promise<number>;
}

export const SUITE_EVENT_LOG_SCHEMA: FeatureSchema = {
  feature: 'suite-event-log',
  migrations: [{
    description: 'suite events raised by other processes',
    up(db) {
      db.exec(`
        -- Suite events raised by other processes (the CLI), polled by the running server.
        CREATE TABLE suite_events (
          id         INTEGER PRIMARY KEY AUTOINCREMENT,
          event      TEXT NOT NULL,
          created_at INTEGER NOT NULL
        );
      `);
    },
  }],
};

/** Entries older than this are dropped when a new one is written: the log is a relay, not a history. */
const EVENT_LOG_RETENTION_MS = 60 * 60 * 1000;

class SqliteSuiteEventLog implements SuiteEventLog {
  private readonly insert;
  private readonly prune;
  private readonly selectSince;
  private readonly selectLast;

  constructor(connection: SqliteConnection) {
    const db = connection.db;
    this.insert = db.prepare<[string, number]>('INSERT INTO suite_events (event, created_at) VALUES (?, ?)');
    this.prune = db.prepare<[number]>('DELETE FROM suite_events WHERE created_at < ?');
    this.selectSince = db.prepare<[number], { id: number; event: string }>(
      'SELECT id, event FROM suite_events WHERE id > ? ORDER BY id LIMIT 1000',
    );
    this.selectLast = db.prepare<[], number | null>('SELECT MAX(id) FROM suite_events').pluck();
  }

  async append(event: string, at: number): Promise<number> {
    this.prune.run(at - EVENT_LOG_RETENTION_MS);
    return Number(this.insert.run(event, at).lastInsertRowid);
  }

  async since(id: number): Promise<Array<{ id: number; event: string }>> {
    return this.selectSince.all(id);
  }

  async lastId(): Promise<number> {
    return this.selectLast.get() ?? 0;
  }
}

/** The event log on the data folder's SQLite connection (migrating its table). */
export function openSqliteSuiteEventLog(connection: SqliteConnection): SuiteEventLog {
  migrate(connection.db, SUITE_EVENT_LOG_SCHEMA);
  return connection.guard(new SqliteSuiteEventLog(connection));
}
