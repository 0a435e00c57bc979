// The state stores, opened together on one database: the state storage, the embedded suite
// directory, the suite event log and the pubsub store — all written once on the query layer
// (storage/sql/). The database is the data folder's SQLite file (parley.db, the default) or
// PostgreSQL (`storage.backend: postgres`), chosen here. The server, the `parley` CLI and the test
// helpers open them here. The embedded archive opens its own SQLite connection (archive/).
import type { Directory } from './directory/types.ts';
import { DIRECTORY_SCHEMA, SqlDirectory } from './directory/sql/index.ts';
import { openSqlSuiteEventLog, SUITE_EVENT_LOG_SCHEMA, type SuiteEventLog } from './suite-bus/event-log.ts';
import type { Storage } from './storage/index.ts';
import { openSqliteStorage } from './storage/sqlite/index.ts';
import type { DatabaseOptions } from './storage/sqlite/database.ts';
import { migrate } from './storage/sqlite/migrations.ts';
import type { PostgresOptions } from './storage/postgres/index.ts';
import { STATE_SCHEMAS, type SqlStorage } from './storage/sql/index.ts';
import { sqliteSchema, type SqlFeatureSchema } from './storage/sql/schema.ts';
import { openSqlPubSubStore, PUBSUB_SCHEMA } from './pubsub/sql/store.ts';
import type { PubSubStore } from './pubsub/store.ts';

export interface DataStores {
  readonly storage: Storage;
  /** Nodes and items of the pubsub services (accounts' PEP: modules/pep/). */
  readonly pubsub: PubSubStore;
  readonly directory: Directory;
  readonly suiteEventLog: SuiteEventLog;
  /** Closes the connection they share (safe to call twice). */
  close(): Promise<void>;
}

/** Where the state stores live (config.ts `storage`). */
export interface StorageSettings extends DatabaseOptions {
  backend?: 'sqlite' | 'postgres';
  postgres?: Partial<PostgresOptions>;
}

/** The features besides the state storage's, migrated after it (the directory's tables refer to its accounts). */
const DATA_SCHEMAS: readonly SqlFeatureSchema[] = [...STATE_SCHEMAS, DIRECTORY_SCHEMA, PUBSUB_SCHEMA, SUITE_EVENT_LOG_SCHEMA];

function storesOn(storage: SqlStorage): DataStores {
  return {
    storage,
    directory: new SqlDirectory(storage.database),
    pubsub: openSqlPubSubStore(storage.database),
    suiteEventLog: openSqlSuiteEventLog(storage.database),
    close: () => storage.close(),
  };
}

/** The data folder's SQLite file, migrated (synchronously: SQLite's migrations need no I/O wait). */
export function openDataFolder(dataDir: string, options?: DatabaseOptions): DataStores {
  const storage = openSqliteStorage(dataDir, options);
  try {
    for (const schema of DATA_SCHEMAS) migrate(storage.connection.file, sqliteSchema(schema));
    return storesOn(storage);
  } catch (error) {
    void storage.close();
    throw error;
  }
}

/** The state stores where the configuration puts them: the data folder's SQLite file, or PostgreSQL. */
export async function openDataStores(dataDir: string, settings: StorageSettings = {}): Promise<DataStores> {
  if (settings.backend !== 'postgres') return openDataFolder(dataDir, settings);
  const url = settings.postgres?.url;
  if (!url) throw new Error('storage.backend is postgres but storage.postgres.url is not set');
  // loaded only for PostgreSQL: the embedded set-up starts without the pg package
  const { openPostgresStorage } = await import('./storage/postgres/index.ts');
  return storesOn(await openPostgresStorage({ url, poolSize: settings.postgres?.poolSize }, DATA_SCHEMAS));
}
