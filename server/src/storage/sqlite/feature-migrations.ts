// Schema migrations owned by a feature, applied by feature name and version and listed in
// schema_migrations (the per-feature scheme of the storage work in issue 10; this file is its
// minimal form until that work lands here: the same FeatureSchema shape and table).
import type BetterSqlite3 from 'better-sqlite3';
import type { Migration } from './migrations.ts';

/** One feature's tables: its name in schema_migrations and its migrations, oldest first. */
export interface FeatureSchema {
  feature: string;
  migrations: readonly Migration[];
}

/** Brings the feature's tables up to its last migration, each in its own transaction with its row. */
export function migrateFeature(db: BetterSqlite3.Database, schema: FeatureSchema): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      feature     TEXT NOT NULL,
      version     INTEGER NOT NULL,
      description TEXT NOT NULL,
      applied_at  INTEGER NOT NULL,
      PRIMARY KEY (feature, version)
    ) WITHOUT ROWID;
  `);
  const applied = new Set(db.prepare<[string], number>('SELECT version FROM schema_migrations WHERE feature = ?').pluck().all(schema.feature));
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
