// The Elasticsearch indexing rate of the archive scenario: archive entries as the server queues them
// (two per message between local users, one document per message in the state storage's index
// queue), then indexed by the
// Elasticsearch store's bulk requests from that queue; timed from the store's start until the queue
// is empty and the cluster has refreshed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataFolder } from '../server/src/data-folder.ts';
import { ArchiveIds } from '../server/src/archive/ids.ts';
import { ElasticsearchArchiveStore, createElasticsearchClient, queueDocuments, type ElasticsearchOptions } from '../server/src/archive/elasticsearch/store.ts';
import type { ArchiveEntry } from '../server/src/archive/types.ts';
import { BENCH_DOMAIN } from './server-process.ts';

export interface IndexingResult {
  entries: number;
  seconds: number;
  bulkRequests: number;
  /** Bulk requests that failed as a whole (unreachable, 429 circuit breaker…) and were retried after a back-off. */
  failedRequests: number;
  /** CPU time of the Elasticsearch JVM and of this process (the store's side) while indexing. */
  cpuSeconds: number;
  jvmCpuSeconds: number;
  storeCpuSeconds: number;
}

/** User + system CPU seconds of a process (/proc/PID/stat, Linux). */
export function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The words of generated bodies: 4–16 of `words` each (a deterministic sequence). */
function bodies(words: string[], seed: number): () => string {
  let state = seed >>> 0;
  const next = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  return () => {
    const length = 4 + Math.floor(next() * 12);
    let body = words[Math.floor(words.length * next() ** 3)]!;
    for (let i = 1; i < length; i++) body += ' ' + words[Math.floor(words.length * next() ** 3)]!;
    return body;
  };
}

/** `jvm`: the Elasticsearch process id, for its CPU time. */
export async function elasticsearchIndexing(url: string, jvm: number | null, index: string, messages: number, words: string[],
  requests: Partial<Pick<ElasticsearchOptions, 'bulkSize' | 'parallelBulks'>> = {}): Promise<IndexingResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-es-queue-'));
  const data = openDataFolder(dataDir);
  const options: ElasticsearchOptions = {
    nodes: [url], index, shards: 1, replicas: 0, bulkSize: 1000, parallelBulks: 3,
    requestTimeoutMs: 60_000, queryWaitMs: 600_000, maxRetryDelayMs: 5000, ...requests,
  };
  try {
    const ids = new ArchiveIds();
    const body = bodies(words, 7);
    const queue = data.storage.archiveIndexQueue;
    for (let done = 0; done < messages; done += 5000) {
      const documents: Array<{ seq: number; document: string }> = [];
      for (let i = done; i < Math.min(messages, done + 5000); i++) {
        const seq = ids.nextSeq();
        const [from, to] = [`sender${i % 100}@${BENCH_DOMAIN}`, `receiver${i % 100}@${BENCH_DOMAIN}`];
        const text = body();
        const stanza = `<message xmlns="jabber:client" to="${to}" type="chat" id="${i}" from="${from}/bench"><body>${text}</body></message>`;
        const sent: ArchiveEntry = { seq, id: ids.idFor(seq), owner: from, peer: to, peerResource: '', outgoing: true, body: text, stanza };
        const received: ArchiveEntry = { seq, id: ids.idFor(seq), owner: to, peer: from, peerResource: 'bench', outgoing: false, body: text, stanza };
        documents.push(...queueDocuments([sent, received]));
      }
      await queue.push(documents);
    }
    // one queued document per message, holding both entries (elasticsearch/requests.ts)
    const entries = 2 * await queue.size();
    const store = new ElasticsearchArchiveStore(createElasticsearchClient(options), queue, options);
    const jvmCpu = () => (jvm === null ? 0 : processCpuSeconds(jvm));
    const started = performance.now();
    const jvmBefore = jvmCpu();
    const storeBefore = processCpuSeconds(process.pid);
    store.start();
    // flush() waits until the queue is indexed, then refreshes the index
    await store.flush();
    const seconds = (performance.now() - started) / 1000;
    const jvmCpuSeconds = jvmCpu() - jvmBefore;
    const storeCpuSeconds = processCpuSeconds(process.pid) - storeBefore;
    const { bulkRequests, failedRequests } = store.stats;
    await store.close();
    return { entries, seconds, bulkRequests, failedRequests, cpuSeconds: jvmCpuSeconds + storeCpuSeconds, jvmCpuSeconds, storeCpuSeconds };
  } finally {
    await data.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
