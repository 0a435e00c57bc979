// Opens the conversation archive the configuration asks for: the embedded SQLite store (FTS5, on a
// connection of its own) or Elasticsearch with its queue. Preferences and the Elasticsearch queue
// are in the state storage, whichever backend that is: with Elasticsearch the archive opens no
// SQLite connection.
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { ArchiveIndexQueue, ArchivePreferenceStore } from '../storage/index.ts';
import { ArchiveIds } from './ids.ts';
import { Retention } from './retention.ts';
import { SqliteArchiveStore } from './sqlite/store.ts';
import { openSqliteArchiveDatabase } from './sqlite/schema.ts';
import { ElasticsearchArchiveStore, createElasticsearchClient } from './elasticsearch/store.ts';
import type { ArchiveStore, ArchivingPreferences } from './types.ts';
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

/** What the archive keeps in the state storage. */
export interface ArchiveState {
  readonly archivePreferences: ArchivePreferenceStore;
  readonly archiveIndexQueue: ArchiveIndexQueue;
}

/** `commits`: appends are committed by the server's group commit, before the sender sees anything later. */
export async function openArchive(config: Config, state: ArchiveState, commits: GroupCommit, log?: Logger): Promise<Archive> {
  const store = openStore(config, state, commits, log);
  // seqs carry the node's number: nodes sharing the archive never make the same one
  const ids = new ArchiveIds(await store.highestSeq(), Date.now, config.node.index);
  const retention = config.archive.retentionDays > 0 ? new Retention(store, config.archive.retentionDays, log) : null;
  const preferences = state.archivePreferences;
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
    },
  };
}

function openStore(config: Config, state: ArchiveState, commits: GroupCommit, log?: Logger): ArchiveStore {
  if (config.archive.backend === 'elasticsearch') {
    const options = config.archive.elasticsearch;
    return new ElasticsearchArchiveStore(createElasticsearchClient(options), state.archiveIndexQueue, options, log, commits);
  }
  return new SqliteArchiveStore(openSqliteArchiveDatabase(config.dataDir, config.storage), log, commits, { ownsDatabase: true });
}
