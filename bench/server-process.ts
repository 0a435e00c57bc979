// Runs a Parley server as a child process pinned to one core, on ports below the ephemeral range.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openDataFolder } from '../server/src/data-folder.ts';
import type { SaltedPasswordCache } from '@parley/shared/sasl/scram';
import { addDomain, addUser } from '../server/src/cli/accounts.ts';
import { freePortBelowEphemeral } from '../test/helpers/ports.ts';
import { SERVER_NODE_FLAGS } from '../server/bin/node-flags.js';

/**
 * Every core of the machine, for taskset: the bench pins itself to core 0 and its children inherit
 * that. (Not os.availableParallelism(): it follows the calling process's affinity, so inside the
 * pinned bench it says 1, and such a child ran on core 0 alone.)
 */
export const EVERY_CORE = `0-${cpus().length - 1}`;

const root = fileURLToPath(new URL('..', import.meta.url));

export interface BenchServer {
  pid: number;
  ports: { c2s: number; c2sTls: number; http: number };
  rssBytes(): number;
  /** CPU time the server process used so far (user + system), in seconds. */
  cpuSeconds(): number;
  /** CPU time of the server's main thread (its event loop) alone: the rest is its other threads' (the archive's writer thread, libuv's pool). */
  mainThreadCpuSeconds(): number;
  stop(): Promise<void>;
}

export const BENCH_DOMAIN = 'bench.local';
/** Every bench session logs in to one of few accounts: each salted password is derived once (shared/sasl/scram.ts). */
export const benchSaltedPasswords: SaltedPasswordCache = new Map();
export const BENCH_PASSWORD = 'bench-password';

/** Accounts are created once per data folder and reused by every server the bench starts. */
export async function prepareData(pairs: number): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const data = openDataFolder(dataDir);
  await addDomain(data, BENCH_DOMAIN);
  const users = ['idle'];
  for (let i = 0; i < pairs; i++) users.push(`sender${i}`, `receiver${i}`);
  await Promise.all(users.map((user) => addUser(data, `${user}@${BENCH_DOMAIN}`, BENCH_PASSWORD)));
  await data.close();
  return dataDir;
}

/** `extra`: more configuration (the archive scenario sets `archive`). */
/** `core`: pinned to it; 'all': every core (not the bench's own pin, which a child would inherit); null: as the bench runs. */
export async function startBenchServer(dataDir: string, core: number | 'all' | null, extra: Record<string, unknown> = {},
  workers = 1): Promise<BenchServer> {
  const [c2s, c2sTls, http] = [await freePortBelowEphemeral(), await freePortBelowEphemeral(), await freePortBelowEphemeral()];
  const configFile = join(dataDir, 'bench-config.json');
  writeFileSync(configFile, JSON.stringify({
    domains: [BENCH_DOMAIN],
    bind: '127.0.0.1',
    // Plaintext c2s on loopback: the benchmark measures XMPP, not TLS (a TLS scenario runs beside it).
    c2s: { port: c2s, tlsPort: c2sTls, allowPlaintextOnLoopback: true },
    http: { port: http, tlsPort: -1 },
    limits: { connectionsPerIp: 1_000_000, authTimeoutSeconds: 600, authFailures: 1_000_000 },
    // every BOSH load client comes from 127.0.0.1 and long-polls as fast as messages arrive
    bosh: { sessionsPerIp: 1_000_000, requestsPerSecond: 1_000_000 },
    log: { level: 'warn' },
    // federation only in the s2s scenario (bench/s2s.ts gives its own s2s settings)
    s2s: { enabled: false },
    ...extra,
  }));
  const command = core === null ? process.execPath : 'taskset';
  // PARLEY_BENCH_SERVER_FLAGS: node flags for the server only, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'
  // (NODE_OPTIONS refuses --cpu-prof, and would profile the load generator too).
  // (after the server's own flags, so that one of them can be overridden: V8 takes the last)
  const flags = [...SERVER_NODE_FLAGS, ...process.env.PARLEY_BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? []];
  const cores = core === 'all' ? EVERY_CORE : String(core);
  const args = [...(core === null ? [] : ['-c', cores, process.execPath]), ...flags,
    join(root, 'server/bin/parley.js'), '--data', dataDir, '--config', configFile, 'start', '--workers', String(workers)];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PARLEY_LOG_LEVEL: 'info' } });
  // a server that does not start is not left running (with --workers, the primary stops its workers)
  await waitForListening(child, workers > 1 ? '"event":"workers-listening"' : '"event":"listening"').catch((error: unknown) => {
    child.kill('SIGTERM');
    throw error;
  });
  return {
    pid: child.pid!,
    ports: { c2s, c2sTls, http },
    rssBytes: () => readRss(child.pid!),
    // with --workers, the primary's and every worker's
    cpuSeconds: () => processTreeCpuSeconds(child.pid!),
    mainThreadCpuSeconds: () => readCpuSeconds(`/proc/${child.pid!}/task/${child.pid!}/stat`),
    stop: () => new Promise((resolve) => {
      // a server that died meanwhile (out of memory in a soak) has nothing left to stop
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

export function removeData(dataDir: string): void {
  rmSync(dataDir, { recursive: true, force: true });
}

function waitForListening(child: ChildProcess, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    // workers start one after the other, each a whole server: on a busy machine that takes a while
    const timer = setTimeout(() => reject(new Error('the server did not start within 120 s')), 120_000);
    lines.on('line', (line) => {
      if (line.includes(event)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
  });
}

/** utime + stime from /proc/PID/stat or /proc/PID/task/TID/stat (fields 14 and 15, in clock ticks: 100 per second on Linux). */
function readCpuSeconds(file: string): number {
  const stat = readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** One process's CPU seconds (0 once it ended). */
export function processCpuSeconds(pid: number): number {
  try {
    return readCpuSeconds(`/proc/${pid}/stat`);
  } catch {
    return 0;
  }
}

/** A process's CPU seconds with its children's (the workers of --workers N; /proc/PID/task/PID/children). */
export function processTreeCpuSeconds(pid: number): number {
  let total = 0;
  try {
    total = readCpuSeconds(`/proc/${pid}/stat`);
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean)) {
      total += processTreeCpuSeconds(Number(child));
    }
  } catch {
    // a process that ended meanwhile
  }
  return total;
}

/** 0 once the process ended. */
function readRss(pid: number): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0;
  }
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb) * 1024;
}

