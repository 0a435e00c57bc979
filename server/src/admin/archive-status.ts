// The archive for the admin console: which backend, how many entries, how many wait for
// Elasticsearch, and the reindex (the embedded SQLite archive copied into Elasticsearch, as `parley
// archive reindex` does) run by the server with its progress. The job's state is kept in the state
// storage (key-value store 'admin.jobs'), so every node of a cluster reports the same run and none
// starts a second one while it goes on.
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { KeyValueStore, Storage } from '../storage/index.ts';
import { SqliteArchiveStore } from '../archive/sqlite/store.ts';
import { openSqliteArchiveDatabase } from '../archive/sqlite/schema.ts';
import { createElasticsearchClient } from '../archive/elasticsearch/store.ts';
import { reindexArchive } from '../archive/elasticsearch/reindex.ts';
import type { ArchiveStore } from '../archive/index.ts';
import { AdminError } from './errors.ts';

const JOBS = 'admin.jobs';
const OWNER = 'archive';
const KEY = 'reindex';
/** A running job whose node has not written progress for this long is taken as interrupted (its node stopped). */
const STALE_MS = 120_000;
/** Progress is written at most this often. */
const PROGRESS_EVERY_MS = 250;

export interface ReindexJob {
  state: 'running' | 'done' | 'failed' | 'interrupted';
  node: string;
  index: string;
  done: number;
  total: number;
  failed: number;
  error: string | null;
  startedAt: string;
  updatedAt: string;
}

export interface ArchiveStatus {
  enabled: boolean;
  backend: 'sqlite' | 'elasticsearch' | 'off';
  /** Entries in the embedded archive (all users' archives), null when it is not the backend. */
  entries: number | null;
  /** Entries waiting for Elasticsearch in the local queue (Elasticsearch backend). */
  queued: number | null;
  /** Where a reindex copies to. */
  elasticsearch: { nodes: string[]; index: string };
  reindex: ReindexJob | null;
}

export class AdminArchive {
  private readonly jobs: KeyValueStore<ReindexJob>;

  constructor(private readonly config: Config, private readonly storage: Storage, private readonly store: ArchiveStore | null,
    private readonly node: string, private readonly log: Logger) {
    this.jobs = storage.keyValue.open<ReindexJob>(JOBS);
  }

  async status(): Promise<ArchiveStatus> {
    const { archive } = this.config;
    const backend = archive.enabled ? archive.backend : 'off';
    return {
      enabled: archive.enabled,
      backend,
      entries: this.store instanceof SqliteArchiveStore ? this.store.size() : null,
      queued: backend === 'elasticsearch' ? await this.storage.archiveIndexQueue.size() : null,
      elasticsearch: { nodes: archive.elasticsearch.nodes, index: archive.elasticsearch.index },
      reindex: await this.job(),
    };
  }

  async job(): Promise<ReindexJob | null> {
    const job = (await this.jobs.get(OWNER, KEY)) ?? null;
    if (job?.state === 'running' && Date.now() - Date.parse(job.updatedAt) > STALE_MS) return { ...job, state: 'interrupted' };
    return job;
  }

  /** Starts copying the embedded archive into Elasticsearch; 409 while a run is going on. */
  async startReindex(options: { recreate?: boolean | undefined }): Promise<ReindexJob> {
    const settings = this.config.archive.elasticsearch;
    const now = new Date().toISOString();
    const job: ReindexJob = {
      state: 'running', node: this.node, index: settings.index, done: 0, total: 0, failed: 0, error: null, startedAt: now, updatedAt: now,
    };
    await this.storage.transaction(async (tx) => {
      const jobs = tx.keyValue.open<ReindexJob>(JOBS);
      const current = await jobs.get(OWNER, KEY);
      if (current?.state === 'running' && Date.now() - Date.parse(current.updatedAt) <= STALE_MS) {
        throw new AdminError(`a reindex is already running (${current.done} of ${current.total}, on ${current.node})`, 'conflict');
      }
      await jobs.set(OWNER, KEY, job);
    });
    void this.run(job, options.recreate === true);
    return job;
  }

  private async run(job: ReindexJob, recreate: boolean): Promise<void> {
    const settings = this.config.archive.elasticsearch;
    const db = openSqliteArchiveDatabase(this.config.dataDir, this.config.storage);
    const client = createElasticsearchClient(settings);
    let lastWrite = 0;
    let writing: Promise<void> = Promise.resolve();
    const save = (change: Partial<ReindexJob>, force = false) => {
      Object.assign(job, change, { updatedAt: new Date().toISOString() });
      if (!force && Date.now() - lastWrite < PROGRESS_EVERY_MS) return writing;
      lastWrite = Date.now();
      const snapshot = { ...job };
      writing = writing.then(() => this.jobs.set(OWNER, KEY, snapshot)).catch((err: unknown) => this.log.warn({ err }, 'archive reindex: progress not saved'));
      return writing;
    };
    this.log.info({ index: settings.index, nodes: settings.nodes, recreate }, 'archive reindex started');
    try {
      const result = await reindexArchive(new SqliteArchiveStore(db), client, settings, {
        batchSize: settings.bulkSize, recreate, attempts: 3, onProgress: (progress) => void save(progress),
      });
      await save({ ...result, state: 'done' }, true);
      this.log.info({ index: settings.index, done: result.done, failed: result.failed }, 'archive reindex done');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await save({ state: 'failed', error: message }, true);
      this.log.warn({ index: settings.index, err: message }, 'archive reindex failed');
    } finally {
      await client.close().catch(() => {});
      db.close();
    }
  }
}
