// Databases from before per-feature migrations (migrations.ts) carry one schema version in PRAGMA
// user_version: 1 the initial schema, 2 the suite directory, 3 the conversation archive. This is
// what each of them holds, as feature migrations, so that such a file is adopted as it is.
// History: never change it.

/** [legacy user_version, feature, that feature's migration version] */
export const LEGACY_SCHEMA: ReadonlyArray<readonly [number, string, number]> = [
  [1, 'accounts', 1],
  [1, 'roster', 1],
  [1, 'subscription-requests', 1],
  [1, 'offline', 1],
  [1, 'vcards', 1],
  [1, 'directory', 1],
  [2, 'directory', 2],
  [2, 'suite-event-log', 1],
  [3, 'archive', 1],
  [3, 'archive-preferences', 1],
  [3, 'archive-index-queue', 1],
];

/** The last single schema version. */
export const LEGACY_SCHEMA_VERSIONS = 3;
