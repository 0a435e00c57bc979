// ArchivePreferenceStore on the query layer: XEP-0441 archiving preferences of the users who set some.
import { sql } from './kysely.ts';
import type { ArchivingPreferences } from '@parley/shared/mam';
import type { ArchivePreferenceStore } from '../types.ts';
import type { SqlScope } from './database.ts';
import type { SqlFeatureSchema } from './schema.ts';
import type { ArchivePreferencesTable } from './tables.ts';

export const ARCHIVE_PREFERENCES_SCHEMA: SqlFeatureSchema = {
  feature: 'archive-preferences',
  migrations: [{
    description: 'archiving preferences (XEP-0441)',
    statements: ({ schema, type, withoutRowid }) => [
      // jid lists are JSON arrays
      withoutRowid(schema.createTable('archive_preferences')
        .addColumn('owner', type.text, (col) => col.primaryKey())
        .addColumn('default_policy', type.text, (col) => col.notNull().check(sql`default_policy IN ('always', 'never', 'roster')`))
        .addColumn('always_jids', type.text, (col) => col.notNull().defaultTo('[]'))
        .addColumn('never_jids', type.text, (col) => col.notNull().defaultTo('[]'))),
    ],
  }],
};

const COLUMNS = ['owner', 'default_policy', 'always_jids', 'never_jids'] as const;

function toPreferences(row: ArchivePreferencesTable): ArchivingPreferences {
  return { default: row.default_policy, always: JSON.parse(row.always_jids) as string[], never: JSON.parse(row.never_jids) as string[] };
}

export class SqlArchivePreferenceStore implements ArchivePreferenceStore {
  constructor(private readonly scope: SqlScope) {}

  async all(): Promise<Map<string, ArchivingPreferences>> {
    const out = new Map<string, ArchivingPreferences>();
    for (const row of await this.scope.db.selectFrom('archive_preferences').select(COLUMNS).execute()) out.set(row.owner, toPreferences(row));
    return out;
  }

  async get(owner: string): Promise<ArchivingPreferences | null> {
    const row = await this.scope.db.selectFrom('archive_preferences').select(COLUMNS).where('owner', '=', owner).executeTakeFirst();
    return row ? toPreferences(row) : null;
  }

  async set(owner: string, preferences: ArchivingPreferences): Promise<void> {
    const row = {
      owner, default_policy: preferences.default, always_jids: JSON.stringify(preferences.always), never_jids: JSON.stringify(preferences.never),
    };
    await this.scope.db.insertInto('archive_preferences').values(row)
      .onConflict((oc) => oc.column('owner').doUpdateSet({
        default_policy: row.default_policy, always_jids: row.always_jids, never_jids: row.never_jids,
      }))
      .execute();
  }
}
