// Suite events in a cluster: a change applied on one node (admin API, the suite's NATS bus taken by
// one node of the queue group) is published there and on every other node, so that each acts on
// its own sessions and caches (a deleted user's sessions end wherever they are). Changes made by
// the CLI reach every node through the shared database's event log, as they reach a single node.
import { suiteEventSchema, type SuiteEvent, type SuiteEventPublisher } from '../directory/suite-events.ts';
import type { Logger } from '../logger.ts';
import type { SuiteEventBus } from '../suite-bus/event-bus.ts';
import type { ClusterBus } from './bus.ts';

export function clusterSuiteEvents(node: string, bus: ClusterBus, local: SuiteEventBus, log: Logger): SuiteEventPublisher {
  bus.onBroadcast('suite', (data) => {
    const { n, e } = JSON.parse(data) as { n: string; e: unknown };
    if (n === node) return;
    const parsed = suiteEventSchema.safeParse(e);
    if (!parsed.success) return log.warn({ from: n }, 'cluster: an unreadable suite event');
    void local.publish(parsed.data);
  });
  return {
    publish(event: SuiteEvent): Promise<void> {
      bus.broadcast('suite', JSON.stringify({ n: node, e: event }));
      return local.publish(event);
    },
  };
}
