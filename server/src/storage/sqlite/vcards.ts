// SQLite VCardStore: vcard-temp (XEP-0054) documents as serialized XML.

import type BetterSqlite3 from 'better-sqlite3';
import type { VCardStore } from '../types.ts';
import type { FeatureSchema } from './migrations.ts';

export const VCARDS_SCHEMA: FeatureSchema = {
  feature: 'vcards',
  migrations: [{
    description: 'vcard-temp documents',
    up(db) {
      db.exec(`
        -- XEP-0054 vcard-temp, stored as serialized XML.
        CREATE TABLE vcards (
          jid   TEXT PRIMARY KEY,
          vcard TEXT NOT NULL
        );
      `);
    },
  }],
};

export class SqliteVCardStore implements VCardStore {
  private readonly select;
  private readonly upsert;

  constructor(db: BetterSqlite3.Database) {
    this.select = db.prepare<[string], string>('SELECT vcard FROM vcards WHERE jid = ?').pluck();
    this.upsert = db.prepare<[string, string]>(
      'INSERT INTO vcards (jid, vcard) VALUES (?, ?) ON CONFLICT (jid) DO UPDATE SET vcard = excluded.vcard',
    );
  }

  async get(jid: string): Promise<string | null> {
    return this.select.get(jid) ?? null;
  }

  async set(jid: string, vcard: string): Promise<void> {
    this.upsert.run(jid, vcard);
  }
}
