// XEP-0441 archiving preferences in the embedded store (kept there whatever the archive backend).
import type BetterSqlite3 from 'better-sqlite3';
import type { ArchivePreferenceStore, ArchivingDefault, ArchivingPreferences } from '../types.ts';

interface PreferencesRow {
  owner: string;
  default_policy: ArchivingDefault;
  always_jids: string;
  never_jids: string;
}

export class SqliteArchivePreferenceStore implements ArchivePreferenceStore {
  private readonly selectAll;
  private readonly upsert;

  constructor(db: BetterSqlite3.Database) {
    this.selectAll = db.prepare<[], PreferencesRow>('SELECT owner, default_policy, always_jids, never_jids FROM archive_preferences');
    this.upsert = db.prepare<[string, string, string, string]>(
      `INSERT INTO archive_preferences (owner, default_policy, always_jids, never_jids) VALUES (?, ?, ?, ?)
       ON CONFLICT (owner) DO UPDATE SET default_policy = excluded.default_policy,
         always_jids = excluded.always_jids, never_jids = excluded.never_jids`);
  }

  async all(): Promise<Map<string, ArchivingPreferences>> {
    const out = new Map<string, ArchivingPreferences>();
    for (const row of this.selectAll.all()) {
      out.set(row.owner, {
        default: row.default_policy,
        always: JSON.parse(row.always_jids) as string[],
        never: JSON.parse(row.never_jids) as string[],
      });
    }
    return out;
  }

  async set(owner: string, preferences: ArchivingPreferences): Promise<void> {
    this.upsert.run(owner, preferences.default, JSON.stringify(preferences.always), JSON.stringify(preferences.never));
  }
}
