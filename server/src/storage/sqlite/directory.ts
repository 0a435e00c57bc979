// The embedded suite directory (directory/types.ts) and event log on the SQLite file.

import type BetterSqlite3 from 'better-sqlite3';
import type { Directory } from '../../directory/types.ts';
import type { SuiteEventLog } from '../types.ts';
import { SqliteDomainDirectory } from './directory-domains.ts';
import { SqliteGroupDirectory } from './directory-groups.ts';
import { SqliteUserDirectory } from './directory-users.ts';

export class SqliteDirectory implements Directory {
  readonly domains: SqliteDomainDirectory;
  readonly users: SqliteUserDirectory;
  readonly groups: SqliteGroupDirectory;

  constructor(db: BetterSqlite3.Database) {
    this.domains = new SqliteDomainDirectory(db);
    this.users = new SqliteUserDirectory(db);
    this.groups = new SqliteGroupDirectory(db);
  }
}

/** Entries older than this are dropped when a new one is written: the log is a relay, not a history. */
const EVENT_LOG_RETENTION_MS = 60 * 60 * 1000;

export class SqliteSuiteEventLog implements SuiteEventLog {
  private readonly insert;
  private readonly prune;
  private readonly selectSince;
  private readonly selectLast;

  constructor(db: BetterSqlite3.Database) {
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
