// SQLite ArchivePreferenceStore: XEP-0441 archiving preferences of the users who set some.
import type BetterSqlite3 from 'better-sqlite3';
import type { ArchivingDefault, ArchivingPreferences } from '@parley/shared/mam';
import type { ArchivePreferenceStore } from '../types.ts';
import type { FeatureSchema } from './migrations.ts';

export const ARCHIVE_PREFERENCES_SCHEMA: FeatureSchema = {
  feature: 'archive-preferences',
  migrations: [{
    description: 'archiving preferences (XEP-0441)',
    up(db) {
      db.exec(`
        -- XEP-0441 preferences of the users who set some; jid lists are JSON arrays.
        CREATE TABLE archive_preferences (
          owner          TEXT PRIMARY KEY,
          default_policy TEXT NOT NULL CHECK (default_policy IN ('always', 'never', 'roster')),
          always_jids    TEXT NOT NULL DEFAULT '[]',
          never_jids     TEXT NOT NULL DEFAULT '[]'
        ) WITHOUT ROWID;
      `);
    },
  }],
};

interface PreferencesRow {
  owner: string;
  default_policy: ArchivingDefault;
  always_jids: string;
  never_jids: string;
}

function toPreferences(row: PreferencesRow): ArchivingPreferences {
  return {
    default: row.default_policy,
    always: JSON.parse(row.always_jids) as string[],
    never: JSON.parse(row.never_jids) as string[],
  };
}

export class SqliteArchivePreferenceStore implements ArchivePreferenceStore {
  private readonly selectAll;
  private readonly selectOne;
  private readonly upsert;

  constructor(db: BetterSqlite3.Database) {
    this.selectAll = db.prepare<[], PreferencesRow>('SELECT owner, default_policy, always_jids, never_jids FROM archive_preferences');
    this.selectOne = db.prepare<[string], PreferencesRow>(
      'SELECT owner, default_policy, always_jids, never_jids FROM archive_preferences WHERE owner = ?');
    this.upsert = db.prepare<[string, string, string, string]>(
      `INSERT INTO archive_preferences (owner, default_policy, always_jids, never_jids) VALUES (?, ?, ?, ?)
       ON CONFLICT (owner) DO UPDATE SET default_policy = excluded.default_policy,
         always_jids = excluded.always_jids, never_jids = excluded.never_jids`);
  }

  async all(): Promise<Map<string, ArchivingPreferences>> {
    const out = new Map<string, ArchivingPreferences>();
    for (const row of this.selectAll.all()) out.set(row.owner, toPreferences(row));
    return out;
  }

  async get(owner: string): Promise<ArchivingPreferences | null> {
    const row = this.selectOne.get(owner);
    return row ? toPreferences(row) : null;
  }

  async set(owner: string, preferences: ArchivingPreferences): Promise<void> {
    this.upsert.run(owner, preferences.default, JSON.stringify(preferences.always), JSON.stringify(preferences.never));
  }
}
