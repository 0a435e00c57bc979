// TEST FIXTURE, not used by the server: migrations.ts as Parley shipped it before per-feature
// migrations (one schema version in PRAGMA user_version, 1–3), copied verbatim from commit 7be6d25
// below this comment, so that legacy-schema.test.ts can create a database exactly as that code did.
//
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
  {
    description: 'suite directory: domain aliases and IM settings, user status, emails, groups, roles, cards, event log',
    up(db) {
      db.exec(`
        -- A disabled account cannot log in; its live sessions are ended (directory/live-sync.ts).
        ALTER TABLE accounts ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;

        -- Other names of a domain: alice@alias maps to alice@domain.
        CREATE TABLE domain_aliases (
          alias  TEXT PRIMARY KEY,
          domain TEXT NOT NULL REFERENCES domains (domain) ON DELETE CASCADE
        ) WITHOUT ROWID;

        -- Per-domain IM settings; no row = enabled for everyone (directory/types.ts ImAccess).
        CREATE TABLE domain_im_settings (
          domain  TEXT PRIMARY KEY REFERENCES domains (domain) ON DELETE CASCADE,
          enabled INTEGER NOT NULL DEFAULT 1,
          access  TEXT NOT NULL DEFAULT 'everyone' CHECK (access IN ('everyone', 'restricted'))
        ) WITHOUT ROWID;
        CREATE TABLE domain_im_allowed (
          domain  TEXT NOT NULL REFERENCES domains (domain) ON DELETE CASCADE,
          kind    TEXT NOT NULL CHECK (kind IN ('user', 'group')),
          subject TEXT NOT NULL,
          PRIMARY KEY (domain, kind, subject)
        ) WITHOUT ROWID;

        -- A user's email addresses besides the default one, which is the JID itself.
        CREATE TABLE user_emails (
          address TEXT PRIMARY KEY,
          jid     TEXT NOT NULL REFERENCES accounts (jid) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX user_emails_by_jid ON user_emails (jid);

        CREATE TABLE directory_groups (
          name        TEXT PRIMARY KEY,
          description TEXT
        ) WITHOUT ROWID;
        CREATE TABLE group_members (
          group_name TEXT NOT NULL REFERENCES directory_groups (name) ON DELETE CASCADE,
          jid        TEXT NOT NULL REFERENCES accounts (jid) ON DELETE CASCADE,
          PRIMARY KEY (group_name, jid)
        ) WITHOUT ROWID;
        CREATE INDEX group_members_by_jid ON group_members (jid);

        CREATE TABLE role_grants (
          role    TEXT NOT NULL,
          kind    TEXT NOT NULL CHECK (kind IN ('user', 'group')),
          subject TEXT NOT NULL,
          PRIMARY KEY (role, kind, subject)
        ) WITHOUT ROWID;

        -- Grants and allow-list entries name users and groups without a foreign key (either kind):
        -- they go with the user or group.
        CREATE TRIGGER accounts_directory_cleanup AFTER DELETE ON accounts BEGIN
          DELETE FROM role_grants WHERE kind = 'user' AND subject = OLD.jid;
          DELETE FROM domain_im_allowed WHERE kind = 'user' AND subject = OLD.jid;
        END;
        CREATE TRIGGER groups_directory_cleanup AFTER DELETE ON directory_groups BEGIN
          DELETE FROM role_grants WHERE kind = 'group' AND subject = OLD.name;
          DELETE FROM domain_im_allowed WHERE kind = 'group' AND subject = OLD.name;
        END;

        -- The address-book card (JSON of directory/types.ts AddressCard) and the directory photo.
        CREATE TABLE address_cards (
          jid        TEXT PRIMARY KEY REFERENCES accounts (jid) ON DELETE CASCADE,
          card       TEXT NOT NULL DEFAULT '{}',
          photo_type TEXT,
          photo      BLOB,
          photo_hash TEXT NOT NULL DEFAULT ''
        ) WITHOUT ROWID;

        -- Suite events raised by other processes (the CLI), polled by the running server.
        CREATE TABLE suite_events (
          id         INTEGER PRIMARY KEY AUTOINCREMENT,
          event      TEXT NOT NULL,
          created_at INTEGER NOT NULL
        );
      `);
    },
  },
  {
    description: 'conversation archive (XEP-0313): messages with an FTS5 index, preferences, Elasticsearch queue',
    up(db) {
      db.exec(`
        -- One row per message per user archive (server/src/archive/). seq orders the archive and
        -- encodes the time (archive/ids.ts); sid is the public id.
        CREATE TABLE archive_messages (
          seq           INTEGER PRIMARY KEY,
          sid           TEXT NOT NULL,
          owner         TEXT NOT NULL,
          peer          TEXT NOT NULL,
          peer_resource TEXT NOT NULL DEFAULT '',
          outgoing      INTEGER NOT NULL,
          body          TEXT NOT NULL,
          stanza        TEXT NOT NULL,
          -- The message's row in archive_search: the seq of its first entry. The two entries of a
          -- message between local users (seq and seq + 1) share one, so its words are indexed once.
          message       INTEGER NOT NULL
        );
        CREATE INDEX archive_by_owner ON archive_messages (owner, seq);
        CREATE INDEX archive_by_peer ON archive_messages (owner, peer, seq);

        -- Full-text index, one row per message (rowid = archive_messages.message): words folded for
        -- case and accents, prefix indexes for 2-4 characters. 'tags' holds, for each entry of the
        -- message, a token for its owner and one for its owner and peer (archive/sqlite/search.ts), so
        -- that a search walks one user's messages, not everyone's. Rows are written by the archive
        -- store and deleted with the message's last entry.
        CREATE VIRTUAL TABLE archive_search USING fts5(
          body, tags,
          content = '', contentless_delete = 1,
          tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4'
        );
        CREATE TRIGGER archive_search_cleanup AFTER DELETE ON archive_messages
        WHEN NOT EXISTS (SELECT 1 FROM archive_messages WHERE seq BETWEEN OLD.message AND OLD.message + 1 AND message = OLD.message)
        BEGIN
          DELETE FROM archive_search WHERE rowid = OLD.message;
        END;

        -- XEP-0441 preferences of the users who set some; jid lists are JSON arrays.
        CREATE TABLE archive_preferences (
          owner          TEXT PRIMARY KEY,
          default_policy TEXT NOT NULL CHECK (default_policy IN ('always', 'never', 'roster')),
          always_jids    TEXT NOT NULL DEFAULT '[]',
          never_jids     TEXT NOT NULL DEFAULT '[]'
        ) WITHOUT ROWID;

        -- Entries waiting to be indexed in Elasticsearch (archive/elasticsearch/queue.ts): written
        -- before any request, removed once Elasticsearch acknowledged them.
        CREATE TABLE archive_index_queue (
          id       INTEGER PRIMARY KEY AUTOINCREMENT,
          seq      INTEGER NOT NULL,
          entry    TEXT NOT NULL,
          attempts INTEGER NOT NULL DEFAULT 0
        );

        -- A deleted account takes its archive and preferences with it.
        CREATE TRIGGER accounts_archive_cleanup AFTER DELETE ON accounts BEGIN
          DELETE FROM archive_messages WHERE owner = OLD.jid;
          DELETE FROM archive_preferences WHERE owner = OLD.jid;
        END;
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
