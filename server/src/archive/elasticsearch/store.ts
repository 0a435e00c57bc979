// The archive on Elasticsearch (7.x, client @elastic/elasticsearch 7.10). Writes go to the index
// queue in the state storage first (storage/types.ts ArchiveIndexQueue), then to the cluster in bulk
// requests, options.parallelBulks of them at a time from the queue's oldest entries (back-pressure:
// the queue absorbs bursts and outages), retried with exponential back-off. A query first waits
// until what was archived before it is indexed and refreshed, so a client reads its own writes.
import { Client } from '@elastic/elasticsearch';
import type { Logger } from '../../logger.ts';
import type { ArchiveBounds, ArchiveEntry, ArchiveFilter, ArchiveStore, PageRequest, PageResult } from '../types.ts';
import type { ArchiveIndexQueue } from '../../storage/index.ts';
import { WriteBatcher } from '../write-batcher.ts';
import { GroupCommit } from '../../storage/group-commit.ts';
import {
  FIRST_LAYOUT_MIGRATION, MIGRATED_PROPERTIES, boundsSearches, bulkBody, bulkLines, bulkTarget, conversationSearch, entriesOfDocument, fromDocument, indexTemplate,
  messageDocument, messageDocuments, messageDocumentsSearch, pageSearches, resolveSearch, type ArchiveDocument, type IndexSettings,
} from './requests.ts';
import type { Retraction } from '../retraction.ts';
import { findTombstones } from './retraction.ts';

export interface ElasticsearchOptions {
  nodes: string[];
  username?: string;
  password?: string;
  index: string;
  shards: number;
  replicas: number;
  bulkSize: number;
  /** Bulk requests in flight at once (the cluster indexes them on several threads). */
  parallelBulks: number;
  requestTimeoutMs: number;
  queryWaitMs: number;
  maxRetryDelayMs: number;
}

/** The cluster cannot be reached (or is not ready) now; the entries stay queued. */
export class ArchiveUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ArchiveUnavailableError';
  }
}

/** Bytes of JSON per bulk request at most (besides the entry count). */
const MAX_BULK_BYTES = 8 * 1024 * 1024;
/** An entry the cluster rejects this many times (a mapping error, not an outage) is given up, with an error log. */
const MAX_ATTEMPTS = 10;
const FIRST_RETRY_DELAY_MS = 100;
/** Tries of a retraction while Elasticsearch does not answer in time. */
const RETRACTION_ATTEMPTS = 3;

/** A peeked batch as large as one request takes (by count, or by size with room for no more than another half). */
function fullBulk(queued: ReadonlyArray<{ document: string }>, bulkSize: number): boolean {
  if (queued.length >= bulkSize) return true;
  let bytes = 0;
  for (const { document } of queued) bytes += document.length;
  return bytes >= MAX_BULK_BYTES / 2;
}

export function createElasticsearchClient(options: ElasticsearchOptions): Client {
  return new Client({
    nodes: options.nodes,
    auth: options.username !== undefined ? { username: options.username, password: options.password ?? '' } : undefined,
    requestTimeout: options.requestTimeoutMs,
    // The store retries on its own schedule (and keeps the entries queued meanwhile).
    maxRetries: 0,
    sniffOnStart: false,
  });
}

/** A first-layout index is migrated in one request: it may take a while on a large archive. */
const MIGRATION_TIMEOUT_MS = 3_600_000;

/**
 * Puts the index template (analyser, mappings) and creates the index if it is missing; an index of
 * the first layout (a document per entry) is migrated to documents per message first.
 */
export async function ensureArchiveIndex(client: Client, options: IndexSettings, log?: Logger): Promise<void> {
  await client.indices.putIndexTemplate({ name: options.index, body: indexTemplate(options) });
  const { body: exists } = await client.indices.exists({ index: options.index });
  if (exists) {
    await migrateFirstLayout(client, options.index, log);
    return;
  }
  try {
    await client.indices.create({ index: options.index });
  } catch (error) {
    if (!String((error as { message?: string }).message).includes('resource_already_exists_exception')) throw error;
  }
}

