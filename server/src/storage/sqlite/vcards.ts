// SQLite VCardStore: vcard-temp (XEP-0054) documents as serialized XML.

import type BetterSqlite3 from 'better-sqlite3';
import type { VCardStore } from '../types.ts';

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
