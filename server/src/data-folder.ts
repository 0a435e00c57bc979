// The data folder's embedded stores, opened together on its one SQLite connection (parley.db): the
// state storage, the embedded suite directory and the suite event log. The server, the `parley` CLI
// and the test helpers open them here; other backends (PostgreSQL state, an external directory)
// will be chosen here too. The embedded archive opens its own connection (archive/).
import type { Directory } from './directory/types.ts';
import { SqliteDirectory } from './directory/sqlite/index.ts';
import { openSqliteSuiteEventLog, type SuiteEventLog } from './suite-bus/event-log.ts';
import { openSqliteStorage, type Storage } from './storage/index.ts';
import type { DatabaseOptions } from './storage/sqlite/database.ts';

export interface DataStores {
  readonly storage: Storage;
  readonly directory: Directory;
  readonly suiteEventLog: SuiteEventLog;
  /** Closes the connection they share (safe to call twice). */
  close(): Promise<void>;
}

export function openDataFolder(dataDir: string, options?: DatabaseOptions): DataStores {
  // the state storage first: the directory's tables refer to its accounts
  const storage = openSqliteStorage(dataDir, options);
  try {
    return {
      storage,
      directory: new SqliteDirectory(storage.connection),
      suiteEventLog: openSqliteSuiteEventLog(storage.connection),
      close: () => storage.close(),
    };
  } catch (error) {
    void storage.close();
    throw error;
  }
}