async function migrateFirstLayout(client: Client, index: string, log?: Logger): Promise<void> {
  const { body } = await client.indices.getMapping<Record<string, { mappings: { properties?: Record<string, unknown> } }>>({ index });
  const properties = Object.values(body)[0]?.mappings.properties ?? {};
  if ('sides' in properties || !('owner' in properties)) return;
  log?.info({ event: 'archive-elasticsearch-migration', index }, 'migrating the archive index to one document per message');
  await client.indices.putMapping({ index, body: MIGRATED_PROPERTIES });
  const { body: result } = await client.updateByQuery<{ updated: number; failures: unknown[] }>({
    index, body: FIRST_LAYOUT_MIGRATION, refresh: true, conflicts: 'proceed', wait_for_completion: true,
  }, { requestTimeout: MIGRATION_TIMEOUT_MS });
  if (result.failures.length > 0) throw new Error(`migrating the archive index failed: ${JSON.stringify(result.failures[0])}`);
  log?.info({ event: 'archive-elasticsearch-migrated', index, documents: result.updated }, 'archive index migrated');
}

interface SearchResponse {
  error?: { type?: string; reason?: string };
  hits: { total?: { value: number }; hits: Array<{ _id: string; _source: ArchiveDocument }> };
}

interface BulkItem { index?: { status: number; error?: { type?: string; reason?: string } } }

/** What the bulk requests of one sending round met: entries to retry, a request that failed. */
interface RoundOutcome {
  retries: number;
  failure: { error: unknown } | null;
}

/** A message read back from the queue: its bulk lines (requests.ts, bulkLines). */
interface QueuedDocument {
  queueId: number;
  attempts: number;
  lines: string;
}

function queueDocument(doc: ArchiveDocument): { seq: number; document: string } {
  return { seq: doc.seq, document: bulkLines(doc) };
}

/** What store.append queues for entries: a message's bulk lines each (the bench queues its own). */
export function queueDocuments(entries: ArchiveEntry[]): Array<{ seq: number; document: string }> {
  return messageDocuments(entries).map(queueDocument);
}

/** A queued message; an entry queued before documents per message (its JSON) becomes a document of its own. */
function readQueued(queueId: number, attempts: number, queued: string): QueuedDocument {
  if (queued.startsWith('{"index"')) return { queueId, attempts, lines: queued };
  return { queueId, attempts, lines: bulkLines(messageDocument([JSON.parse(queued) as ArchiveEntry])) };
}

export class ElasticsearchArchiveStore implements ArchiveStore {
  readonly backend = 'elasticsearch' as const;
  readonly stats = { indexed: 0, bulkRequests: 0, failedRequests: 0, dropped: 0 };
  private readonly batcher: WriteBatcher<ArchiveDocument>;
  private closed = false;
  private draining: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private indexReady: Promise<void> | null = null;
  private dirty = false;
  private refreshing: Promise<void> | null = null;
  private reachable = true;
  private failures = 0;
  private waiters: Array<{ target: number; resolve: () => void }> = [];
  /** The last batch's queue write (batches are written in order). */
  private pushed: Promise<void> = Promise.resolve();
  /** Retractions being applied, one after the other; queries wait for them. */
  private retracting: Promise<unknown> = Promise.resolve();

  /** `commits`: the server's group commit; the queue write (in the state storage) is what it commits. */
  constructor(readonly client: Client, private readonly queue: ArchiveIndexQueue,
    private readonly options: ElasticsearchOptions, private readonly log?: Logger, commits = new GroupCommit()) {
    this.batcher = new WriteBatcher<ArchiveDocument>(commits, (batch) => this.queueBatch(batch));
  }

  /** Starts indexing what the queue kept from before (an outage, a restart). */
  start(): void {
    this.kick();
  }

  /** True while the last request reached the cluster. */
  get isReachable(): boolean {
    return this.reachable;
  }

  /** Messages not yet indexed. */
  async queued(): Promise<number> {
    return (await this.queue.size()) + this.batcher.size;
  }

  append(entries: ArchiveEntry[]): void {
    if (!this.closed) this.batcher.append(messageDocuments(entries));
  }

  private writePending(): void {
    if (!this.closed) this.batcher.flush();
  }

  /** The queue write of a batch; the group commit waits for it (its failure is logged here). */
  private queueBatch(batch: ArchiveDocument[]): Promise<void> {
    const documents = batch.map(queueDocument);
    this.pushed = this.pushed.then(() => this.queue.push(documents)).then(() => this.kick(), (error: unknown) => {
      this.log?.error({ err: error, messages: batch.length }, 'archive queue write failed');
    });
    return this.pushed;
  }

