// Opens the data folder's SQLite file with the connection settings Parley relies on. The state
// storage, the embedded directory and the suite event log share one connection (connection.ts);
// the embedded archive opens one of its own for its batched writes (archive/sqlite/).

import path from 'node:path';
import Database from 'better-sqlite3';
import { privateDirectory, privateFile, tighten } from '../private-files.ts';

export const DB_FILENAME = 'parley.db';

export interface DatabaseOptions {
  /**
   * SQLite's `synchronous` in WAL mode. 'normal': a commit is in the WAL file (the OS has it) when it
   * returns, so it survives the process being killed; a power loss or OS crash may lose the last
   * commits (never corrupting the file). 'full': each commit is also fsynced, so it survives a power
   * loss too, at one fsync per commit (one per group commit: storage/group-commit.ts).
   */
  synchronous?: 'normal' | 'full';
}

/** Opens (creating if needed) `dataDir/parley.db` and configures the connection; migrations are the caller's. */
export function openSqliteFile(dataDir: string, options: DatabaseOptions = {}): Database.Database {
  // 0700 folder, 0600 file: SQLite gives the -wal and -shm files the database file's permissions
  privateDirectory(dataDir);
  const file = path.join(dataDir, DB_FILENAME);
  privateFile(file);
  for (const suffix of ['-wal', '-shm', '-journal']) tighten(file + suffix);
  const db = new Database(file);
  try {
    // WAL lets readers proceed while a write is in progress, and makes a commit one append to the WAL.
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`could not enable WAL journal mode (got ${String(mode)})`);
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Each checkpoint copies the WAL's pages into the database and syncs it: with a 40 MB WAL rather
    // than SQLite's 4 MB, a page rewritten by many batches (archive, index queue) is copied once.
    // Every connection to the file checkpoints on the same threshold.
    db.pragma('wal_autocheckpoint = 10000');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
