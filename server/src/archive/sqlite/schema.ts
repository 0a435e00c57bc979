// The embedded archive's tables and its own connection to the data folder's SQLite file: archive
// writes are batched apart from the rest of the state (store.ts).
import type BetterSqlite3 from 'better-sqlite3';
import { openSqliteFile, type DatabaseOptions } from '../../storage/sqlite/database.ts';
import { migrate, type FeatureSchema } from '../../storage/sqlite/migrations.ts';
import { ACCOUNTS_SCHEMA } from '../../storage/sql/accounts.ts';
import { sqliteSchema } from '../../storage/sql/schema.ts';
import { migrateToArchiveRows } from './layout.ts';

export const ARCHIVE_SCHEMA: FeatureSchema = {
  feature: 'archive',
  // the account deletion trigger
  requires: [sqliteSchema(ACCOUNTS_SCHEMA)],
  migrations: [{
    description: 'conversation archive (XEP-0313): messages with an FTS5 index',
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

        -- A deleted account takes its archive with it (its preferences go with the state storage's
        -- account deletion).
        CREATE TRIGGER accounts_archive_cleanup AFTER DELETE ON accounts BEGIN
          DELETE FROM archive_messages WHERE owner = OLD.jid;
        END;
      `);
    },
  }, {
    description: 'the two entries of a message may be 16 seqs apart (node numbers in seqs, archive/ids.ts)',
    up(db) {
      db.exec(`
        DROP TRIGGER archive_search_cleanup;
        CREATE TRIGGER archive_search_cleanup AFTER DELETE ON archive_messages
        WHEN NOT EXISTS (SELECT 1 FROM archive_messages WHERE seq BETWEEN OLD.message AND OLD.message + 16 AND message = OLD.message)
        BEGIN
          DELETE FROM archive_search WHERE rowid = OLD.message;
        END;
      `);
    },
  }, {
    description: 'one row per message, lookups by archive and contact through the FTS5 index (archive/sqlite/layout.ts)',
    up(db) {
      migrateToArchiveRows(db);
    },
  }],
};

/** A connection of the archive's own to `dataDir/parley.db`, its tables migrated. */
export function openSqliteArchiveDatabase(dataDir: string, options?: DatabaseOptions): BetterSqlite3.Database {
  const db = openSqliteFile(dataDir, options);
  try {
    tune(db);
    migrate(db, ARCHIVE_SCHEMA);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The writer thread's connection (writer-thread.ts): the server's connection migrated the tables. */
export function openSqliteArchiveWriter(dataDir: string, options?: DatabaseOptions): BetterSqlite3.Database {
  const db = openSqliteFile(dataDir, options);
  tune(db);
  return db;
}

function tune(db: BetterSqlite3.Database): void {
  // The archive's index grows large: a bigger page cache than SQLite's 2 MB default.
  db.pragma('cache_size = -65536');
}
