// Parley nodes in a cluster for tests: a nats-server of their own (Debian's, on a free loopback port)
// and N in-process servers on one data folder (the shared SQLite state, WAL; PostgreSQL once the
// pg-storage backend is in), each its own node.index and a short heartbeat so that a lost node
// is noticed within a second or two.
import type { ConfigInput } from '../../server/src/config.ts';
import { startServer, type TestServer, type TestServerOptions } from './server.ts';
import { startNatsServer, type NatsServer } from './suite.ts';

export { startNatsServer, type NatsServer };

/** Heartbeats every 200 ms, a node silent for 1 s is gone. */
export const FAST_MEMBERSHIP = { heartbeatMs: 200, deadAfterMs: 1000 } as const;

export function clusterConfig(nats: NatsServer, index: number, extra: Partial<ConfigInput> = {}): Partial<ConfigInput> {
  return {
    ...extra,
    node: { index },
    cluster: { nats: { servers: [nats.url] }, nodeName: `node${index}`, ...FAST_MEMBERSHIP, ...extra.cluster },
  };
}

export interface TestCluster {
  nats: NatsServer;
  nodes: TestServer[];
  /** Another node on the same store and bus (a node joining late). */
  add(index: number): Promise<TestServer>;
  stop(): Promise<void>;
}

export async function startCluster(count: number, options: TestServerOptions = {}): Promise<TestCluster> {
  const nats = await startNatsServer();
  const nodes: TestServer[] = [];
  const add = async (index: number) => {
    const node = await startServer({
      ...options, dataDir: nodes[0]?.dataDir ?? options.dataDir, config: clusterConfig(nats, index, options.config),
    });
    nodes.push(node);
    return node;
  };
  for (let index = 0; index < count; index++) await add(index);
  return {
    nats, nodes, add,
    stop: async () => {
      // the first node owns the temporary data folder: it stops last
      for (const node of [...nodes].reverse()) await node.stop().catch(() => {});
      await nats.stop();
    },
  };
}

/**
 * Wait until every node's session table has `count` entries for `bare` (the replicas caught up);
 * with `available`, `count` available ones (initial presence sent: RFC 6121 §4.2).
 */
export async function tablesShow(nodes: TestServer[], bare: string, count: number, options: { available?: boolean; timeoutMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const entries = (node: TestServer) => node.server.sessionTable.resources(bare).filter((entry) => !options.available || entry.available).length;
  for (;;) {
    if (nodes.every((node) => entries(node) === count)) return;
    if (Date.now() > deadline) {
      const seen = nodes.map(entries);
      throw new Error(`session tables show ${seen.join(', ')} entries for ${bare}, not ${count}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