  private kick(): void {
    if (this.draining || this.closed) return;
    this.draining = this.drain().catch((error: unknown) => {
      this.log?.error({ err: error }, 'reading the archive queue failed');
    }).finally(() => {
      this.draining = null;
    });
    // entries queued while the last batch was in flight start the next round
    void this.draining.then(async () => {
      if (!this.closed && (await this.queue.lowestId()) !== null) this.kick();
    }).catch(() => {});
  }

  /**
   * Keeps options.parallelBulks bulk requests in flight: each takes the next entries after the ones
   * already sent, and its entries leave the queue as soon as its answer came (not after the
   * slowest of a round), so the cluster's write threads do not wait for the queue's reads and
   * deletes between rounds. A request that fails, or entries to retry, stop the sending: what is
   * in flight finishes, then after a back-off sending starts again from the oldest entry (an
   * entry's id is its document id: sending it again overwrites it).
   */
  private async drain(): Promise<void> {
    const parallel = this.options.parallelBulks;
    while (!this.closed) {
      const inFlight = new Set<Promise<void>>();
      const outcome: RoundOutcome = { retries: 0, failure: null };
      let sentUpTo: number | undefined;
      let empty = false;
      while (!this.closed) {
        while (!empty && outcome.failure === null && outcome.retries === 0 && inFlight.size < parallel && !this.closed) {
          const queued = await this.queue.peek(this.options.bulkSize, MAX_BULK_BYTES, sentUpTo);
          // A part-filled request goes only when none is in flight: while the cluster keeps up,
          // entries gather during a request into the next one instead of many small requests.
          if (queued.length === 0 || (inFlight.size > 0 && !fullBulk(queued, this.options.bulkSize))) {
            empty = true;
            break;
          }
          const batch = queued.map((document) => readQueued(document.queueId, document.attempts, document.document));
          sentUpTo = batch[batch.length - 1]!.queueId;
          const request = this.indexBatch(batch, outcome).finally(() => inFlight.delete(request));
          inFlight.add(request);
        }
        if (inFlight.size === 0) break;
        await Promise.race(inFlight);
        // entries queued meanwhile go too, after those already sent
        empty = false;
      }
      if (outcome.failure === null && outcome.retries === 0) {
        this.failures = 0;
        await this.settleWaiters();
        return;
      }
      if (outcome.failure !== null) {
        this.stats.failedRequests++;
        if (this.reachable) {
          this.log?.warn({ event: 'archive-elasticsearch-unreachable', err: outcome.failure.error, queued: await this.queue.size().catch(() => undefined) },
            'Elasticsearch is unreachable; archive entries wait in the local queue');
        }
        this.reachable = false;
        this.indexReady = null;
      }
      this.failures++;
      await this.pause();
    }
  }

  /** One bulk request and its answer applied to the queue; a failure or retries are noted in `outcome`. */
  private async indexBatch(batch: QueuedDocument[], outcome: RoundOutcome): Promise<void> {
    try {
      await this.ensureIndex();
      const { done, retry } = await this.sendBulk(batch);
      await this.queue.remove(done);
      await this.queue.failed(retry);
      outcome.retries += retry.length;
      if (!this.reachable) this.log?.info({ event: 'archive-elasticsearch-back', queued: await this.queue.size() }, 'Elasticsearch is reachable again; indexing the queued archive entries');
      this.reachable = true;
      await this.settleWaiters();
    } catch (error) {
      outcome.failure ??= { error };
    }
  }

  /** Sends one bulk request; says which entries are done (indexed or given up) and which to retry. */
  private async sendBulk(batch: QueuedDocument[]): Promise<{ done: number[]; retry: number[] }> {
    this.stats.bulkRequests++;
    const { body } = await this.client.bulk<{ errors: boolean; items: BulkItem[] }, string>({
      index: this.options.index,
      // a string body goes as it is
      body: bulkBody(batch.map((queued) => queued.lines)),
      // only what is read below: the answer of a bulk of 1000 is ~200 KB of JSON otherwise
      filter_path: 'errors,items.*.status,items.*.error',
    });
    this.dirty = true;
    const done: number[] = [];
    const retry: number[] = [];
    for (let i = 0; i < batch.length; i++) {
      const queued = batch[i]!;
      const result = body.items[i]?.index;
      if (!body.errors || (result && result.status < 300)) {
        done.push(queued.queueId);
        this.stats.indexed++;
      } else if (result && result.status !== 429 && result.status < 500 && queued.attempts + 1 >= MAX_ATTEMPTS) {
        this.stats.dropped++;
        const { id, owner } = bulkTarget(queued.lines);
        this.log?.error({ event: 'archive-entry-rejected', id, owner, error: result.error },
          'Elasticsearch keeps rejecting an archive message; it stays only in the logs');
        done.push(queued.queueId);
      } else {
        retry.push(queued.queueId);
      }
    }
    return { done, retry };
  }

