// SQLite SubscriptionRequestStore: inbound subscription requests awaiting the
// owner's answer (RFC 6121 §3.1.3), kept for re-delivery at the owner's next
// login. One request per (owner, requester); a repeated request replaces the
// earlier one.

import type BetterSqlite3 from 'better-sqlite3';
import type { SubscriptionRequest, SubscriptionRequestStore } from '../types.ts';
import type { FeatureSchema } from './migrations.ts';

export const SUBSCRIPTION_REQUESTS_SCHEMA: FeatureSchema = {
  feature: 'subscription-requests',
  migrations: [{
    description: 'inbound subscription requests',
    up(db) {
      db.exec(`
        -- RFC 6121 §3.1.3 inbound subscription requests awaiting the owner's
        -- answer, kept for re-delivery at the owner's next login.
        CREATE TABLE subscription_requests (
          owner       TEXT NOT NULL,
          requester   TEXT NOT NULL,
          stanza      TEXT NOT NULL,
          received_at INTEGER NOT NULL,
          PRIMARY KEY (owner, requester)
        );
      `);
    },
  }],
};

interface RequestRow {
  requester: string;
  stanza: string;
  received_at: number;
}

function toRequest(row: RequestRow): SubscriptionRequest {
  return { from: row.requester, stanza: row.stanza, receivedAt: row.received_at };
}

export class SqliteSubscriptionRequestStore implements SubscriptionRequestStore {
  private readonly upsert;
  private readonly selectOne;
  private readonly selectAll;
  private readonly deleteOne;
  private readonly countFor;

  constructor(db: BetterSqlite3.Database) {
    // REPLACE deletes the old row and inserts a new one, so a replaced request
    // also takes a fresh rowid: rowid order is arrival order.
    this.upsert = db.prepare<[string, string, string, number]>(
      `INSERT OR REPLACE INTO subscription_requests (owner, requester, stanza, received_at)
       VALUES (?, ?, ?, ?)`,
    );
    this.selectOne = db.prepare<[string, string], RequestRow>(
      'SELECT requester, stanza, received_at FROM subscription_requests WHERE owner = ? AND requester = ?',
    );
    // Oldest first; arrival order breaks ties between equal timestamps.
    this.selectAll = db.prepare<[string], RequestRow>(
      `SELECT requester, stanza, received_at FROM subscription_requests
       WHERE owner = ? ORDER BY received_at, rowid`,
    );
    this.deleteOne = db.prepare<[string, string]>(
      'DELETE FROM subscription_requests WHERE owner = ? AND requester = ?',
    );
    this.countFor = db.prepare<[string], number>(
      'SELECT COUNT(*) FROM subscription_requests WHERE owner = ?',
    ).pluck();
  }

  async put(owner: string, from: string, stanza: string, receivedAt: number): Promise<void> {
    this.upsert.run(owner, from, stanza, receivedAt);
  }

  async get(owner: string, from: string): Promise<SubscriptionRequest | null> {
    const row = this.selectOne.get(owner, from);
    return row ? toRequest(row) : null;
  }

  async list(owner: string): Promise<SubscriptionRequest[]> {
    return this.selectAll.all(owner).map(toRequest);
  }

  async remove(owner: string, from: string): Promise<boolean> {
    return this.deleteOne.run(owner, from).changes > 0;
  }

  async count(owner: string): Promise<number> {
    return this.countFor.get(owner) ?? 0;
  }
}
