// `parley archive reindex`: copies the embedded archive (SQLite) into Elasticsearch, in seq
// order, two bulk requests in flight, each retried with back-off. A row is one document (both
// entries of a message between local users share it, requests.ts), keyed by its first entry's
// archive id, so running it again (or after a partial run) overwrites rather than duplicates.
import type { Client } from '@elastic/elasticsearch';
import type { SqliteArchiveStore } from '../sqlite/store.ts';
import type { ArchiveEntry } from '../types.ts';
import { bulkBody, bulkLines, messageDocuments, type ArchiveDocument, type IndexSettings } from './requests.ts';
import { ensureArchiveIndex } from './store.ts';

export interface ReindexProgress {
  done: number;
  total: number;
  failed: number;
}

export interface ReindexOptions {
  batchSize?: number;
  /** Delete the index first (a new mapping, or a clean copy). */
  recreate?: boolean;
  onProgress?: (progress: ReindexProgress) => void;
  /** Attempts per bulk request before the reindex gives up. */
  attempts?: number;
}

const IN_FLIGHT = 2;

export async function reindexArchive(source: SqliteArchiveStore, client: Client, settings: IndexSettings,
  options: ReindexOptions = {}): Promise<ReindexProgress> {
  const batchSize = options.batchSize ?? 1000;
  const attempts = options.attempts ?? 8;
  if (options.recreate) await client.indices.delete({ index: settings.index }, { ignore: [404] });
  await ensureArchiveIndex(client, settings);
  // No refreshes while copying; the index's own setting comes back at the end.
  await client.indices.putSettings({ index: settings.index, body: { index: { refresh_interval: '-1' } } });
  const progress: ReindexProgress = { done: 0, total: source.size(), failed: 0 };
  options.onProgress?.({ ...progress });
  const inFlight = new Set<Promise<void>>();
  try {
    for (const batch of source.scan(0, batchSize)) {
      const request = sendWithRetries(client, settings.index, batch, attempts).then((failed) => {
        progress.done += batch.length;
        progress.failed += failed;
        options.onProgress?.({ ...progress });
      });
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request)).catch(() => {});
      if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await client.indices.putSettings({ index: settings.index, body: { index: { refresh_interval: null } } }).catch(() => {});
  }
  await client.indices.refresh({ index: settings.index });
  return progress;
}

/**
 * Sends one batch until every entry is in, or `attempts` runs out; returns how many entries failed
 * for good. The scan gives a row's entries together, so a batch never splits a message.
 */
async function sendWithRetries(client: Client, index: string, entries: ArchiveEntry[], attempts: number): Promise<number> {
  let pending: ArchiveDocument[] = messageDocuments(entries);
  let rejected = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      const { body } = await client.bulk<{ errors: boolean; items: Array<{ index?: { status: number } }> }, string>({ index, body: bulkBody(pending.map(bulkLines)) });
      if (!body.errors) return rejected;
      const statuses = pending.map((_, i) => body.items[i]?.index?.status ?? 500);
      const retry = pending.filter((_, i) => statuses[i] === 429 || statuses[i]! >= 500);
      rejected += entriesIn(pending.filter((_, i) => statuses[i]! >= 300 && statuses[i] !== 429 && statuses[i]! < 500));
      if (retry.length === 0) return rejected;
      if (attempt >= attempts) return rejected + entriesIn(retry);
      pending = retry;
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 200 * 2 ** (attempt - 1))));
  }
}

function entriesIn(docs: ArchiveDocument[]): number {
  return docs.reduce((sum, doc) => sum + doc.sides.length, 0);
}
