// The archive scenario of `npm run bench` (--scenarios archive):
// 1. delivered messages/s between pairs with archiving off, on SQLite, on Elasticsearch (each
//    message is archived twice: sender and recipient);
// 2. Elasticsearch's indexing rate: entries queued as the server queues them, indexed by the store's
//    bulk requests (elasticsearch-indexing.ts);
// 3. search latency (p50/p99 of MAM queries through XMPP) over a large archive generated straight
//    into the embedded store in batches, then copied to Elasticsearch by the reindex code.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchClient } from './bench-client.ts';
import { throughput, type ThroughputOptions } from './scenarios.ts';
import { BENCH_DOMAIN, BENCH_PASSWORD, prepareData, removeData, startBenchServer, type BenchServer } from './server-process.ts';
import { openDataFolder } from '../server/src/data-folder.ts';
import { addDomain, addUser } from '../server/src/cli/accounts.ts';
import { openSqliteArchiveDatabase } from '../server/src/archive/sqlite/schema.ts';
import { SqliteArchiveStore } from '../server/src/archive/sqlite/store.ts';
import { ArchiveIds } from '../server/src/archive/ids.ts';
import type { ArchiveEntry } from '../server/src/archive/types.ts';
import { createElasticsearchClient } from '../server/src/archive/elasticsearch/store.ts';
import { reindexArchive } from '../server/src/archive/elasticsearch/reindex.ts';
import { startElasticsearch, type ElasticsearchNode } from '../test/elasticsearch/node.ts';
import { elasticsearchIndexing } from './elasticsearch-indexing.ts';

export interface ArchiveBenchOptions extends ThroughputOptions {
  /** Archive entries generated for the search part. */
  entries: number;
  /** Queries per query kind. */
  queries: number;
  /** Messages (two entries each) queued for the Elasticsearch indexing rate. */
  esMessages: number;
  serverCore: number | null;
  backends: Array<'sqlite' | 'elasticsearch'>;
}

export interface ArchiveThroughputRow { archive: string; messagesPerSecond: number; p50Ms: number; p99Ms: number }
export interface SearchRow { backend: string; kind: string; p50Ms: number; p99Ms: number; meanResults: number }
export interface ArchiveBenchResult {
  throughput: ArchiveThroughputRow[];
  indexing: Array<{ backend: string; entries: number; seconds: number; bulkRequests: number; failedRequests: number; cpuSeconds: number; jvmCpuSeconds: number; storeCpuSeconds: number }>;
  search: SearchRow[];
  generation: Array<{ what: string; entries: number; seconds: number }>;
}

const ES_INDEX = 'parley-bench-archive';

