// Opens the SQLite file with the connection settings Parley relies on.

import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations.ts';
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

/** Opens (creating if needed) `dataDir/parley.db`, configures it and migrates it. */
export function openDatabase(dataDir: string, options: DatabaseOptions = {}): Database.Database {
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
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
