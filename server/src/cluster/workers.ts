// `parley start --workers N`: one process per core behind the same ports. The primary forks N
// workers (Node's cluster module) and relays their cluster bus (ipc-bus.ts); each worker is a whole
// Parley node — its sessions, its share of the connections — on the shared data folder (SQLite in
// WAL mode takes writes from several processes; PostgreSQL once configured). TCP listeners (c2s,
// s2s, components) are shared through the cluster module, which hands each new connection to the
// next worker; uWebSockets.js (WebSocket, BOSH, HTTP) listens in every worker with SO_REUSEPORT
// on the same port, the kernel spreading connections. The primary picks a free port where the
// configuration says 0, so that every worker listens on the same one. Worker 0 starts first (it
// migrates a new database and makes the certificates); the others follow once it listens. The
// workers' bus is a mesh of local sockets that the primary introduces them on (socket-bus.ts), or
// with cluster.workerBus 'ipc' the primary's relay (ipc-bus.ts).
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { fromNodeError } from '../net/listen-error.ts';
import { isIpcBatch, type IpcBatch, type IpcItem } from './ipc-bus.ts';
import { isMeshControl, MESH_ADDRESS_ENV, MESH_SECRET_ENV, type MeshControl } from './socket-bus.ts';

export { MESH_ADDRESS_ENV, MESH_SECRET_ENV };

/** Set in each worker's environment. */
export const WORKER_INDEX_ENV = 'PARLEY_WORKER_INDEX';
/** How long a crashed worker waits before it is started again (ms). */
const RESTART_DELAY_MS = 1000;

/** This process's node name as worker `index`. */
export function workerNodeName(config: Config, index: number): string {
  return `${config.cluster.nodeName ?? 'worker'}-${index}`;
}

interface WorkerReady {
  readonly parleyWorker: 'listening';
  readonly ports: unknown;
}

function isReady(message: unknown): message is WorkerReady {
  return typeof message === 'object' && message !== null && (message as WorkerReady).parleyWorker === 'listening';
}

