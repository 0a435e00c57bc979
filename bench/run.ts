// `npm run bench`: throughput (TCP, TLS, WebSocket, BOSH) and memory per idle connection.
// The server runs pinned to core 1, this load generator to core 0 (brief.md, "Scale").
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { hibernatedMemory, idleMemory, resumption, throughput, type IdleResult, type LoadTransport, type ThroughputResult } from './scenarios.ts';
import { prepareData, removeData, startBenchServer } from './server-process.ts';
import type { BenchTransport } from './bench-client.ts';
import { archiveBench, type ArchiveBenchResult } from './archive.ts';
import { parseBenchArgs } from './usage.ts';
import { pepBench } from './pep.ts';
import { idleRooms, roomHeap, roomServerConfig, roomThroughput, type IdleRoomsResult, type RoomThroughputResult } from './rooms.ts';
import { s2sBench } from './s2s.ts';
import { uploadBench, type TransferResult } from './upload.ts';
import { soak } from './soak.ts';
import { clusterBench, workersBench, type ScaleResult } from './cluster.ts';

const { values } = parseBenchArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    pairs: { type: 'string', default: '100' },
    'in-flight': { type: 'string', default: '10' },
    scenarios: { type: 'string', default: 'tcp,tls,websocket,bosh,idle,pep,rooms,s2s,upload,archive' },
    // the pep scenario: contacts of the publisher, and publishes kept in flight
    'pep-subscribers': { type: 'string', default: '100' },
    'pep-in-flight': { type: 'string', default: '20' },
    // the room scenarios (bench/rooms.ts): occupants of the busy room, messages in flight per occupant, idle rooms
    occupants: { type: 'string', default: '100' },
    'room-in-flight': { type: 'string', default: '2' },
    'idle-rooms': { type: 'string', default: '1000' },
    // the s2s scenario (bench/s2s.ts): idle links to measure memory with
    'idle-links': { type: 'string', default: '100' },
    // the upload scenario (bench/upload.ts): one file of this many MB up and down
    'upload-mb': { type: 'string', default: '50' },
    idle: { type: 'string', default: '1000,5000' },
    'no-pin': { type: 'boolean', default: false },
    // the soak scenario: minutes of load between the fresh and the final measurement
    'soak-minutes': { type: 'string', default: '5' },
    // each transport scenario runs once per archive mode, side by side: 'off', 'sqlite' (the default archive)
    'archive-modes': { type: 'string', default: 'off,sqlite' },
    // every load client enables XEP-0198 with resumption and answers the server's acks
    sm: { type: 'boolean', default: false },
    // an offered load (messages/s over all pairs) instead of --in-flight: the server's CPU per message below saturation
    rate: { type: 'string' },
    // the hibernated scenario: sessions left waiting for resumption; the resume scenario: resumptions timed
    hibernated: { type: 'string', default: '10000' },
    resumptions: { type: 'string', default: '1000' },
    // the transport, soak and idle scenarios with the conversation archive off only (it is on by default)
    'no-archive': { type: 'boolean', default: false },
    // the SQLite archive writes on the server's event loop instead of its writer thread
    'no-writer-thread': { type: 'boolean', default: false },
    // storage.synchronous of the server: 'full' syncs each commit to the disk (docs/archive.md, "What a crash keeps")
    synchronous: { type: 'string', default: 'normal' },
    // the archive scenario (bench/archive.ts)
    'archive-entries': { type: 'string', default: '1000000' },
    'archive-queries': { type: 'string', default: '200' },
    // messages (two entries each) queued for Elasticsearch's indexing rate
    'archive-es-messages': { type: 'string', default: '150000' },
    'archive-backends': { type: 'string', default: 'sqlite,elasticsearch' },
    // the workers and cluster scenarios (bench/cluster.ts): load processes, and the transports they run over
    'load-processes': { type: 'string', default: '2' },
    'scale-transports': { type: 'string', default: 'tcp,websocket' },
  },
});

