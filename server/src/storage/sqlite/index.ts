// Embedded storage backend: one SQLite file in WAL mode, `dataDir/parley.db`.

import type BetterSqlite3 from 'better-sqlite3';
import type { Storage } from '../types.ts';
import { SqliteAccountStore } from './accounts.ts';
import { openDatabase, type DatabaseOptions } from './database.ts';
import { SqliteDomainStore } from './domains.ts';
import { SqliteOfflineStore } from './offline.ts';
import { SqliteRosterStore } from './roster.ts';
import { SqliteSubscriptionRequestStore } from './subscription-requests.ts';
import { SqliteVCardStore } from './vcards.ts';
import { SqliteDirectory, SqliteSuiteEventLog } from './directory.ts';

export class SqliteStorage implements Storage {
  readonly accounts: SqliteAccountStore;
  readonly domains: SqliteDomainStore;
  readonly roster: SqliteRosterStore;
  readonly subscriptionRequests: SqliteSubscriptionRequestStore;
  readonly offline: SqliteOfflineStore;
  readonly vcards: SqliteVCardStore;
  readonly directory: SqliteDirectory;
  readonly suiteEvents: SqliteSuiteEventLog;

  /** The connection, for features that keep their own tables in the same file (pubsub/sqlite/). */
  constructor(readonly db: BetterSqlite3.Database) {
    this.accounts = new SqliteAccountStore(db);
    this.domains = new SqliteDomainStore(db);
    this.roster = new SqliteRosterStore(db);
    this.subscriptionRequests = new SqliteSubscriptionRequestStore(db);
    this.offline = new SqliteOfflineStore(db);
    this.vcards = new SqliteVCardStore(db);
    this.directory = new SqliteDirectory(db);
    this.suiteEvents = new SqliteSuiteEventLog(db);
  }

  /** Folds the WAL back into the main file and closes. Safe to call twice. */
  async close(): Promise<void> {
    if (!this.db.open) return;
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}

/** Opens (creating and migrating as needed) the store at `dataDir/parley.db`. */
export function openSqliteStorage(dataDir: string, options?: DatabaseOptions): SqliteStorage {
  return new SqliteStorage(openDatabase(dataDir, options));
}

export { DB_FILENAME } from './database.ts';