/** The primary: fork, relay, restart a crashed worker, and stop them all on SIGTERM/SIGINT. */
export async function runPrimary(config: Config, log: Logger, count: number): Promise<void> {
  if (config.node.index + count > 16) throw new Error(`node.index ${config.node.index} + ${count} workers: archive node numbers go up to 15`);
  const env: Record<string, string> = {
    PARLEY_HTTP_PORT: String(await concretePort(config.bind, config.http.port, 'http.port')),
    PARLEY_HTTPS_PORT: String(config.http.tlsPort === -1 ? -1 : await concretePort(config.bind, config.http.tlsPort, 'http.tlsPort')),
  };
  // the workers' socket mesh: where they listen, and the secret a connecting worker greets with
  const mesh = new Map<string, string>();
  if (config.cluster.workerBus === 'sockets' && !config.cluster.nats) {
    env[MESH_ADDRESS_ENV] = meshBase();
    env[MESH_SECRET_ENV] = randomBytes(32).toString('base64url');
  }
  cluster.setupPrimary({ serialization: 'advanced' });
  const byNode = new Map<string, Worker>();
  const outgoing = new Map<Worker, IpcItem[]>();
  let flushScheduled = false;
  let stopping = false;
  let listening = 0;

  const deliver = (worker: Worker | undefined, item: IpcItem) => {
    if (!worker || !worker.isConnected()) return;
    let batch = outgoing.get(worker);
    if (!batch) outgoing.set(worker, batch = []);
    batch.push(item);
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      for (const [target, items] of outgoing) if (target.isConnected()) target.send({ parleyBus: items } satisfies IpcBatch);
      outgoing.clear();
    });
  };
  const relay = (from: Worker, item: IpcItem) => {
    if (item.k === 'b') {
      for (const worker of byNode.values()) if (worker !== from) deliver(worker, item);
    } else {
      deliver(byNode.get(item.node), item);
    }
  };

  const fork = (index: number): Promise<void> => new Promise((resolve) => {
    const node = workerNodeName(config, index);
    let listened = false;
    const worker = cluster.fork({ ...env, [WORKER_INDEX_ENV]: String(index) });
    byNode.set(node, worker);
    worker.on('message', (message: unknown) => {
      if (isIpcBatch(message)) {
        for (const item of message.parleyBus) relay(worker, item);
      } else if (isMeshControl(message) && message.parleyMesh === 'listening') {
        // the newcomer connects to the workers listening before it (one connection per pair)
        const peers = [...mesh].filter(([other]) => other !== message.node).map(([other, address]) => ({ node: other, address }));
        worker.send({ parleyMesh: 'peers', peers } satisfies MeshControl);
        mesh.set(message.node, message.address);
      } else if (isReady(message)) {
        listened = true;
        listening++;
        if (listening === count) log.info({ event: 'workers-listening', workers: count, ports: message.ports }, 'Parley workers are listening');
        resolve();
      }
    });
    worker.on('exit', (code, signal) => {
      if (byNode.get(node) === worker) {
        byNode.delete(node);
        mesh.delete(node);
      }
      if (stopping) return;
      if (!listened) {
        // it could not start (a port in use, a bad data folder: it said why on stderr); neither can the others
        stopping = true;
        for (const other of byNode.values()) other.process.kill('SIGTERM');
        process.exitCode = code || 1;
        return resolve();
      }
      log.error({ worker: index, code, signal }, 'a worker ended: it starts again');
      // the others learn at once that its sessions are gone (cluster-node.ts), without waiting for the heartbeat
      for (const other of byNode.values()) deliver(other, { k: 'b', topic: 'goodbye', data: node, from: node });
      listening--;
      listened = false;
      setTimeout(() => void fork(index), RESTART_DELAY_MS).unref();
      resolve();
    });
  });

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping the workers');
    const workers = [...byNode.values()];
    void Promise.all(workers.map((worker) => new Promise<void>((resolve) => {
      if (worker.isDead()) return resolve();
      worker.once('exit', () => resolve());
      worker.process.kill('SIGTERM');
    }))).then(() => {
      log.info({ event: 'stopped' }, 'Parley stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  await fork(0);
  if (stopping) return; // worker 0 could not start: the others would fail the same way
  await Promise.all(Array.from({ length: count - 1 }, (_, i) => fork(i + 1)));
}

/** In a worker: tell the primary that this worker listens. */
export function reportListening(ports: unknown): void {
  process.send?.({ parleyWorker: 'listening', ports } satisfies WorkerReady);
}

/** The worker ends with its primary (kill -9 of the primary leaves no worker behind). */
export function stopWithPrimary(stop: () => void): void {
  process.on('disconnect', stop);
}

export function isWorker(): boolean {
  return cluster.isWorker;
}

/**
 * Where the workers' sockets listen: on Linux an abstract address (no file; a connection must
 * greet with the secret), elsewhere files in a private temporary folder, removed at exit.
 */
function meshBase(): string {
  // '@' stands for the leading NUL of an abstract address (an environment variable cannot hold one)
  if (process.platform === 'linux') return `@parley-${process.pid}-${randomBytes(6).toString('hex')}`;
  const folder = mkdtempSync(join(tmpdir(), 'parley-mesh-'));
  process.on('exit', () => rmSync(folder, { recursive: true, force: true }));
  return join(folder, 'worker');
}

/**
 * The port every worker's uWebSockets.js listens on. 0 means "any free port": the primary chooses
 * it, so that every worker binds the same one. A given port is probed first: the workers listen
 * with SO_REUSEPORT, which would share a port another program (or another Parley) holds the same
 * way instead of failing; node:net binds without it, so a port in use is refused here (ListenError).
 */
function concretePort(host: string, port: number, configKey: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(fromNodeError(error, host, port, configKey)));
    probe.listen(port, host, () => {
      const { port: chosen } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(chosen));
    });
  });
}
