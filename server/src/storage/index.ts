// Public surface of the storage layer: backend-neutral types and errors, plus
// the embedded SQLite backend.

export type {
  Account,
  AccountStore,
  DomainStore,
  KeyValueStore,
  OfflineMessage,
  NewOfflineMessage,
  OfflineStore,
  RosterItem,
  RosterStore,
  ScramCredential,
  Storage,
  Subscription,
  SubscriptionRequest,
  SubscriptionRequestStore,
  SuiteEventLog,
  VCardStore,
} from './types.ts';
export { StorageConflictError, StorageNotFoundError } from './errors.ts';
export { openSqliteStorage } from './sqlite/index.ts';
