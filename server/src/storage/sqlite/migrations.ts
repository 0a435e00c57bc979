// Schema migrations for the SQLite file, owned by the features whose tables they create: each
// feature exports its migrations beside its store (roster.ts, directory/sqlite/, archive/sqlite/…)
// and the runner applies them by feature name and version. A feature's migration N is
// migrations[N - 1]; to change a schema, append a migration to its feature — never edit one that
// has shipped. The applied ones are listed in schema_migrations.
//
// Databases written before per-feature migrations carry a single schema version (PRAGMA
// user_version 1–3); legacy-schema.ts says which feature migrations each of those versions holds,
// and they are recorded as applied the first time this runner opens such a file.

import type BetterSqlite3 from 'better-sqlite3';
import { LEGACY_SCHEMA, LEGACY_SCHEMA_VERSIONS } from './legacy-schema.ts';

export interface Migration {
  description: string;
  up(db: BetterSqlite3.Database): void;
}

/** One feature's tables: its name in schema_migrations and its migrations, oldest first. */
export interface FeatureSchema {
  feature: string;
  migrations: readonly Migration[];
  /** Features whose tables these refer to (foreign keys, triggers): migrated first. */
  requires?: readonly FeatureSchema[];
}

/**
 * PRAGMA user_version of a file whose schema is kept in schema_migrations. Above the legacy
 * versions on purpose: a Parley from before per-feature migrations refuses the file ("newer than
 * this server supports") instead of applying its own migrations to it.
 */
export const FEATURE_MIGRATIONS_VERSION = 100;

function schemaVersion(db: BetterSqlite3.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Creates schema_migrations on first use, adopting a legacy single-version schema. */
function prepare(db: BetterSqlite3.Database): void {
  const version = schemaVersion(db);
  if (version === FEATURE_MIGRATIONS_VERSION) return;
  if (version > LEGACY_SCHEMA_VERSIONS) {
    throw new Error(`database schema version ${version} is newer than this server supports`);
  }
  db.transaction(() => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        feature     TEXT NOT NULL,
        version     INTEGER NOT NULL,
        description TEXT NOT NULL,
        applied_at  INTEGER NOT NULL,
        PRIMARY KEY (feature, version)
      ) WITHOUT ROWID;
    `);
    const record = db.prepare<[string, number, string, number]>(
      'INSERT OR IGNORE INTO schema_migrations (feature, version, description, applied_at) VALUES (?, ?, ?, ?)');
    for (const [legacyVersion, feature, featureVersion] of LEGACY_SCHEMA) {
      if (legacyVersion <= version) record.run(feature, featureVersion, `part of schema version ${legacyVersion}`, Date.now());
    }
    db.pragma(`user_version = ${FEATURE_MIGRATIONS_VERSION}`);
  }).immediate();
}

/** The versions of `feature` already applied. */
export function appliedVersions(db: BetterSqlite3.Database, feature: string): number[] {
  prepare(db);
  return db.prepare<[string], number>('SELECT version FROM schema_migrations WHERE feature = ? ORDER BY version')
    .pluck().all(feature);
}

/**
 * Brings the feature's tables up to its last migration, applying each pending one in its own
 * transaction together with its schema_migrations row, so a crash leaves a consistent version.
 * Refuses a file on which a newer Parley applied migrations this code does not know.
 */
export function migrate(db: BetterSqlite3.Database, schema: FeatureSchema): void {
  for (const required of schema.requires ?? []) migrate(db, required);
  const applied = new Set(appliedVersions(db, schema.feature));
  const newest = Math.max(0, ...applied);
  if (newest > schema.migrations.length) {
    throw new Error(`the ${schema.feature} schema of this database (version ${newest}) is newer than this server supports (${schema.migrations.length})`);
  }
  const record = db.prepare<[string, number, string, number]>(
    'INSERT INTO schema_migrations (feature, version, description, applied_at) VALUES (?, ?, ?, ?)');
  for (let version = 1; version <= schema.migrations.length; version++) {
    if (applied.has(version)) continue;
    const migration = schema.migrations[version - 1]!;
    db.transaction(() => {
      migration.up(db);
      record.run(schema.feature, version, migration.description, Date.now());
    }).immediate();
  }
}
