// Opens the conversation archive the configuration asks for: the embedded SQLite store (FTS5) or
// Elasticsearch with its local queue; preferences always live in the embedded store.
import type BetterSqlite3 from 'better-sqlite3';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { openDatabase } from '../storage/sqlite/database.ts';
import { ArchiveIds } from './ids.ts';
import { Retention } from './retention.ts';
import { SqliteArchiveStore } from './sqlite/store.ts';
import { tuneArchiveConnection } from './sqlite/connection.ts';
import { SqliteArchivePreferenceStore } from './sqlite/preferences.ts';
import { IndexQueue } from './elasticsearch/queue.ts';
import { ElasticsearchArchiveStore, createElasticsearchClient } from './elasticsearch/store.ts';
import type { ArchivePreferenceStore, ArchiveStore, ArchivingPreferences } from './types.ts';
import type { GroupCommit } from '../storage/group-commit.ts';

export type { ArchiveEntry, ArchiveFilter, ArchiveStore, ArchivePreferenceStore, ArchivingPreferences, PageRequest, PageResult } from './types.ts';
export { ArchiveUnavailableError } from './elasticsearch/store.ts';

export interface Archive {
  readonly store: ArchiveStore;
  readonly preferences: ArchivePreferenceStore;
  /** Every user's stored preferences, read at start (modules/mam/preferences.ts keeps them current). */
  readonly savedPreferences: Map<string, ArchivingPreferences>;
  readonly ids: ArchiveIds;
  readonly config: Config['archive'];
  close(): Promise<void>;
}

/** `commits`: appends are committed by the server's group commit, before the sender sees anything later. */
export async function openArchive(config: Config, commits: GroupCommit, log?: Logger): Promise<Archive> {
  // A connection of its own to the data folder's database: archive writes are batched apart
  // from the rest of the state.
  const db = openDatabase(config.dataDir, config.storage);
  tuneArchiveConnection(db);
  const store = openStore(db, config, commits, log);
  const ids = new ArchiveIds(await store.highestSeq());
  const retention = config.archive.retentionDays > 0 ? new Retention(store, config.archive.retentionDays, log) : null;
  const preferences = new SqliteArchivePreferenceStore(db);
  const savedPreferences = await preferences.all();
  if (store instanceof ElasticsearchArchiveStore) store.start();
  retention?.start();
  return {
    store,
    preferences,
    savedPreferences,
    ids,
    config: config.archive,
    async close() {
      await retention?.stop();
      await store.close();
      db.close();
    },
  };
}

function openStore(db: BetterSqlite3.Database, config: Config, commits: GroupCommit, log?: Logger): ArchiveStore {
  if (config.archive.backend === 'elasticsearch') {
    const options = config.archive.elasticsearch;
    return new ElasticsearchArchiveStore(createElasticsearchClient(options), new IndexQueue(db), options, log, commits);
  }
  // with a writer thread this connection only reads (and keeps the preferences)
  const writerThread = config.archive.writerThread ? { dataDir: config.dataDir, database: config.storage } : undefined;
  return new SqliteArchiveStore(db, log, commits, { writerThread });
}
