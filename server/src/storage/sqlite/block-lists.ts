// SQLite BlockListStore: the JIDs each account blocks (XEP-0191), in the order they were blocked.
import type BetterSqlite3 from 'better-sqlite3';
import type { BlockListStore } from '../types.ts';
import type { FeatureSchema } from './migrations.ts';

export const BLOCK_LISTS_SCHEMA: FeatureSchema = {
  feature: 'block-lists',
  migrations: [{
    description: 'XEP-0191 block lists',
    up(db) {
      db.exec(`
        -- the rowid keeps the order in which JIDs were blocked
        CREATE TABLE blocked_jids (
          id         INTEGER PRIMARY KEY,
          owner      TEXT NOT NULL,
          jid        TEXT NOT NULL,
          blocked_at INTEGER NOT NULL,
          UNIQUE (owner, jid)
        );
      `);
    },
  }],
};

export class SqliteBlockListStore implements BlockListStore {
  private readonly select;
  private readonly insert;
  private readonly deleteOne;
  private readonly deleteAll;
  private readonly addTx;
  private readonly removeTx;

  constructor(db: BetterSqlite3.Database) {
    this.select = db.prepare<[string], string>('SELECT jid FROM blocked_jids WHERE owner = ? ORDER BY id').pluck();
    this.insert = db.prepare<[string, string, number]>('INSERT INTO blocked_jids (owner, jid, blocked_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    this.deleteOne = db.prepare<[string, string]>('DELETE FROM blocked_jids WHERE owner = ? AND jid = ?');
    this.deleteAll = db.prepare<[string]>('DELETE FROM blocked_jids WHERE owner = ?');
    this.addTx = db.transaction((owner: string, jids: readonly string[]): number => {
      const now = Date.now();
      let added = 0;
      for (const jid of jids) added += this.insert.run(owner, jid, now).changes;
      return added;
    });
    this.removeTx = db.transaction((owner: string, jids: readonly string[]): number => {
      let removed = 0;
      for (const jid of jids) removed += this.deleteOne.run(owner, jid).changes;
      return removed;
    });
  }

  async list(owner: string): Promise<string[]> {
    return this.select.all(owner);
  }

  async add(owner: string, jids: readonly string[]): Promise<number> {
    return jids.length ? this.addTx.immediate(owner, jids) : 0;
  }

  async remove(owner: string, jids: readonly string[]): Promise<number> {
    return jids.length ? this.removeTx.immediate(owner, jids) : 0;
  }

  async clear(owner: string): Promise<number> {
    return this.deleteAll.run(owner).changes;
  }
}