const pin = !values['no-pin'] && spawnSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' }).status === 0;
const serverCore = pin ? 1 : null;
const scenarios = new Set(values.scenarios!.split(','));
type ArchiveMode = 'off' | 'sqlite';
const archiveModes = (values['no-archive'] ? ['off'] : values['archive-modes']!.split(',')) as ArchiveMode[];
for (const mode of archiveModes) if (mode !== 'off' && mode !== 'sqlite') throw new Error(`--archive-modes: unknown mode ${mode}`);
const archiveConfig = (mode: ArchiveMode) => mode === 'off' ? { archive: { enabled: false } }
  : values['no-writer-thread'] ? { archive: { backend: 'sqlite', writerThread: false } } : { archive: { backend: 'sqlite' } };
const storageConfig = { storage: { synchronous: values.synchronous } };
/** The soak and idle scenarios: the default archive, or none with --no-archive. */
const serverExtra = { ...archiveConfig(values['no-archive'] ? 'off' : 'sqlite'), ...storageConfig };
const options = {
  pairs: Number(values.pairs), inFlight: Number(values['in-flight']),
  warmupSeconds: Number(values.warmup), seconds: Number(values.seconds), streamManagement: values.sm,
  rate: values.rate === undefined ? undefined : Number(values.rate),
};

console.log(`Parley benchmark: ${options.pairs} pairs, ${options.rate === undefined ? `${options.inFlight} in flight each` : `${options.rate} msgs/s offered`}, ${options.seconds} s per run` +
  (pin ? ', server on core 1, load on core 0' : ', not pinned') + `, archive ${archiveModes.join(' / ')}` +
  (archiveModes.includes('sqlite') ? ` (sqlite ${values['no-writer-thread'] ? 'written on the event loop' : 'with its writer thread'})` : '') + `, synchronous ${values.synchronous}`
  + (values.sm ? ', stream management on every client' : ''));
