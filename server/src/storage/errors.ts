// Errors raised by every storage backend, so callers can map them to XMPP
// errors without knowing which database sits underneath.

/** The record being created already exists (e.g. registering a taken JID). */
export class StorageConflictError extends Error {
  override name = 'StorageConflictError';
}

/** The record being updated does not exist. */
export class StorageNotFoundError extends Error {
  override name = 'StorageNotFoundError';
}