export async function archiveBench(options: ArchiveBenchOptions): Promise<ArchiveBenchResult> {
  const result: ArchiveBenchResult = { throughput: [], indexing: [], search: [], generation: [] };
  let es: ElasticsearchNode | null = null;
  const needsEs = options.backends.includes('elasticsearch');
  try {
    if (needsEs) {
      es = await startElasticsearch({ heap: '1g', everyCore: true });
      console.log(`  Elasticsearch ${es.url} started`);
    }
    const esConfig = (index: string) => ({
      backend: 'elasticsearch', elasticsearch: { nodes: [es!.url], index, replicas: 0, queryWaitMs: 60_000 },
    });

    // 1. throughput with archiving
    const variants: Array<[string, Record<string, unknown>]> = [['off', { enabled: false }]];
    if (options.backends.includes('sqlite')) variants.push(['sqlite', { backend: 'sqlite' }]);
    if (needsEs) variants.push(['elasticsearch', esConfig(`${ES_INDEX}-throughput`)]);
    for (const [name, archive] of variants) {
      const dataDir = await prepareData(options.pairs);
      const server = await startBenchServer(dataDir, options.serverCore, { archive });
      try {
        const r = await throughput(server, 'tcp', options);
        result.throughput.push({ archive: name, messagesPerSecond: r.messagesPerSecond, p50Ms: r.p50Ms, p99Ms: r.p99Ms });
        console.log(`  archive ${name}: ${r.messagesPerSecond} msgs/s delivered (TCP, ${r.messagesPerCpuSecond} per server CPU-second), p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms`);
      } finally {
        await server.stop();
        removeData(dataDir);
      }
    }

    // 2. search over a large archive
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-archive-'));
    try {
      const owners = await generateArchive(dataDir, options.entries, result);
      if (options.backends.includes('sqlite')) {
        const server = await startBenchServer(dataDir, options.serverCore, { archive: { backend: 'sqlite' } });
        try {
          result.search.push(...await searchLatency(server, 'sqlite', owners, options.queries));
        } finally {
          await server.stop();
        }
      }
      if (es) {
        const started = performance.now();
        const db = openSqliteArchiveDatabase(dataDir);
        const client = createElasticsearchClient({ nodes: [es.url], index: ES_INDEX, shards: 1, replicas: 0, bulkSize: 1000, parallelBulks: 3,
          requestTimeoutMs: 120_000, queryWaitMs: 60_000, maxRetryDelayMs: 5000 });
        let lastPrint = 0;
        await reindexArchive(new SqliteArchiveStore(db), client, { index: ES_INDEX, shards: 1, replicas: 0 }, {
          batchSize: 2000, onProgress: (p) => {
            if (p.done - lastPrint >= p.total / 10 || p.done === p.total) {
              lastPrint = p.done;
              console.log(`  reindex into Elasticsearch: ${p.done.toLocaleString('en')}/${p.total.toLocaleString('en')}`);
            }
          },
        });
        await client.indices.forcemerge({ index: ES_INDEX, max_num_segments: 1 }, { requestTimeout: 600_000 });
        await client.close();
        db.close();
        const seconds = (performance.now() - started) / 1000;
        result.generation.push({ what: 'reindex into Elasticsearch (parley archive reindex code, + force-merge)', entries: options.entries, seconds });
        // Elasticsearch's indexing rate from the local queue, after the reindex: the JVM's compiler
        // needs about a million documents before indexing reaches its pace (a fresh node indexes at
        // a third of it), as a cluster that has been running has
        if (options.esMessages > 0) {
          const indexed = await elasticsearchIndexing(es.url, es.pid(), `${ES_INDEX}-indexing`, options.esMessages, vocabulary(5000, random(42)));
          result.indexing.push({ backend: 'elasticsearch', ...indexed });
          console.log(`  Elasticsearch indexed ${indexed.entries.toLocaleString('en')} queued entries in ${indexed.seconds.toFixed(1)} s: ` +
            `${Math.round(indexed.entries / indexed.seconds)} entries/s, ${Math.round(indexed.entries / 2 / indexed.seconds)} msgs/s, ` +
            `${Math.round(indexed.entries / indexed.cpuSeconds)} entries per CPU-second of Elasticsearch and the store ` +
            `(JVM ${indexed.jvmCpuSeconds.toFixed(1)} s, store ${indexed.storeCpuSeconds.toFixed(1)} s CPU; ${indexed.bulkRequests} bulk requests, ${indexed.failedRequests} failed)`);
        }
        const server = await startBenchServer(dataDir, options.serverCore, { archive: esConfig(ES_INDEX) });
        try {
          result.search.push(...await searchLatency(server, 'elasticsearch', owners, options.queries));
        } finally {
          await server.stop();
        }
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  } finally {
    await es?.dispose();
  }
  return result;
}

// ---- the generated archive ----

const OWNERS = 200;
/** Unmeasured queries per client before each kind is measured (JIT and caches warm up). */
const WARMUP_QUERIES = 5;
const PEERS_PER_OWNER = 20;
/** Owners that log in and query (accounts are created for them). */
const QUERYING_OWNERS = 8;
const SYLLABLES = ['ka', 'lo', 'mé', 'ri', 'tu', 'sa', 'ne', 'po', 'li', 'da', 'vé', 'mo', 'ché', 'ra', 'fi', 'gu', 'zo', 'be', 'ça', 'nu'];

/** A deterministic pseudo-random sequence (the same archive on every run). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function vocabulary(size: number, next: () => number): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    let word = '';
    const syllables = 2 + Math.floor(next() * 3);
    for (let i = 0; i < syllables; i++) word += SYLLABLES[Math.floor(next() * SYLLABLES.length)];
    words.add(word);
  }
  return [...words];
}

interface GeneratedOwners {
  owners: string[];
  vocabulary: string[];
}

async function generateArchive(dataDir: string, entries: number, result: ArchiveBenchResult): Promise<GeneratedOwners> {
  const data = openDataFolder(dataDir);
  await addDomain(data, BENCH_DOMAIN);
  const owners = Array.from({ length: OWNERS }, (_, i) => `owner${i}@${BENCH_DOMAIN}`);
  await Promise.all(owners.slice(0, QUERYING_OWNERS).map((jid) => addUser(data, jid, BENCH_PASSWORD)));
  await data.close();

  const next = random(42);
  const words = vocabulary(5000, next);
  // Zipf-like word choice: common words are very common, most are rare.
  const pick = () => words[Math.floor(words.length * next() ** 3)]!;
  const db = openSqliteArchiveDatabase(dataDir);
  const store = new SqliteArchiveStore(db);
  const started = performance.now();
  const yearAgo = Date.now() - 365 * 24 * 3600 * 1000;
  const ids = new ArchiveIds(0, () => yearAgo);
  const step = Math.floor((365 * 24 * 3600 * 1000 * 1024) / entries);
  const batchSize = 10_000;
  for (let done = 0; done < entries; done += batchSize) {
    const batch: ArchiveEntry[] = [];
    for (let i = done; i < Math.min(entries, done + batchSize); i++) {
      const seq = firstSeq(yearAgo) + i * step + 1;
      const owner = owners[i % OWNERS]!;
      const peer = `peer${Math.floor(next() * PEERS_PER_OWNER)}@${BENCH_DOMAIN}`;
      const length = 4 + Math.floor(next() * 12);
      let body = pick();
      for (let w = 1; w < length; w++) body += ' ' + pick();
      const outgoing = next() < 0.5;
      batch.push({
        seq, id: ids.idFor(seq), owner, peer, peerResource: '', outgoing, body,
        stanza: `<message xmlns="jabber:client" type="chat" from="${outgoing ? owner : peer}/x" to="${outgoing ? peer : owner}"><body>${body}</body></message>`,
      });
    }
    store.insert(batch);
    if ((done / batchSize) % 20 === 0) console.log(`  generating the archive: ${done.toLocaleString('en')}/${entries.toLocaleString('en')}`);
  }
  // the index catches up with the last rows
  await store.close();
  db.close();
  const seconds = (performance.now() - started) / 1000;
  result.generation.push({ what: 'generate into SQLite (FTS5 index included)', entries, seconds });
  console.log(`  generated ${entries.toLocaleString('en')} archive entries in ${seconds.toFixed(1)} s`);
  return { owners: owners.slice(0, QUERYING_OWNERS), vocabulary: words };
}

function firstSeq(ms: number): number {
  return ms * 1024;
}

// ---- queries through XMPP ----

interface QueryKind {
  kind: string;
  form: (ask: () => number, owners: GeneratedOwners) => string;
  rsm: string;
}

const field = (name: string, value: string) => `<field var='${name}'><value>${value}</value></field>`;
const form = (...fields: string[]) => `<x xmlns='jabber:x:data' type='submit'>${field('FORM_TYPE', 'urn:xmpp:mam:2')}${fields.join('')}</x>`;
const peerOf = (ask: () => number) => `peer${Math.floor(ask() * PEERS_PER_OWNER)}@${BENCH_DOMAIN}`;
/** Words of the common third of the vocabulary (many hits), and of the rest (few). */
const commonWord = (ask: () => number, o: GeneratedOwners) => o.vocabulary[Math.floor(ask() * 50)]!;
const rareWord = (ask: () => number, o: GeneratedOwners) => o.vocabulary[2500 + Math.floor(ask() * 2500)]!;

const KINDS: QueryKind[] = [
  { kind: 'history with a contact, last page (50)', form: (ask) => form(field('with', peerOf(ask))), rsm: '<max>50</max><before/>' },
  { kind: 'search a common word, all conversations, newest 20', form: (ask, o) => form(field('{urn:xmpp:fulltext:0}fulltext', commonWord(ask, o))), rsm: '<max>20</max><before/>' },
  { kind: 'search a rare word, newest 20', form: (ask, o) => form(field('{urn:xmpp:fulltext:0}fulltext', rareWord(ask, o))), rsm: '<max>20</max><before/>' },
  { kind: 'search a prefix (2 letters*), newest 20', form: (ask, o) => form(field('{urn:xmpp:fulltext:0}fulltext', `${commonWord(ask, o).slice(0, 2)}*`)), rsm: '<max>20</max><before/>' },
  { kind: 'search a prefix (3 letters*), newest 20', form: (ask, o) => form(field('{urn:xmpp:fulltext:0}fulltext', `${commonWord(ask, o).slice(0, 3)}*`)), rsm: '<max>20</max><before/>' },
  { kind: 'search two words with a contact, newest 20', form: (ask, o) => form(field('with', peerOf(ask)), field('{urn:xmpp:fulltext:0}fulltext', `${commonWord(ask, o)} ${commonWord(ask, o)}`)), rsm: '<max>20</max><before/>' },
];

async function searchLatency(server: BenchServer, backend: string, owners: GeneratedOwners, queries: number): Promise<SearchRow[]> {
  const target = { host: '127.0.0.1', c2sPort: server.ports.c2s, c2sTlsPort: server.ports.c2sTls, httpPort: server.ports.http, domain: BENCH_DOMAIN };
  const clients = await Promise.all(owners.owners.map(async (jid) => {
    const client = new BenchClient(target, 'tcp');
    await client.login(jid.split('@')[0]!, BENCH_PASSWORD, 'bench');
    return client;
  }));
  const rows: SearchRow[] = [];
  const ask = random(7);
  let counter = 0;
  for (const kind of KINDS) {
    // one warm-up round, then `queries` measured ones, one query in flight per client
    const latencies: number[] = [];
    let results = 0;
    const perClient = Math.ceil(queries / clients.length);
    await Promise.all(clients.map(async (client) => {
      for (let i = 0; i < perClient + WARMUP_QUERIES; i++) {
        const id = `b${++counter}`;
        const started = performance.now();
        const count = await roundTrip(client, id, `<iq type='set' id='${id}'><query xmlns='urn:xmpp:mam:2' queryid='${id}'>${kind.form(ask, owners)}<set xmlns='http://jabber.org/protocol/rsm'>${kind.rsm}</set></query></iq>`);
        if (i >= WARMUP_QUERIES) {
          latencies.push(performance.now() - started);
          results += count;
        }
      }
    }));
    latencies.sort((a, b) => a - b);
    const row = {
      backend, kind: kind.kind,
      p50Ms: latencies[Math.floor(latencies.length * 0.5)]!, p99Ms: latencies[Math.floor(latencies.length * 0.99)]!,
      meanResults: results / latencies.length,
    };
    rows.push(row);
    console.log(`  ${backend} ${kind.kind}: p50 ${row.p50Ms.toFixed(1)} ms, p99 ${row.p99Ms.toFixed(1)} ms, ${row.meanResults.toFixed(1)} results`);
  }
  for (const client of clients) client.close();
  return rows;
}

/** Sends a query and resolves with its result count when the iq answer arrives. */
function roundTrip(client: BenchClient, id: string, query: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let count = 0;
    const marker = `queryid="${id}"`;
    const end = new RegExp(`<iq [^>]*id="${id}"[^>]*>`);
    client.onData = (text) => {
      buffer += text;
      let at = buffer.indexOf(marker);
      while (at !== -1) {
        count++;
        buffer = buffer.slice(at + marker.length);
        at = buffer.indexOf(marker);
      }
      const match = end.exec(buffer);
      if (match) {
        if (match[0].includes('type="error"')) reject(new Error(`query failed: ${buffer.slice(match.index, match.index + 400)}`));
        else resolve(count);
      } else if (buffer.length > 1_000_000) {
        buffer = buffer.slice(-10_000);
      }
    };
    client.send(query);
  });
}
