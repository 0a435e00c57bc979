// `npm run bench`: throughput (TCP, TLS, WebSocket, BOSH) and memory per idle connection.
// The server runs pinned to core 1, this load generator to core 0 (brief.md, "Scale").
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { idleMemory, throughput, type IdleResult, type LoadTransport, type ThroughputResult } from './scenarios.ts';
import { prepareData, removeData, startBenchServer } from './server-process.ts';
import type { BenchTransport } from './bench-client.ts';
import { archiveBench, type ArchiveBenchResult } from './archive.ts';
import { uploadBench, type TransferResult } from './upload.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    pairs: { type: 'string', default: '100' },
    'in-flight': { type: 'string', default: '10' },
    scenarios: { type: 'string', default: 'tcp,tls,websocket,bosh,idle,upload,archive' },
    // the upload scenario (bench/upload.ts): one file of this many MB up and down
    'upload-mb': { type: 'string', default: '50' },
    idle: { type: 'string', default: '1000,5000' },
    'no-pin': { type: 'boolean', default: false },
    // the soak scenario: minutes of load between the fresh and the final measurement
    'soak-minutes': { type: 'string', default: '5' },
    // the transport and idle scenarios with the conversation archive off (it is on by default)
    'no-archive': { type: 'boolean', default: false },
    // storage.synchronous of the server: 'full' syncs each commit to the disk (README, "What a crash keeps")
    synchronous: { type: 'string', default: 'normal' },
    // the archive scenario (bench/archive.ts)
    'archive-entries': { type: 'string', default: '1000000' },
    'archive-queries': { type: 'string', default: '200' },
    'archive-backends': { type: 'string', default: 'sqlite,elasticsearch' },
  },
});

const pin = !values['no-pin'] && spawnSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' }).status === 0;
const serverCore = pin ? 1 : null;
const scenarios = new Set(values.scenarios!.split(','));
const serverExtra = {
  ...(values['no-archive'] ? { archive: { enabled: false } } : {}),
  storage: { synchronous: values.synchronous },
};
const options = {
  pairs: Number(values.pairs), inFlight: Number(values['in-flight']),
  warmupSeconds: Number(values.warmup), seconds: Number(values.seconds),
};

console.log(`Parley benchmark: ${options.pairs} pairs, ${options.inFlight} in flight each, ${options.seconds} s per run` +
  (pin ? ', server on core 1, load on core 0' : ', not pinned') + (values['no-archive'] ? ', archive off' : ', archive on (sqlite)') + `, synchronous ${values.synchronous}`);
const dataDir = await prepareData(options.pairs);
const throughputResults: ThroughputResult[] = [];
const idleResults: IdleResult[] = [];
const transferResults: TransferResult[] = [];
try {
  for (const transport of ['tcp', 'tls', 'websocket', 'bosh'] as LoadTransport[]) {
    if (!scenarios.has(transport)) continue;
    const server = await startBenchServer(dataDir, serverCore, serverExtra);
    try {
      const result = await throughput(server, transport, options);
      throughputResults.push(result);
      console.log(`  ${transport}: ${result.messagesPerSecond} msgs/s (${result.messagesPerCpuSecond} per server CPU-second), p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ${result.loginsPerSecond} logins/s`);
    } finally {
      await server.stop();
    }
  }
  if (scenarios.has('soak')) {
    // The brief's "throughput after a long run vs fresh": TCP on one server, measured fresh, then
    // after --soak-minutes of full load, as a percentage of the fresh figure.
    const server = await startBenchServer(dataDir, serverCore, serverExtra);
    try {
      const fresh = await throughput(server, 'tcp', options);
      await throughput(server, 'tcp', { ...options, warmupSeconds: 0, seconds: Number(values['soak-minutes']) * 60 });
      const after = await throughput(server, 'tcp', options);
      const ratio = Math.round((after.messagesPerSecond / fresh.messagesPerSecond) * 100);
      console.log(`  soak tcp: fresh ${fresh.messagesPerSecond} msgs/s, after ${values['soak-minutes']} min ${after.messagesPerSecond} msgs/s (${ratio} %), server RSS ${(server.rssBytes() / 1048576).toFixed(0)} MB`);
    } finally {
      await server.stop();
    }
  }
  if (scenarios.has('idle')) {
    const steps = values.idle!.split(',').map(Number);
    for (const transport of ['tcp', 'websocket'] as BenchTransport[]) {
      const server = await startBenchServer(dataDir, serverCore, serverExtra);
      try {
        const results = await idleMemory(server, transport, steps);
        idleResults.push(...results);
        for (const r of results) console.log(`  idle ${transport} x${r.connections}: ${(r.bytesPerConnection / 1024).toFixed(1)} KB per connection`);
      } finally {
        await server.stop();
      }
    }
  }
  if (scenarios.has('upload')) {
    transferResults.push(...await uploadBench(dataDir, serverCore, Number(values['upload-mb']) * 1e6));
  }
} finally {
  removeData(dataDir);
}

