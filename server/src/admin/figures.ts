// Live figures for the admin console, read from the same registry /metrics serves (metrics/registry.ts),
// so the console and Prometheus never disagree: sessions, streams, stanzas, sign-ins, routing time,
// event-loop lag and memory of this node, and its federation links and live rooms when it has them
// (the gauges s2s/federation.ts and components/muc register).
import type { ServerMetrics } from '../metrics/registry.ts';

type Sample = { value: number; labels: Record<string, string | number>; metricName?: string };

export interface Figures {
  at: string;
  sessions: { active: number; detached: number; byTransport: Record<string, number> };
  streams: Record<string, number>;
  stanzas: { received: Record<string, number>; delivered: Record<string, number> };
  signIns: { success: number; failure: number; throttled: number };
  routing: { count: number; meanMs: number | null };
  eventLoopLagSeconds: number | null;
  residentMemoryBytes: number | null;
  uptimeSeconds: number;
  /** Server-to-server links of this node (null without federation): ready ones by direction, those still connecting, proven domain pairs, stanzas waiting for a link. */
  s2s: { ready: { outgoing: number; incoming: number }; connecting: number; domainPairs: number; queued: number } | null;
  /** Rooms with occupants on this node and their occupants, over its MUC services (null without group chat). */
  muc: { rooms: number; occupants: number } | null;
}

export async function readFigures(metrics: ServerMetrics): Promise<Figures> {
  const all = await metrics.registry.getMetricsAsJSON();
  const samples = (name: string): Sample[] => (all.find((metric) => metric.name === name)?.values ?? []) as Sample[];
  const byLabel = (name: string, label: string) => {
    const out: Record<string, number> = {};
    for (const sample of samples(name)) {
      const key = String(sample.labels[label] ?? '');
      out[key] = (out[key] ?? 0) + sample.value;
    }
    return out;
  };
  const single = (name: string) => samples(name)[0]?.value ?? null;
  const registered = (name: string) => all.some((metric) => metric.name === name);
  const total = (name: string) => samples(name).reduce((sum, sample) => sum + sample.value, 0);
  const links = (direction: string, state: string) => samples('parley_s2s_links')
    .filter((sample) => sample.labels.direction === direction && sample.labels.state === state).reduce((sum, sample) => sum + sample.value, 0);
  const sessions = { active: 0, detached: 0, byTransport: {} as Record<string, number> };
  for (const sample of samples('parley_sessions')) {
    if (sample.labels.state === 'detached') sessions.detached += sample.value;
    else sessions.active += sample.value;
    const transport = String(sample.labels.transport);
    sessions.byTransport[transport] = (sessions.byTransport[transport] ?? 0) + sample.value;
  }
  const outcomes = byLabel('parley_sign_ins_total', 'outcome');
  const routing = samples('parley_routing_seconds');
  const count = routing.find((sample) => sample.metricName === 'parley_routing_seconds_count')?.value ?? 0;
  const sum = routing.find((sample) => sample.metricName === 'parley_routing_seconds_sum')?.value ?? 0;
  return {
    at: new Date().toISOString(),
    sessions,
    streams: byLabel('parley_streams', 'transport'),
    stanzas: { received: byLabel('parley_stanzas_received_total', 'kind'), delivered: byLabel('parley_stanzas_delivered_total', 'kind') },
    signIns: { success: outcomes.success ?? 0, failure: outcomes.failure ?? 0, throttled: outcomes.throttled ?? 0 },
    routing: { count, meanMs: count > 0 ? (sum / count) * 1000 : null },
    eventLoopLagSeconds: single('nodejs_eventloop_lag_seconds'),
    residentMemoryBytes: single('process_resident_memory_bytes'),
    uptimeSeconds: Math.round(process.uptime()),
    s2s: registered('parley_s2s_links') ? {
      ready: { outgoing: links('outgoing', 'ready'), incoming: links('incoming', 'ready') },
      connecting: links('outgoing', 'connecting') + links('incoming', 'connecting'),
      domainPairs: total('parley_s2s_domain_pairs'),
      queued: total('parley_s2s_queued_stanzas'),
    } : null,
    muc: registered('parley_muc_rooms') ? { rooms: total('parley_muc_rooms'), occupants: total('parley_muc_occupants') } : null,
  };
}
