// Opens the SQLite file with the connection settings Parley relies on.

import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations.ts';
import { privateDirectory, privateFile, tighten } from '../private-files.ts';

export const DB_FILENAME = 'parley.db';

/** Opens (creating if needed) `dataDir/parley.db`, configures it and migrates it. */
export function openDatabase(dataDir: string): Database.Database {
  // 0700 folder, 0600 file: SQLite gives the -wal and -shm files the database file's permissions
  privateDirectory(dataDir);
  const file = path.join(dataDir, DB_FILENAME);
  privateFile(file);
  for (const suffix of ['-wal', '-shm', '-journal']) tighten(file + suffix);
  const db = new Database(file);
  try {
    // WAL lets readers proceed while a write is in progress; NORMAL sync is
    // durable across application crashes and safe (not corrupting) on power loss.
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`could not enable WAL journal mode (got ${String(mode)})`);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