console.log(`Machine: ${loadAverage()}`);
const dataDir = await prepareData(options.pairs);
const throughputResults: Array<ThroughputResult & { archive: ArchiveMode }> = [];
const roomResults: RoomThroughputResult[] = [];
const idleRoomResults: Array<IdleRoomsResult & { archive: boolean }> = [];
const idleResults: IdleResult[] = [];
const transferResults: TransferResult[] = [];
try {
  for (const transport of ['tcp', 'tls', 'websocket', 'bosh'] as LoadTransport[]) {
    if (!scenarios.has(transport)) continue;
    // one fresh server per archive mode, one after the other: the modes see the same machine
    for (const mode of archiveModes) {
      const server = await startBenchServer(dataDir, serverCore, { ...archiveConfig(mode), ...storageConfig });
      try {
        const result = await throughput(server, transport, options);
        throughputResults.push({ ...result, archive: mode });
        console.log(`  ${transport}, archive ${mode}: ${result.messagesPerSecond} msgs/s (${result.messagesPerCpuSecond} per server CPU-second, ${result.messagesPerMainThreadCpuSecond} per main-thread CPU-second), p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ${result.loginsPerSecond} logins/s`);
      } finally {
        await server.stop();
      }
    }
  }
  if (scenarios.has('workers') || scenarios.has('cluster')) {
    // unpinned: two workers (or two nodes) take both cores, beside the load processes
    const scale = {
      pairs: options.pairs, inFlight: options.inFlight, warmupSeconds: options.warmupSeconds, seconds: options.seconds,
      loadProcesses: Number(values['load-processes']), serverExtra: { ...archiveConfig(archiveModes[0]!), ...storageConfig },
    };
    const transports = values['scale-transports']!.split(',') as LoadTransport[];
    const scaled: ScaleResult[] = [];
    if (scenarios.has('workers')) scaled.push(...await workersBench(dataDir, transports, scale));
    if (scenarios.has('cluster')) scaled.push(...await clusterBench(dataDir, transports, scale));
    console.log(`\nEvery core and cluster (bench/cluster.ts): ${scale.loadProcesses} load processes, archive ${archiveModes[0]}, not pinned; ${loadAverage()}`);
    console.log('| setup | transport | delivered msgs/s | server CPU (cores) | load CPU (cores) | per server CPU-second | p99 |\n| --- | --- | --- | --- | --- | --- | --- |');
    for (const r of scaled) {
      console.log(`| ${r.setup} | ${r.transport} | ${r.messagesPerSecond.toLocaleString('en')} | ${r.serverCores.toFixed(2)} | ${r.loadCores.toFixed(2)} | ${r.messagesPerServerCpuSecond.toLocaleString('en')} | ${r.p99Ms.toFixed(1)} ms |`);
    }
  }
  if (scenarios.has('soak')) {
    // The brief's "throughput after a long run vs fresh": TCP on one server for --soak-minutes of
    // full load, with the default archive, sampled every minute (bench/soak.ts).
    const minutes = Number(values['soak-minutes']);
    const server = await startBenchServer(dataDir, serverCore, serverExtra);
    try {
      console.log(`  soak tcp, ${minutes} min, archive ${values['no-archive'] ? 'off' : 'sqlite'}:`);
      console.log('  | after | delivered msgs/s | per server CPU-second | p99 | server RSS at its end | peak in the minute | data folder |\n  | --- | --- | --- | --- | --- | --- | --- |');
      const result = await soak(server, dataDir, options, minutes, (s) => {
        console.log(`  | ${s.atSeconds} s | ${s.messagesPerSecond.toLocaleString('en')} | ${s.messagesPerCpuSecond.toLocaleString('en')} | ${s.p99Ms.toFixed(1)} ms | ${(s.serverRssBytes / 1048576).toFixed(0)} MB | ${(s.peakRssBytes / 1048576).toFixed(0)} MB | ${(s.dataBytes / 1073741824).toFixed(2)} GB |`);
      });
      console.log(`  soak tcp: the last minute kept ${result.keptPercent} % of the first minute's throughput; peak server RSS over the second half ${result.rssGrowthMbPerHour >= 0 ? '+' : ''}${result.rssGrowthMbPerHour.toFixed(1)} MB per hour`);
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
  if (scenarios.has('hibernated')) {
    const server = await startBenchServer(dataDir, serverCore, serverExtra);
    try {
      const r = await hibernatedMemory(server, 'tcp', Number(values.hibernated));
      console.log(`  hibernated tcp x${r.sessions}: ${(r.bytesPerConnectedSession / 1024).toFixed(1)} KB per connected session with resumption, ` +
        `${(r.bytesPerHibernatedSession / 1024).toFixed(1)} KB per session waiting for resumption (nothing queued)`);
    } finally {
      await server.stop();
    }
  }
  if (scenarios.has('resume')) {
    for (const transport of ['tcp', 'websocket'] as BenchTransport[]) {
      const server = await startBenchServer(dataDir, serverCore, serverExtra);
      try {
        const r = await resumption(server, transport, Number(values.resumptions));
        console.log(`  resume ${transport} x${r.resumptions}: <resume/> to <resumed/> p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, max ${r.maxMs.toFixed(2)} ms`);
      } finally {
        await server.stop();
      }
    }
  }
  if (scenarios.has('rooms')) {
    for (const archive of [false, true]) {
      const config = { ...serverExtra, ...roomServerConfig(archive) };
      let server = await startBenchServer(dataDir, serverCore, config);
      try {
        const result = await roomThroughput(server, { occupants: Number(values.occupants), inFlight: Number(values['room-in-flight']), warmupSeconds: options.warmupSeconds, seconds: options.seconds, archive });
        roomResults.push(result);
        console.log(`  room x${result.occupants}, archive ${archive ? 'on' : 'off'}: ${result.deliveriesPerSecond} occupant deliveries/s (${result.deliveriesPerCpuSecond} per server CPU-second), p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms`);
      } finally {
        await server.stop();
      }
      server = await startBenchServer(dataDir, serverCore, config);
      try {
        const idle = await idleRooms(server, Number(values['idle-rooms']));
        idleRoomResults.push({ ...idle, archive });
        console.log(`  idle rooms x${idle.rooms}, archive ${archive ? 'on' : 'off'}: ${(idle.bytesPerOccupiedRoom / 1024).toFixed(1)} KB per room with its idle owner in it, ${(idle.bytesPerStoredRoom / 1024).toFixed(1)} KB per stored empty room`);
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

console.log(`\nMachine after the transport scenarios: ${loadAverage()}`);
console.log('\n| scenario | archive | delivered msgs/s | per server CPU-second | per main-thread CPU-second | p50 latency | p99 latency | logins/s |\n| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of throughputResults) {
  console.log(`| ${r.transport} | ${r.archive} | ${r.messagesPerSecond.toLocaleString('en')} | ${r.messagesPerCpuSecond.toLocaleString('en')} | ${r.messagesPerMainThreadCpuSecond.toLocaleString('en')} | ${r.p50Ms.toFixed(2)} ms | ${r.p99Ms.toFixed(2)} ms | ${r.loginsPerSecond.toLocaleString('en')} |`);
}
if (idleResults.length) {
  console.log('\n| idle connections | transport | server RSS per connection |\n| --- | --- | --- |');
  for (const r of idleResults) console.log(`| ${r.connections.toLocaleString('en')} | ${r.transport} | ${(r.bytesPerConnection / 1024).toFixed(1)} KB |`);
}
if (transferResults.length) {
  console.log('\n| HTTP file upload (XEP-0363) | bytes | seconds | MB/s | server RSS growth | server CPU |\n| --- | --- | --- | --- | --- | --- |');
  for (const r of transferResults) {
    console.log(`| ${r.direction} | ${r.bytes.toLocaleString('en')} | ${r.seconds.toFixed(3)} | ${r.megabytesPerSecond.toFixed(0)} | ${(r.rssGrowthBytes / 1048576).toFixed(1)} MB | ${(r.serverCpuSeconds / r.seconds * 100).toFixed(0)} % |`);
  }
}

if (scenarios.has('pep')) {
  console.log('\nPEP (XEP-0163): one publisher, its contacts online with tune+notify caps');
  const pep = await pepBench({
    subscribers: Number(values['pep-subscribers']), inFlight: Number(values['pep-in-flight']),
    warmupSeconds: options.warmupSeconds, seconds: options.seconds, serverCore,
  });
  console.log('\n| PEP fan-out | publishes/s | notifications/s | per server CPU-second |\n| --- | --- | --- | --- |');
  console.log(`| ${pep.subscribers} contacts | ${pep.publishesPerSecond.toLocaleString('en')} | ${pep.notificationsPerSecond.toLocaleString('en')} | ${pep.notificationsPerCpuSecond.toLocaleString('en')} |`);
}

if (roomResults.length) {
  console.log('\n| room scenario | occupant deliveries/s | per server CPU-second | p50 latency | p99 latency |\n| --- | --- | --- | --- | --- |');
  for (const r of roomResults) {
    console.log(`| ${r.occupants} occupants, room archive ${r.archive ? 'on' : 'off'} | ${r.deliveriesPerSecond.toLocaleString('en')} | ${r.deliveriesPerCpuSecond.toLocaleString('en')} | ${r.p50Ms.toFixed(2)} ms | ${r.p99Ms.toFixed(2)} ms |`);
  }
  console.log('\n| idle persistent rooms | room archive | RSS per room, owner in it | RSS per room, empty (stored) |\n| --- | --- | --- | --- |');
  for (const r of idleRoomResults) {
    console.log(`| ${r.rooms.toLocaleString('en')} | ${r.archive ? 'on' : 'off'} | ${(r.bytesPerOccupiedRoom / 1024).toFixed(1)} KB | ${(r.bytesPerStoredRoom / 1024).toFixed(1)} KB |`);
  }
  const heap = roomHeap();
  console.log(`\nHeap a room keeps alive (${heap.rooms.toLocaleString('en')} rooms, after GC): ${(heap.heapPerRoom / 1024).toFixed(1)} KB loaded and empty, ${(heap.heapPerOccupiedRoom / 1024).toFixed(1)} KB with one idle occupant; an empty room is not kept in memory (it is read from the store when addressed).`);
}

if (scenarios.has('s2s')) {
  // Two servers: the sending one on core 1, the receiving one on core 0 (beside this load generator).
  console.log('\ns2s (bench/s2s.ts): users of one Parley message users of another over one s2s link pair, STARTTLS + dialback');
  const r = await s2sBench({ ...options, cores: pin ? [1, 0] : null, idleLinks: Number(values['idle-links']), serverExtra });
  console.log('\n| s2s | delivered msgs/s | per CPU-second (sending / receiving server) | p50 latency | p99 latency |\n| --- | --- | --- | --- | --- |');
  console.log(`| one link pair, STARTTLS | ${r.messagesPerSecond.toLocaleString('en')} | ${r.perCpuSecond.map((n) => n.toLocaleString('en')).join(' / ')} | ${r.p50Ms.toFixed(2)} ms | ${r.p99Ms.toFixed(2)} ms |`);
  console.log(`\n| idle s2s links | RSS per link, opening server | RSS per link, accepting server |\n| --- | --- | --- |`);
  console.log(`| ${r.idleLinkBytes.links} | ${(r.idleLinkBytes.opening / 1024).toFixed(1)} KB | ${(r.idleLinkBytes.accepting / 1024).toFixed(1)} KB |`);
}

if (scenarios.has('archive')) {
  console.log('\nArchive (XEP-0313): throughput with archiving, then search over a generated archive');
  const archive: ArchiveBenchResult = await archiveBench({
    ...options, serverCore,
    entries: Number(values['archive-entries']), queries: Number(values['archive-queries']), esMessages: Number(values['archive-es-messages']),
    backends: values['archive-backends']!.split(',') as Array<'sqlite' | 'elasticsearch'>,
  });
  console.log('\n| archiving | delivered msgs/s (TCP) | p50 latency | p99 latency |\n| --- | --- | --- | --- |');
  for (const r of archive.throughput) {
    console.log(`| ${r.archive} | ${r.messagesPerSecond.toLocaleString('en')} | ${r.p50Ms.toFixed(2)} ms | ${r.p99Ms.toFixed(2)} ms |`);
  }
  if (archive.indexing.length) {
    console.log('\n| indexing from the local queue | entries | seconds | entries/s | msgs/s (2 entries each) | entries per CPU-second (Elasticsearch + store) | JVM CPU s | store CPU s | bulk requests (failed) |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of archive.indexing) {
      console.log(`| ${r.backend} | ${r.entries.toLocaleString('en')} | ${r.seconds.toFixed(1)} | ${Math.round(r.entries / r.seconds).toLocaleString('en')} | ${Math.round(r.entries / 2 / r.seconds).toLocaleString('en')} | ${Math.round(r.entries / r.cpuSeconds).toLocaleString('en')} | ${r.jvmCpuSeconds.toFixed(1)} | ${r.storeCpuSeconds.toFixed(1)} | ${r.bulkRequests} (${r.failedRequests}) |`);
    }
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

/** How busy the (shared) machine is: the figures depend on it. */
function loadAverage(): string {
  return `load average ${loadavg().map((load) => load.toFixed(2)).join(', ')} on ${cpus().length} cores`;
}
