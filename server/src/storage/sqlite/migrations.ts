// Schema migrations for the SQLite backend.
//
// The schema version lives in the database header (PRAGMA user_version).
// Migration N (1-based) is MIGRATIONS[N - 1]; to change the schema, append a
// new entry — never edit one that has shipped.

import type BetterSqlite3 from 'better-sqlite3';

export interface Migration {
  description: string;
  up(db: BetterSqlite3.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    description: 'initial schema',
    up(db) {
      db.exec(`
        CREATE TABLE domains (
          domain TEXT PRIMARY KEY
        ) WITHOUT ROWID;

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

        -- RFC 6121 §3.1.3 inbound subscription requests awaiting the owner's
        -- answer, kept for re-delivery at the owner's next login.
        CREATE TABLE subscription_requests (
          owner       TEXT NOT NULL,
          requester   TEXT NOT NULL,
          stanza      TEXT NOT NULL,
          received_at INTEGER NOT NULL,
          PRIMARY KEY (owner, requester)
        );

        CREATE TABLE offline_messages (
          id         INTEGER PRIMARY KEY AUTOINCREMENT,
          recipient  TEXT NOT NULL,
          stanza     TEXT NOT NULL,
          stamped_at INTEGER NOT NULL
        );
        CREATE INDEX offline_messages_by_recipient ON offline_messages (recipient, id);

        -- XEP-0054 vcard-temp, stored as serialized XML.
        CREATE TABLE vcards (
          jid   TEXT PRIMARY KEY,
          vcard TEXT NOT NULL
        );
      `);
    },
  },
];

export function schemaVersion(db: BetterSqlite3.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the database up to `migrations.length`, applying each pending
 * migration in its own transaction together with the user_version bump, so a
 * crash leaves the schema at a consistent version. Refuses to open a database
 * written by a newer Parley.
 */
export function migrate(db: BetterSqlite3.Database, migrations: readonly Migration[] = MIGRATIONS): void {
  const current = schemaVersion(db);
  if (current > migrations.length) {
    throw new Error(
      `database schema version ${current} is newer than this server supports (${migrations.length})`,
    );
  }
  for (let version = current + 1; version <= migrations.length; version++) {
    const migration = migrations[version - 1]!;
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${version}`);
    }).immediate();
  }
}
