// SQLite AccountStore: accounts and their SCRAM credentials (RFC 5802 §3).

import type BetterSqlite3 from 'better-sqlite3';
import { StorageConflictError, StorageNotFoundError } from '../errors.ts';
import type { Account, AccountStore, ScramCredential } from '../types.ts';
import { splitBareJid } from './jid.ts';
import type { FeatureSchema } from './migrations.ts';

export const ACCOUNTS_SCHEMA: FeatureSchema = {
  feature: 'accounts',
  migrations: [{
    description: 'accounts and their SCRAM verifiers',
    up(db) {
      db.exec(`
        CREATE TABLE accounts (
          jid        TEXT PRIMARY KEY,
          domain     TEXT NOT NULL,
          username   TEXT NOT NULL,
          name       TEXT,
          created_at INTEGER NOT NULL
        );
        CREATE INDEX accounts_by_domain ON accounts (domain, username);

        -- RFC 5802 §3 verifiers, one row per hash function.
        CREATE TABLE credentials (
          jid        TEXT NOT NULL REFERENCES accounts (jid) ON DELETE CASCADE,
          hash       TEXT NOT NULL CHECK (hash IN ('SHA-1', 'SHA-256')),
          salt       TEXT NOT NULL,
          iterations INTEGER NOT NULL,
          stored_key TEXT NOT NULL,
          server_key TEXT NOT NULL,
          PRIMARY KEY (jid, hash)
        );
      `);
    },
  }],
};

type Hash = ScramCredential['hash'];

interface AccountRow {
  jid: string;
  domain: string;
  username: string;
  name: string | null;
  created_at: number;
}

interface CredentialRow {
  hash: Hash;
  salt: string;
  iterations: number;
  stored_key: string;
  server_key: string;
}

type CredentialParams = [jid: string, hash: Hash, salt: string, iterations: number, storedKey: string, serverKey: string];

function toAccount(row: AccountRow): Account {
  return { jid: row.jid, domain: row.domain, username: row.username, name: row.name, createdAt: row.created_at };
}

function toCredential(row: CredentialRow): ScramCredential {
  return {
    hash: row.hash,
    salt: row.salt,
    iterations: row.iterations,
    storedKey: row.stored_key,
    serverKey: row.server_key,
  };
}

export class SqliteAccountStore implements AccountStore {
  private readonly insertAccount;
  private readonly selectAccount;
  private readonly selectByDomain;
  private readonly accountExists;
  private readonly selectCredential;
  private readonly insertCredential;
  private readonly deleteCredentials;
  private readonly deleteAccountRow;
  private readonly deleteRoster;
  private readonly deleteRosterVersion;
  private readonly deleteSubscriptionRequests;
  private readonly deleteOffline;
  private readonly deleteVCard;
  private readonly deleteArchivePreferences;
  private readonly deleteKeyValues;
  private readonly createTx;
  private readonly setCredentialsTx;
  private readonly deleteTx;

  constructor(db: BetterSqlite3.Database) {
    this.insertAccount = db.prepare<[string, string, string, string | null, number]>(
      `INSERT INTO accounts (jid, domain, username, name, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (jid) DO NOTHING`,
    );
    this.selectAccount = db.prepare<[string], AccountRow>(
      'SELECT jid, domain, username, name, created_at FROM accounts WHERE jid = ?',
    );
    this.selectByDomain = db.prepare<[string], AccountRow>(
      'SELECT jid, domain, username, name, created_at FROM accounts WHERE domain = ? ORDER BY username',
    );
    this.accountExists = db.prepare<[string], number>('SELECT 1 FROM accounts WHERE jid = ?').pluck();
    this.selectCredential = db.prepare<[string, Hash], CredentialRow>(
      'SELECT hash, salt, iterations, stored_key, server_key FROM credentials WHERE jid = ? AND hash = ?',
    );
    // A repeated hash in one credential list: the last entry wins.
    this.insertCredential = db.prepare<CredentialParams>(
      `INSERT OR REPLACE INTO credentials (jid, hash, salt, iterations, stored_key, server_key)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.deleteCredentials = db.prepare<[string]>('DELETE FROM credentials WHERE jid = ?');
    // Credentials go with the account row via ON DELETE CASCADE. Roster,
    // subscription request, offline, vCard, archiving preference and key-value
    // rows are keyed by bare JID without a foreign key (their tables belong to
    // other features), so account deletion clears them explicitly in the same
    // transaction.
    this.deleteAccountRow = db.prepare<[string]>('DELETE FROM accounts WHERE jid = ?');
    this.deleteRoster = db.prepare<[string]>('DELETE FROM roster_items WHERE owner = ?');
    this.deleteRosterVersion = db.prepare<[string]>('DELETE FROM roster_versions WHERE owner = ?');
    this.deleteSubscriptionRequests = db.prepare<[string]>('DELETE FROM subscription_requests WHERE owner = ?');
    this.deleteOffline = db.prepare<[string]>('DELETE FROM offline_messages WHERE recipient = ?');
    this.deleteVCard = db.prepare<[string]>('DELETE FROM vcards WHERE jid = ?');
    this.deleteArchivePreferences = db.prepare<[string]>('DELETE FROM archive_preferences WHERE owner = ?');
    this.deleteKeyValues = db.prepare<[string]>('DELETE FROM key_values WHERE owner = ?');

    this.createTx = db.transaction(
      (jid: string, credentials: ScramCredential[], name: string | null): void => {
        const { username, domain } = splitBareJid(jid);
        const inserted = this.insertAccount.run(jid, domain, username, name, Date.now()).changes > 0;
        if (!inserted) throw new StorageConflictError(`account already exists: ${jid}`);
        this.writeCredentials(jid, credentials);
      },
    );
    this.setCredentialsTx = db.transaction((jid: string, credentials: ScramCredential[]): void => {
      if (this.accountExists.get(jid) === undefined) {
        throw new StorageNotFoundError(`no such account: ${jid}`);
      }
      this.deleteCredentials.run(jid);
      this.writeCredentials(jid, credentials);
    });
    this.deleteTx = db.transaction((jid: string): boolean => {
      this.deleteRoster.run(jid);
      this.deleteRosterVersion.run(jid);
      this.deleteSubscriptionRequests.run(jid);
      this.deleteOffline.run(jid);
      this.deleteVCard.run(jid);
      this.deleteArchivePreferences.run(jid);
      this.deleteKeyValues.run(jid);
      return this.deleteAccountRow.run(jid).changes > 0;
    });
  }

  private writeCredentials(jid: string, credentials: ScramCredential[]): void {
    for (const c of credentials) {
      this.insertCredential.run(jid, c.hash, c.salt, c.iterations, c.storedKey, c.serverKey);
    }
  }

  async create(jid: string, credentials: ScramCredential[], name: string | null = null): Promise<void> {
    this.createTx.immediate(jid, credentials, name);
  }

  async get(jid: string): Promise<Account | null> {
    const row = this.selectAccount.get(jid);
    return row ? toAccount(row) : null;
  }

  async getCredential(jid: string, hash: Hash): Promise<ScramCredential | null> {
    const row = this.selectCredential.get(jid, hash);
    return row ? toCredential(row) : null;
  }

  async setCredentials(jid: string, credentials: ScramCredential[]): Promise<void> {
    this.setCredentialsTx.immediate(jid, credentials);
  }

  async delete(jid: string): Promise<boolean> {
    return this.deleteTx.immediate(jid);
  }

  async listByDomain(domain: string): Promise<Account[]> {
    return this.selectByDomain.all(domain).map(toAccount);
  }
}