console.log('\n| scenario | delivered msgs/s | per server CPU-second | p50 latency | p99 latency | logins/s |\n| --- | --- | --- | --- | --- | --- |');
for (const r of throughputResults) {
  console.log(`| ${r.transport} | ${r.messagesPerSecond.toLocaleString('en')} | ${r.messagesPerCpuSecond.toLocaleString('en')} | ${r.p50Ms.toFixed(2)} ms | ${r.p99Ms.toFixed(2)} ms | ${r.loginsPerSecond.toLocaleString('en')} |`);
}
if (idleResults.length) {
  console.log('\n| idle connections | transport | server RSS per connection |\n| --- | --- | --- |');
  for (const r of idleResults) console.log(`| ${r.connections.toLocaleString('en')} | ${r.transport} | ${(r.bytesPerConnection / 1024).toFixed(1)} KB |`);
}
if (transferResults.length) {
  console.log('\n| HTTP file upload (XEP-0363) | bytes | seconds | MB/s | server RSS growth |\n| --- | --- | --- | --- | --- |');
  for (const r of transferResults) {
    console.log(`| ${r.direction} | ${r.bytes.toLocaleString('en')} | ${r.seconds.toFixed(3)} | ${r.megabytesPerSecond.toFixed(0)} | ${(r.rssGrowthBytes / 1048576).toFixed(1)} MB |`);
  }
}

if (scenarios.has('archive')) {
  console.log('\nArchive (XEP-0313): throughput with archiving, then search over a generated archive');
  const archive: ArchiveBenchResult = await archiveBench({
    ...options, serverCore,
    entries: Number(values['archive-entries']), queries: Number(values['archive-queries']),
    backends: values['archive-backends']!.split(',') as Array<'sqlite' | 'elasticsearch'>,
  });
  console.log('\n| archiving | delivered msgs/s (TCP) | p50 latency | p99 latency |\n| --- | --- | --- | --- |');
  for (const r of archive.throughput) {
    console.log(`| ${r.archive} | ${r.messagesPerSecond.toLocaleString('en')} | ${r.p50Ms.toFixed(2)} ms | ${r.p99Ms.toFixed(2)} ms |`);
  }
  console.log('\n| step | entries | seconds | entries/s |\n| --- | --- | --- | --- |');
  for (const g of archive.generation) {
    console.log(`| ${g.what} | ${g.entries.toLocaleString('en')} | ${g.seconds.toFixed(1)} | ${Math.round(g.entries / g.seconds).toLocaleString('en')} |`);
  }
  console.log(`\n| backend | query over ${Number(values['archive-entries']).toLocaleString('en')} entries | p50 | p99 | results per query |\n| --- | --- | --- | --- | --- |`);
  for (const r of archive.search) {
    console.log(`| ${r.backend} | ${r.kind} | ${r.p50Ms.toFixed(1)} ms | ${r.p99Ms.toFixed(1)} ms | ${r.meanResults.toFixed(1)} |`);
  }
}
