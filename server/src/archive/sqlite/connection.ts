// Settings of a connection that writes the embedded archive (the server's own or the writer thread's).
import type BetterSqlite3 from 'better-sqlite3';

export function tuneArchiveConnection(db: BetterSqlite3.Database): void {
  // The archive's index grows large: a bigger page cache than SQLite's 2 MB default.
  db.pragma('cache_size = -65536');
  // Each checkpoint copies the WAL's pages into the database and syncs it: with a 40 MB WAL
  // rather than SQLite's 4 MB, an index page rewritten by many batches is copied once, not each time.
  db.pragma('wal_autocheckpoint = 10000');
}
