// `--scenarios workers,cluster` (issue 15): delivered messages per second with one worker and with
// two (`parley start --workers N`, not pinned: the workers take both cores), and a two-node
// cluster on NATS (every message from a sender on one node to a receiver on the other) against one
// node. The load comes from several load processes (bench/load-process.ts), each with its share of
// the pairs, so that one load generator's core does not cap the figure; their CPU use is printed
// beside the servers' (on this 2-core machine they compete with the servers for the same cores).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import type { LoadTransport } from './scenarios.ts';
import { EVERY_CORE, startBenchServer, type BenchServer } from './server-process.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface ScaleResult {
  setup: string;
  transport: LoadTransport;
  messagesPerSecond: number;
  /** Server CPU seconds per wall second (all its processes). */
  serverCores: number;
  /** Load processes' CPU seconds per wall second. */
  loadCores: number;
  messagesPerServerCpuSecond: number;
  p99Ms: number;
}

export interface ScaleOptions {
  pairs: number;
  inFlight: number;
  warmupSeconds: number;
  seconds: number;
  loadProcesses: number;
  serverExtra: Record<string, unknown>;
}

/** Spread the pairs over the load processes; measure once all of them measure. */
async function load(setup: string, servers: BenchServer[], senders: BenchServer, receivers: BenchServer, transport: LoadTransport,
  options: ScaleOptions): Promise<ScaleResult> {
  const share = Math.floor(options.pairs / options.loadProcesses);
  const children: ChildProcess[] = [];
  const measuring: Array<Promise<void>> = [];
  const results: Array<Promise<{ delivered: number; p99Ms: number; cpuSeconds: number }>> = [];
  for (let i = 0; i < options.loadProcesses; i++) {
    const job = {
      senders: senders.ports, receivers: receivers.ports, transport, firstPair: i * share, pairs: share,
      inFlight: options.inFlight, warmupSeconds: options.warmupSeconds, seconds: options.seconds,
    };
    // on every core (the bench process itself is pinned to core 0, and a child inherits that)
    const child = spawn('taskset', ['-c', EVERY_CORE, process.execPath, '--import', join(root, 'server/bin/typescript-loader.js'),
      join(root, 'bench/load-process.ts'), JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const lines = createInterface({ input: child.stdout! });
    let last = '';
    measuring.push(new Promise((resolve) => lines.on('line', (line) => {
      if (line === 'measuring') resolve();
      last = line;
    })));
    results.push(new Promise((resolve, reject) => child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`a load process ended with ${code}`));
      resolve(JSON.parse(last) as { delivered: number; p99Ms: number; cpuSeconds: number });
    })));
  }
  await Promise.all(measuring);
  const started = performance.now();
  const serverCpu = servers.map((server) => server.cpuSeconds());
  // the processes measure for `seconds`; CPU is read at the end of the window, before they log out
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  const elapsed = (performance.now() - started) / 1000;
  const serverUsed = servers.reduce((sum, server, i) => sum + server.cpuSeconds() - serverCpu[i]!, 0);
  const done = await Promise.all(results);
  const delivered = done.reduce((sum, result) => sum + result.delivered, 0);
  // each load process's own CPU over its measured seconds (one that finished first could no longer be read from /proc)
  const loadUsed = done.reduce((sum, result) => sum + result.cpuSeconds, 0);
  return {
    setup, transport, messagesPerSecond: Math.round(delivered / options.seconds),
    serverCores: serverUsed / elapsed, loadCores: loadUsed / options.seconds,
    messagesPerServerCpuSecond: Math.round(delivered / serverUsed), p99Ms: Math.max(...done.map((result) => result.p99Ms)),
  };
}

/** The workers setups side by side: one worker, two through the primary's IPC, two on the socket mesh. */
const WORKER_SETUPS = [
  { setup: '1 worker', workers: 1, workerBus: 'sockets' },
  { setup: '2 workers, bus through the primary (ipc)', workers: 2, workerBus: 'ipc' },
  { setup: '2 workers, socket mesh', workers: 2, workerBus: 'sockets' },
] as const;

/** Each setup a fresh server on the same data folder. */
export async function workersBench(dataDir: string, transports: LoadTransport[], options: ScaleOptions): Promise<ScaleResult[]> {
  const results: ScaleResult[] = [];
  for (const transport of transports) {
    for (const { setup, workers, workerBus } of WORKER_SETUPS) {
      const server = await startBenchServer(dataDir, 'all', { ...options.serverExtra, cluster: { workerBus } }, workers);
      try {
        results.push(await load(setup, [server], server, server, transport, options));
      } finally {
        await server.stop();
      }
    }
  }
  return results;
}

/** One node, then a two-node cluster on a nats-server (senders on the first node, receivers on the second). */
export async function clusterBench(dataDir: string, transports: LoadTransport[], options: ScaleOptions): Promise<ScaleResult[]> {
  const results: ScaleResult[] = [];
  const nats = await startNats();
  try {
    for (const transport of transports) {
      const single = await startBenchServer(dataDir, 'all', options.serverExtra);
      try {
        results.push(await load('one node', [single], single, single, transport, options));
      } finally {
        await single.stop();
      }
      const cluster = (index: number) => ({
        ...options.serverExtra, node: { index }, cluster: { nats: { servers: [nats.url] }, nodeName: `bench${index}` },
      });
      const first = await startBenchServer(dataDir, 'all', cluster(0));
      const second = await startBenchServer(dataDir, 'all', cluster(1));
      try {
        await new Promise((resolve) => setTimeout(resolve, 1500)); // the nodes hear each other's heartbeats
        results.push(await load('2-node cluster (sender and receiver on different nodes)', [first, second], first, second, transport, options));
      } finally {
        await second.stop();
        await first.stop();
      }
    }
  } finally {
    nats.stop();
  }
  return results;
}

async function startNats(): Promise<{ url: string; stop(): void }> {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const binary = existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server';
  const child = spawn('taskset', ['-c', EVERY_CORE, binary, '-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      if (output.includes('Server is ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`nats-server exited with ${code}: ${output}`)));
  });
  return { url: `nats://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}
