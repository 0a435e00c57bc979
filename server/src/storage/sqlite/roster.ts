// SQLite RosterStore (RFC 6121 §2). Every change bumps the owner's roster
// version (RFC 6121 §2.6) inside the same transaction, so a version always
// names exactly one roster state.

import type BetterSqlite3 from 'better-sqlite3';
import type { RosterItem, RosterStore, Subscription } from '../types.ts';
import type { FeatureSchema } from './migrations.ts';

export const ROSTER_SCHEMA: FeatureSchema = {
  feature: 'roster',
  migrations: [{
    description: 'roster items and versions',
    up(db) {
      db.exec(`
        -- RFC 6121 §2.1.2 roster item state; groups is a JSON array of strings.
        CREATE TABLE roster_items (
          owner             TEXT NOT NULL,
          contact           TEXT NOT NULL,
          name              TEXT,
          subscription      TEXT NOT NULL CHECK (subscription IN ('none', 'to', 'from', 'both')),
          ask               INTEGER NOT NULL DEFAULT 0,
          approved          INTEGER NOT NULL DEFAULT 0,
          groups            TEXT NOT NULL DEFAULT '[]',
          PRIMARY KEY (owner, contact)
        );

        -- RFC 6121 §2.6 roster version, a per-owner counter.
        CREATE TABLE roster_versions (
          owner   TEXT PRIMARY KEY,
          version INTEGER NOT NULL
        );
      `);
    },
  }],
};

interface RosterRow {
  contact: string;
  name: string | null;
  subscription: Subscription;
  ask: number;
  approved: number;
  groups: string;
}

type RosterParams = [
  owner: string,
  contact: string,
  name: string | null,
  subscription: Subscription,
  ask: number,
  approved: number,
  groups: string,
];

const COLUMNS = 'contact, name, subscription, ask, approved, groups';

function toItem(row: RosterRow): RosterItem {
  return {
    jid: row.contact,
    name: row.name,
    subscription: row.subscription,
    ask: row.ask !== 0,
    approved: row.approved !== 0,
    groups: JSON.parse(row.groups) as string[],
  };
}

export class SqliteRosterStore implements RosterStore {
  private readonly selectItems;
  private readonly selectItem;
  private readonly selectVersion;
  private readonly upsertItem;
  private readonly deleteItem;
  private readonly bumpVersion;
  private readonly countItems;
  private readonly getTx;
  private readonly putTx;
  private readonly removeTx;

  constructor(db: BetterSqlite3.Database) {
    this.selectItems = db.prepare<[string], RosterRow>(
      `SELECT ${COLUMNS} FROM roster_items WHERE owner = ? ORDER BY contact`,
    );
    this.selectItem = db.prepare<[string, string], RosterRow>(
      `SELECT ${COLUMNS} FROM roster_items WHERE owner = ? AND contact = ?`,
    );
    this.selectVersion = db.prepare<[string], number>(
      'SELECT version FROM roster_versions WHERE owner = ?',
    ).pluck();
    this.upsertItem = db.prepare<RosterParams>(
      `INSERT OR REPLACE INTO roster_items (owner, ${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.deleteItem = db.prepare<[string, string]>('DELETE FROM roster_items WHERE owner = ? AND contact = ?');
    this.bumpVersion = db.prepare<[string], number>(
      `INSERT INTO roster_versions (owner, version) VALUES (?, 1)
       ON CONFLICT (owner) DO UPDATE SET version = version + 1
       RETURNING version`,
    ).pluck();
    this.countItems = db.prepare<[string], number>(
      'SELECT COUNT(*) FROM roster_items WHERE owner = ?',
    ).pluck();

    // Read items and version together so they describe the same state.
    this.getTx = db.transaction((owner: string) => ({
      version: String(this.selectVersion.get(owner) ?? 0),
      items: this.selectItems.all(owner).map(toItem),
    }));
    this.putTx = db.transaction((owner: string, item: RosterItem): string => {
      this.upsertItem.run(
        owner,
        item.jid,
        item.name,
        item.subscription,
        item.ask ? 1 : 0,
        item.approved ? 1 : 0,
        JSON.stringify(item.groups),
      );
      return String(this.bumpVersion.get(owner));
    });
    this.removeTx = db.transaction((owner: string, contact: string): string | null => {
      if (this.deleteItem.run(owner, contact).changes === 0) return null;
      return String(this.bumpVersion.get(owner));
    });
  }

  async get(owner: string): Promise<{ version: string; items: RosterItem[] }> {
    return this.getTx(owner);
  }

  async getItem(owner: string, contact: string): Promise<RosterItem | null> {
    const row = this.selectItem.get(owner, contact);
    return row ? toItem(row) : null;
  }

  async put(owner: string, item: RosterItem): Promise<string> {
    return this.putTx.immediate(owner, item);
  }

  async remove(owner: string, contact: string): Promise<string | null> {
    return this.removeTx.immediate(owner, contact);
  }

  async count(owner: string): Promise<number> {
    return this.countItems.get(owner) ?? 0;
  }
}