  private pause(): Promise<void> {
    const base = Math.min(this.options.maxRetryDelayMs, FIRST_RETRY_DELAY_MS * 2 ** Math.min(this.failures - 1, 20));
    const delay = base / 2 + Math.random() * base / 2;
    return new Promise((resolve) => {
      const timer = setTimeout(done, delay);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        if (self.wake === done) self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  private async settleWaiters(): Promise<void> {
    if (this.waiters.length === 0) return;
    const lowest = await this.queue.lowestId();
    this.waiters = this.waiters.filter((waiter) => {
      if (lowest !== null && lowest <= waiter.target) return true;
      waiter.resolve();
      return false;
    });
  }

  /** Index template and index, once per process (again after an outage). */
  private ensureIndex(): Promise<void> {
    this.indexReady ??= ensureArchiveIndex(this.client, this.options, this.log).catch((error: unknown) => {
      this.indexReady = null;
      throw error;
    });
    return this.indexReady;
  }

  async flush(): Promise<void> {
    await this.retracting;
    await this.indexed();
  }

  /** What was appended is indexed and searchable. */
  private async indexed(): Promise<void> {
    this.writePending();
    await this.pushed;
    const target = await this.queue.highestId();
    if (target !== null) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.waiters = this.waiters.filter((waiter) => waiter !== entry);
          reject(new ArchiveUnavailableError(`Elasticsearch did not index the archive within ${this.options.queryWaitMs} ms`));
        }, this.options.queryWaitMs);
        const entry = { target, resolve: () => { clearTimeout(timer); resolve(); } };
        this.waiters.push(entry);
        void this.settleWaiters().catch(reject);
        this.kick();
        // a query is a good moment to retry at once rather than at the end of a back-off
        this.wake?.();
      });
    }
    await this.guard(this.ensureIndex());
    if (this.dirty) {
      this.refreshing ??= (async () => {
        this.dirty = false;
        try {
          await this.client.indices.refresh({ index: this.options.index });
        } catch (error) {
          this.dirty = true;
          throw error;
        }
      })().finally(() => {
        this.refreshing = null;
      });
      await this.guard(this.refreshing);
    }
  }

  /** Turns client errors into ArchiveUnavailableError. */
  private async guard<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      if (error instanceof ArchiveUnavailableError) throw error;
      throw new ArchiveUnavailableError(`Elasticsearch request failed: ${(error as Error).message}`, { cause: error });
    }
  }

  private async msearch(body: Array<Record<string, unknown>>): Promise<SearchResponse[]> {
    const { body: result } = await this.guard(this.client.msearch<{ responses: SearchResponse[] }>({ body }));
    for (const response of result.responses) {
      if (response.error) throw new ArchiveUnavailableError(`Elasticsearch search failed: ${response.error.type}: ${response.error.reason}`);
    }
    return result.responses;
  }

  async resolve(owner: string, ids: string[]): Promise<Map<string, number>> {
    await this.flush();
    const found = new Map<string, number>();
    if (ids.length === 0) return found;
    const { body } = await this.guard(this.client.search<SearchResponse>({
      index: this.options.index, body: resolveSearch(owner, ids),
    }));
    const wanted = new Set(ids);
    for (const hit of body.hits.hits) {
      // the owner's side: the message may have been found by the other side's id
      const side = hit._source.sides.find((s) => s.owner === owner);
      if (side !== undefined && wanted.has(side.sid)) found.set(side.sid, hit._source.seq);
    }
    return found;
  }

  async page(filter: ArchiveFilter, request: PageRequest): Promise<PageResult> {
    await this.flush();
    const responses = await this.msearch(pageSearches(this.options.index, filter, request));
    const [hits, all] = responses as [SearchResponse, SearchResponse | undefined];
    const side = hits.hits.total?.value ?? 0;
    const forward = request.direction === 'forward';
    const offset = forward ? request.offset ?? 0 : 0;
    let total = side;
    let preceding = forward ? offset : side;
    if (all) {
      total = all.hits.total?.value ?? 0;
      preceding = forward ? total - side + offset : side;
    }
    return { entries: hits.hits.hits.map((hit) => fromDocument(hit._source, filter.owner)), total, preceding };
  }

  async bounds(owner: string): Promise<ArchiveBounds | null> {
    await this.flush();
    const [first, last] = await this.msearch(boundsSearches(this.options.index, owner)) as [SearchResponse, SearchResponse];
    const a = first.hits.hits[0]?._source;
    const b = last.hits.hits[0]?._source;
    if (!a || !b) return null;
    return { first: { id: fromDocument(a, owner).id, seq: a.seq }, last: { id: fromDocument(b, owner).id, seq: b.seq } };
  }

  retract(retraction: Retraction): Promise<number> {
    const done = this.retracting.then(() => this.retrying(retraction));
    this.retracting = done.catch(() => {});
    return done;
  }

  /** A cluster too slow or away for a moment (a query's wait ran out) gets a few more tries, queries waiting behind. */
  private async retrying(retraction: Retraction): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.applyRetraction(retraction);
      } catch (error) {
        if (!(error instanceof ArchiveUnavailableError) || attempt >= RETRACTION_ATTEMPTS || this.closed) throw error;
        this.log?.warn({ err: error, target: retraction.target, attempt }, 'applying a retraction waits for Elasticsearch');
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.options.maxRetryDelayMs, FIRST_RETRY_DELAY_MS * 10 * attempt)));
      }
    }
  }

  /**
   * The tombstones go through the queue as new versions of the messages' documents (same document
   * ids: the bulk 'index' overwrites them), after the originals, which are indexed before this looks.
   */
  private async applyRetraction(retraction: Retraction): Promise<number> {
    await this.indexed();
    for (const scope of retraction.scopes) {
      const search = (size: number, beforeSeq?: number, id?: string) => this.guard(this.client.search<SearchResponse>({
        index: this.options.index, body: conversationSearch(scope.owner, scope.peer, scope.outgoing, size, beforeSeq, id),
      })).then(({ body }) => body.hits.hits.map((hit) => fromDocument(hit._source, scope.owner)).filter((entry) => id === undefined || entry.id === id));
      const changes = await findTombstones(search, scope, retraction);
      if (changes.length === 0) continue;
      const tombstones: ArchiveDocument[] = [];
      let entries = 0;
      for (const { entry, stanza } of changes) {
        // the message's documents: both archives' entries, or one each (an index of the first layout)
        const { body } = await this.guard(this.client.search<SearchResponse>({ index: this.options.index, body: messageDocumentsSearch(entry.seq) }));
        for (const hit of body.hits.hits) {
          const sides = entriesOfDocument(hit._source);
          if (sides.some((copy) => (copy.owner === entry.owner && copy.peer === entry.peer) || (copy.owner === entry.peer && copy.peer === entry.owner))) {
            tombstones.push(messageDocument(sides, '', stanza));
            entries += sides.length;
          }
        }
      }
      if (this.closed) return 0;
      this.batcher.append(tombstones);
      this.writePending();
      await this.pushed;
      return entries;
    }
    return 0;
  }

  async pruneBefore(seq: number): Promise<number> {
    this.writePending();
    await this.pushed;
    await this.queue.dropOlderThan(seq);
    await this.guard(this.ensureIndex());
    const { body } = await this.guard(this.client.deleteByQuery<{ deleted: number }>({
      index: this.options.index,
      conflicts: 'proceed',
      refresh: true,
      body: { query: { range: { seq: { lt: seq } } } },
    }));
    return body.deleted;
  }

  async highestSeq(): Promise<number> {
    let highest = await this.queue.highestSeq();
    try {
      const { body } = await this.client.search<SearchResponse>({
        index: this.options.index,
        body: { size: 1, sort: [{ seq: 'desc' }], _source: ['seq'] },
      }, { requestTimeout: 2000 });
      highest = Math.max(highest, body.hits.hits[0]?._source.seq ?? 0);
    } catch {
      // unreachable or no index yet: ids come from the clock, which is past every stored one
    }
    return highest;
  }

  /** Stops indexing; queued entries stay in the local queue for the next start. */
  async close(): Promise<void> {
    this.writePending();
    this.closed = true;
    // what waited for a batch is in the queue before the state storage closes
    await this.pushed;
    this.wake?.();
    for (const waiter of this.waiters) waiter.resolve();
    this.waiters = [];
    await this.draining;
    await this.client.close();
  }
}
