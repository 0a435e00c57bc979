// Which cluster this server joins, if any: NATS from config.cluster.nats (nodes on several
// machines), or the bus its primary process gives the workers of `parley start --workers N`.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { ServerHub } from '../core/server-events.ts';
import type { ClusterBus } from './bus.ts';
import { ClusterNode } from './cluster-node.ts';
import { NatsClusterBus } from './nats-bus.ts';

/** A bus made for this node (workers: ipc-bus.ts). */
export type ClusterBusFactory = (node: string) => ClusterBus | Promise<ClusterBus>;

export function nodeName(config: Config): string {
  return config.cluster.nodeName ?? `node-${randomBytes(6).toString('hex')}`;
}

/** The cluster node, or null for a server on its own. */
export async function joinCluster(config: Config, node: string, hub: ServerHub, log: Logger,
  busFactory?: ClusterBusFactory): Promise<ClusterNode | null> {
  const nats = config.cluster.nats;
  if (!busFactory && !nats) return null;
  const clusterLog = log.child({ component: 'cluster' });
  const bus = busFactory ? await busFactory(node) : await NatsClusterBus.connect(node, nats!, clusterLog);
  return new ClusterNode(node, bus, { heartbeatMs: config.cluster.heartbeatMs, deadAfterMs: config.cluster.deadAfterMs }, hub, clusterLog);
}
