// SQLite FastTokenStore: FAST tokens (XEP-0484), two slots per account and client ('new' and
// 'current', XEP-0484 §5.1), holding the token's SHA-256 and never the token itself.

import type BetterSqlite3 from 'better-sqlite3';
import type { FastTokenRecord, FastTokenSlot, FastTokenStore, NewFastToken } from '../types.ts';
import { ACCOUNTS_SCHEMA } from './accounts.ts';
import type { FeatureSchema } from './migrations.ts';

export const FAST_TOKENS_SCHEMA: FeatureSchema = {
  feature: 'fast-tokens',
  // its triggers are on the accounts' tables
  requires: [ACCOUNTS_SCHEMA],
  migrations: [{
    description: 'FAST tokens (XEP-0484): per account and client, a new and a current slot',
    up(db) {
      db.exec(`
        CREATE TABLE fast_tokens (
          jid        TEXT NOT NULL,
          client_id  TEXT NOT NULL,
          slot       TEXT NOT NULL CHECK (slot IN ('new', 'current')),
          mechanism  TEXT NOT NULL,
          key_hash   TEXT NOT NULL,
          issued_at  INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          user_agent TEXT,
          PRIMARY KEY (jid, client_id, slot)
        ) WITHOUT ROWID;
        CREATE INDEX fast_tokens_expiry ON fast_tokens (expires_at);

        -- A new password (credentials replaced) or a deleted account ends every token of the account,
        -- whichever path changed it (admin API, CLI, suite bus).
        CREATE TRIGGER credentials_fast_tokens_cleanup AFTER DELETE ON credentials BEGIN
          DELETE FROM fast_tokens WHERE jid = OLD.jid;
        END;
        CREATE TRIGGER accounts_fast_tokens_cleanup AFTER DELETE ON accounts BEGIN
          DELETE FROM fast_tokens WHERE jid = OLD.jid;
        END;
      `);
    },
  }],
};

interface TokenRow {
  jid: string;
  client_id: string;
  slot: FastTokenSlot;
  mechanism: string;
  key_hash: string;
  issued_at: number;
  expires_at: number;
  user_agent: string | null;
}

function toRecord(row: TokenRow): FastTokenRecord {
  return {
    jid: row.jid, clientId: row.client_id, slot: row.slot, mechanism: row.mechanism, keyHash: row.key_hash,
    issuedAt: row.issued_at, expiresAt: row.expires_at, userAgent: row.user_agent,
  };
}

const COLUMNS = 'jid, client_id, slot, mechanism, key_hash, issued_at, expires_at, user_agent';

export class SqliteFastTokenStore implements FastTokenStore {
  private readonly selectClient;
  private readonly selectAccount;
  private readonly upsert;
  private readonly deleteSlot;
  private readonly deleteClient;
  private readonly deleteAccount;
  private readonly deleteExpired;
  private readonly promoteTx;

  constructor(db: BetterSqlite3.Database) {
    // 'new' sorts before 'current' descending: the slot to try first comes first (XEP-0484 §5.1).
    this.selectClient = db.prepare<[string, string], TokenRow>(
      `SELECT ${COLUMNS} FROM fast_tokens WHERE jid = ? AND client_id = ? ORDER BY slot DESC`);
    this.selectAccount = db.prepare<[string], TokenRow>(
      `SELECT ${COLUMNS} FROM fast_tokens WHERE jid = ? ORDER BY client_id, slot DESC`);
    this.upsert = db.prepare<[string, string, FastTokenSlot, string, string, number, number, string | null]>(
      `INSERT OR REPLACE INTO fast_tokens (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.deleteSlot = db.prepare<[string, string, FastTokenSlot]>(
      'DELETE FROM fast_tokens WHERE jid = ? AND client_id = ? AND slot = ?');
    this.deleteClient = db.prepare<[string, string]>('DELETE FROM fast_tokens WHERE jid = ? AND client_id = ?');
    this.deleteAccount = db.prepare<[string]>('DELETE FROM fast_tokens WHERE jid = ?');
    this.deleteExpired = db.prepare<[number]>('DELETE FROM fast_tokens WHERE expires_at <= ?');
    this.promoteTx = db.transaction((jid: string, clientId: string): boolean => {
      const fresh = this.selectClient.all(jid, clientId).find((row) => row.slot === 'new');
      if (!fresh) return false;
      this.deleteSlot.run(jid, clientId, 'new');
      this.upsert.run(jid, clientId, 'current', fresh.mechanism, fresh.key_hash, fresh.issued_at, fresh.expires_at, fresh.user_agent);
      return true;
    });
  }

  async forClient(jid: string, clientId: string): Promise<FastTokenRecord[]> {
    return this.selectClient.all(jid, clientId).map(toRecord);
  }

  async forAccount(jid: string): Promise<FastTokenRecord[]> {
    return this.selectAccount.all(jid).map(toRecord);
  }

  async putNew(token: NewFastToken): Promise<void> {
    this.upsert.run(token.jid, token.clientId, 'new', token.mechanism, token.keyHash, token.issuedAt, token.expiresAt, token.userAgent);
  }

  async promote(jid: string, clientId: string): Promise<boolean> {
    return this.promoteTx.immediate(jid, clientId);
  }

  async remove(jid: string, clientId: string, slot?: FastTokenSlot): Promise<number> {
    return (slot ? this.deleteSlot.run(jid, clientId, slot) : this.deleteClient.run(jid, clientId)).changes;
  }

  async removeAccount(jid: string): Promise<number> {
    return this.deleteAccount.run(jid).changes;
  }

  async removeExpired(now: number): Promise<number> {
    return this.deleteExpired.run(now).changes;
  }
}
