// The embedded directory's tables. It lives in the state storage's SQLite file: its users are the
// rows of the accounts table (storage/sqlite/accounts.ts), which it gives an enabled flag.
import type { FeatureSchema } from '../../storage/sqlite/migrations.ts';
import { ACCOUNTS_SCHEMA } from '../../storage/sqlite/accounts.ts';

export const DIRECTORY_SCHEMA: FeatureSchema = {
  feature: 'directory',
  // its users are accounts: a column, foreign keys and triggers on that table
  requires: [ACCOUNTS_SCHEMA],
  migrations: [
    {
      description: 'served domains',
      up(db) {
        db.exec(`
          CREATE TABLE domains (
            domain TEXT PRIMARY KEY
          ) WITHOUT ROWID;
        `);
      },
    },
    {
      description: 'suite directory: domain aliases and IM settings, user status, emails, groups, roles, cards',
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
        `);
      },
    },
  ],
};
