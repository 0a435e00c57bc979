// The suite event log: events written by one process (the `parley` CLI) for another (the running
// server) to pick up (event-bus.ts EventLogRelay). A table of the state storage's database (SQLite
// in the data folder, or PostgreSQL), on the query layer.
import { outsideScope, type SqlDatabase, type SqlScope } from '../storage/sql/database.ts';
import type { SqlFeatureSchema } from '../storage/sql/schema.ts';

export interface SuiteEventLog {
  /** Appends a serialized event; returns its id (ids only grow). */
  append(event: string, at: number): Promise<number>;
  /** Entries after `id`, oldest first (a bounded batch). */
  since(id: number): Promise<Array<{ id: number; event: string }>>;
  lastId(): Promise<number>;
}

export const SUITE_EVENT_LOG_SCHEMA: SqlFeatureSchema = {
  feature: 'suite-event-log',
  migrations: [{
    description: 'suite events raised by other processes',
    statements: ({ schema, type, id }) => [
      // Suite events raised by other processes (the CLI), polled by the running server.
      id(schema.createTable('suite_events'), 'id', { neverReused: true })
        .addColumn('event', type.text, (col) => col.notNull())
        .addColumn('created_at', type.integer, (col) => col.notNull()),
    ],
  }],
};

/** Entries older than this are dropped when a new one is written: the log is a relay, not a history. */
const EVENT_LOG_RETENTION_MS = 60 * 60 * 1000;

class SqlSuiteEventLog implements SuiteEventLog {
  constructor(private readonly scope: SqlScope) {}

  async append(event: string, at: number): Promise<number> {
    return this.scope.atomic(async (db) => {
      await db.deleteFrom('suite_events').where('created_at', '<', at - EVENT_LOG_RETENTION_MS).execute();
      const row = await db.insertInto('suite_events').values({ event, created_at: at }).returning('id').executeTakeFirstOrThrow();
      return Number(row.id);
    });
  }

  async since(id: number): Promise<Array<{ id: number; event: string }>> {
    const rows = await this.scope.db.selectFrom('suite_events').select(['id', 'event']).where('id', '>', id).orderBy('id').limit(1000).execute();
    return rows.map((row) => ({ id: Number(row.id), event: row.event }));
  }

  async lastId(): Promise<number> {
    const row = await this.scope.db.selectFrom('suite_events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
    return Number(row?.id ?? 0);
  }
}

/** The event log on the state storage's database (its table migrated: SUITE_EVENT_LOG_SCHEMA). */
export function openSqlSuiteEventLog(database: SqlDatabase): SuiteEventLog {
  return new SqlSuiteEventLog(outsideScope(database));
}
