// Public surface of the state storage: backend-neutral types and errors, plus the embedded SQLite
// backend.

export type {
  Account,
  AccountStore,
  ArchiveIndexQueue,
  ArchivePreferenceStore,
  FastTokenRecord,
  FastTokenSlot,
  FastTokenStore,
  BlockListStore,
  KeyValueStore,
  KeyValueStores,
  NewFastToken,
  OfflineMessage,
  NewOfflineMessage,
  OfflineStore,
  QueuedDocument,
  RosterItem,
  RosterStore,
  ScramCredential,
  StateStores,
  Storage,
  Subscription,
  SubscriptionRequest,
  SubscriptionRequestStore,
  Upload,
  UploadStore,
  VCardStore,
} from './types.ts';
export { StorageConflictError, StorageNotFoundError } from './errors.ts';
export { openSqliteStorage, SqliteStorage } from './sqlite/index.ts';
