// Embedded state storage: one SQLite file in WAL mode, `dataDir/parley.db`. Its connection is
// shared with the embedded directory (directory/sqlite/) and the suite event log (bus/), which
// run their own migrations on it.

import type { StateStores, Storage } from '../types.ts';
import { ACCOUNTS_SCHEMA, SqliteAccountStore } from './accounts.ts';
import { FAST_TOKENS_SCHEMA, SqliteFastTokenStore } from './fast-tokens.ts';
import { ARCHIVE_INDEX_QUEUE_SCHEMA, SqliteArchiveIndexQueue } from './archive-index-queue.ts';
import { ARCHIVE_PREFERENCES_SCHEMA, SqliteArchivePreferenceStore } from './archive-preferences.ts';
import { SqliteConnection } from './connection.ts';
import { openSqliteFile, type DatabaseOptions } from './database.ts';
import { KEY_VALUE_SCHEMA, SqliteKeyValueStores } from './key-value.ts';
import { migrate, type FeatureSchema } from './migrations.ts';
import { OFFLINE_SCHEMA, SqliteOfflineStore } from './offline.ts';
import { ROSTER_SCHEMA, SqliteRosterStore } from './roster.ts';
import { SUBSCRIPTION_REQUESTS_SCHEMA, SqliteSubscriptionRequestStore } from './subscription-requests.ts';
import { SqliteVCardStore, VCARDS_SCHEMA } from './vcards.ts';
import { BLOCK_LISTS_SCHEMA, SqliteBlockListStore } from './block-lists.ts';
import { SqliteUploadStore, UPLOADS_SCHEMA } from './uploads.ts';

/** The state storage's features, in the order their tables are created. */
export const STATE_SCHEMAS: readonly FeatureSchema[] = [
  ACCOUNTS_SCHEMA, ROSTER_SCHEMA, SUBSCRIPTION_REQUESTS_SCHEMA, OFFLINE_SCHEMA, VCARDS_SCHEMA,
  ARCHIVE_PREFERENCES_SCHEMA, ARCHIVE_INDEX_QUEUE_SCHEMA, KEY_VALUE_SCHEMA, FAST_TOKENS_SCHEMA, BLOCK_LISTS_SCHEMA,
  UPLOADS_SCHEMA,
];

function stores(connection: SqliteConnection, wrap: <S extends object>(store: S) => S): StateStores {
  const db = connection.db;
  return {
    accounts: wrap(new SqliteAccountStore(db)),
    roster: wrap(new SqliteRosterStore(db)),
    subscriptionRequests: wrap(new SqliteSubscriptionRequestStore(db)),
    offline: wrap(new SqliteOfflineStore(db)),
    vcards: wrap(new SqliteVCardStore(db)),
    archivePreferences: wrap(new SqliteArchivePreferenceStore(db)),
    archiveIndexQueue: wrap(new SqliteArchiveIndexQueue(db)),
    keyValue: new SqliteKeyValueStores(db, wrap),
    fastTokens: wrap(new SqliteFastTokenStore(db)),
    blockLists: wrap(new SqliteBlockListStore(db)),
    uploads: wrap(new SqliteUploadStore(db)),
  };
}

export class SqliteStorage implements Storage {
  readonly accounts;
  readonly roster;
  readonly subscriptionRequests;
  readonly offline;
  readonly vcards;
  readonly archivePreferences;
  readonly archiveIndexQueue;
  readonly keyValue;
  readonly fastTokens;
  readonly blockLists;
  readonly uploads;
  /** The stores as a transaction's work gets them: not guarded (they run inside it). */
  private readonly inside: StateStores;

  constructor(readonly connection: SqliteConnection) {
    for (const schema of STATE_SCHEMAS) migrate(connection.db, schema);
    const outside = stores(connection, (store) => connection.guard(store));
    this.accounts = outside.accounts;
    this.roster = outside.roster;
    this.subscriptionRequests = outside.subscriptionRequests;
    this.offline = outside.offline;
    this.vcards = outside.vcards;
    this.archivePreferences = outside.archivePreferences;
    this.archiveIndexQueue = outside.archiveIndexQueue;
    this.keyValue = outside.keyValue;
    this.fastTokens = outside.fastTokens;
    this.blockLists = outside.blockLists;
    this.uploads = outside.uploads;
    this.inside = stores(connection, (store) => store);
  }

  transaction<T>(work: (tx: StateStores) => Promise<T>): Promise<T> {
    return this.connection.transaction(() => work(this.inside));
  }

  /** Folds the WAL back into the main file and closes (the directory and event log go with it). Safe to call twice. */
  async close(): Promise<void> {
    const db = this.connection.db;
    if (!db.open) return;
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  }
}

/** Opens (creating and migrating as needed) the state storage at `dataDir/parley.db`. */
export function openSqliteStorage(dataDir: string, options?: DatabaseOptions): SqliteStorage {
  const db = openSqliteFile(dataDir, options);
  try {
    return new SqliteStorage(new SqliteConnection(db));
  } catch (error) {
    db.close();
    throw error;
  }
}

export { DB_FILENAME } from './database.ts';
export { SqliteConnection } from './connection.ts';
