// The state storage written once on the query layer (Kysely): the same stores over SQLite
// (storage/sqlite/) and PostgreSQL (storage/postgres/); each backend gives them a SqlDatabase and
// migrates STATE_SCHEMAS its own way.
import type { StateStores, Storage } from '../types.ts';
import { ACCOUNTS_SCHEMA, SqlAccountStore } from './accounts.ts';
import { ARCHIVE_INDEX_QUEUE_SCHEMA, SqlArchiveIndexQueue } from './archive-index-queue.ts';
import { ARCHIVE_PREFERENCES_SCHEMA, SqlArchivePreferenceStore } from './archive-preferences.ts';
import { BLOCK_LISTS_SCHEMA, SqlBlockListStore } from './block-lists.ts';
import { insideScope, outsideScope, type SqlDatabase, type SqlScope } from './database.ts';
import { FAST_TOKENS_SCHEMA, SqlFastTokenStore } from './fast-tokens.ts';
import { KEY_VALUE_SCHEMA, SqlKeyValueStores } from './key-value.ts';
import { OFFLINE_SCHEMA, SqlOfflineStore } from './offline.ts';
import { ROSTER_SCHEMA, SqlRosterStore } from './roster.ts';
import type { SqlFeatureSchema } from './schema.ts';
import { SUBSCRIPTION_REQUESTS_SCHEMA, SqlSubscriptionRequestStore } from './subscription-requests.ts';
import { SqlVCardStore, VCARDS_SCHEMA } from './vcards.ts';
import { SqlUploadStore, UPLOADS_SCHEMA } from './uploads.ts';

/** The state storage's features, in the order their tables are created. */
export const STATE_SCHEMAS: readonly SqlFeatureSchema[] = [
  ACCOUNTS_SCHEMA, ROSTER_SCHEMA, SUBSCRIPTION_REQUESTS_SCHEMA, OFFLINE_SCHEMA, VCARDS_SCHEMA,
  ARCHIVE_PREFERENCES_SCHEMA, ARCHIVE_INDEX_QUEUE_SCHEMA, KEY_VALUE_SCHEMA, FAST_TOKENS_SCHEMA, BLOCK_LISTS_SCHEMA,
  UPLOADS_SCHEMA,
];

function stores(scope: SqlScope): StateStores {
  return {
    accounts: new SqlAccountStore(scope),
    roster: new SqlRosterStore(scope),
    subscriptionRequests: new SqlSubscriptionRequestStore(scope),
    offline: new SqlOfflineStore(scope),
    vcards: new SqlVCardStore(scope),
    archivePreferences: new SqlArchivePreferenceStore(scope),
    archiveIndexQueue: new SqlArchiveIndexQueue(scope),
    keyValue: new SqlKeyValueStores(scope),
    fastTokens: new SqlFastTokenStore(scope),
    blockLists: new SqlBlockListStore(scope),
    uploads: new SqlUploadStore(scope),
  };
}

/** The state storage on a migrated SqlDatabase. */
export class SqlStorage implements Storage {
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

  constructor(readonly database: SqlDatabase) {
    const outside = stores(outsideScope(database));
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
  }

  transaction<T>(work: (tx: StateStores) => Promise<T>): Promise<T> {
    return this.database.transaction((trx) => work(stores(insideScope(this.database.dialect, trx))));
  }

  close(): Promise<void> {
    return this.database.close();
  }
}
