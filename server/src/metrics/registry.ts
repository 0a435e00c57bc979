// The Prometheus registry behind /metrics (prom-client): Node's own figures (event-loop lag, heap,
// GC, CPU), and the server's, each read when scraped — from the hot path's plain counters
// (counters.ts), the sessions, the streams, the storage — so that serving traffic costs nothing
// here. Features add their own figures (s2s links, MUC rooms…) to a FeatureMetrics list
// (feature-metrics.ts), registered here without this file knowing them.
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { TIME_BUCKETS, type ServerCounters, type StanzaCounts, type TimeHistogram } from './counters.ts';
import type { FeatureMetric, FeatureMetrics } from './feature-metrics.ts';

/** What the registry reads at scrape time. */
export interface MetricSources {
  readonly counters: ServerCounters;
  /** Bound sessions of this node by transport and state ('active': a stream attached; 'detached': kept without one). */
  sessions(): Iterable<{ transport: string; attached: boolean }>;
  /** Open client streams (bound or not) by transport. */
  streams(): Map<string, number>;
  /** Entries waiting for the external archive index (Elasticsearch), or null without one. */
  archiveQueue?(): Promise<number> | null;
  /** What the features registered (federation, MUC…), now and later. */
  readonly features?: FeatureMetrics;
}

const KINDS = ['message', 'presence', 'iq'] as const;

export class ServerMetrics {
  readonly registry = new Registry();

  constructor(private readonly sources: MetricSources) {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
    const { counters } = sources;
    this.stanzaCounter('parley_stanzas_received_total', 'Stanzas received from clients, by kind.', counters.received);
    this.stanzaCounter('parley_stanzas_delivered_total', "Stanzas written to this node's client sessions, by kind.", counters.delivered);
    this.registry.registerMetric(histogram('parley_routing_seconds', "From a client stanza's arrival at the router to its delivery or storage (one in eight timed).", counters.routing));
    this.registry.registerMetric(histogram('parley_storage_commit_seconds', 'Duration of each group commit of archive and offline writes.', counters.commits));
    this.registry.registerMetric(new Counter({
      name: 'parley_storage_input_held_total', help: 'Times a client stream stopped reading until its write was committed, because archive and offline writes were behind.',
      registers: [],
      collect() {
        this.reset();
        this.inc(counters.inputsHeld);
      },
    }));
    const signIns = counters.signIns;
    this.registry.registerMetric(new Counter({
      name: 'parley_sign_ins_total', help: 'Sign-in attempts by SASL mechanism and outcome (success, failure with its condition, throttled).',
      labelNames: ['mechanism', 'outcome', 'condition'], registers: [],
      collect() {
        this.reset();
        for (const { mechanism, outcome, condition, count } of signIns.byKey.values()) this.inc({ mechanism, outcome, condition }, count);
      },
    }));
    this.addGauge('parley_sessions', "Bound client sessions of this node by transport and state ('active': with a stream, 'detached': kept for resumption).", ['transport', 'state'], () => {
      const counts = new Map<string, { labels: Record<string, string>; value: number }>();
      for (const session of sources.sessions()) {
        const state = session.attached ? 'active' : 'detached';
        const key = `${session.transport} ${state}`;
        const entry = counts.get(key);
        if (entry) entry.value++;
        else counts.set(key, { labels: { transport: session.transport, state }, value: 1 });
      }
      return [...counts.values()];
    });
    this.addGauge('parley_streams', 'Open client streams (signed in or not) by transport.', ['transport'], () =>
      [...sources.streams()].map(([transport, value]) => ({ labels: { transport }, value })));
    if (sources.archiveQueue) {
      const depth = sources.archiveQueue;
      this.addGauge('parley_archive_queue_entries', 'Archive entries waiting for the external index (Elasticsearch).', [], async () => {
        const size = await depth();
        return size === null ? [] : [{ labels: {}, value: size }];
      });
    }
    sources.features?.each((metric) => this.addFeatureMetric(metric));
  }

  private addFeatureMetric({ type, name, help, labelNames, read }: FeatureMetric): void {
    if (type === 'gauge') return this.addGauge(name, help, [...labelNames], read);
    this.registry.registerMetric(new Counter({
      name, help, labelNames: [...labelNames], registers: [],
      async collect() {
        this.reset();
        for (const { labels, value } of await read()) this.inc(labels, value);
      },
    }));
  }

  /** A gauge read at scrape time: `read` gives every labelled value. */
  addGauge(name: string, help: string, labelNames: string[],
    read: () => Array<{ labels: Record<string, string>; value: number }> | Promise<Array<{ labels: Record<string, string>; value: number }>>): void {
    this.registry.registerMetric(new Gauge({
      name, help, labelNames, registers: [],
      async collect() {
        this.reset();
        for (const { labels, value } of await read()) this.set(labels, value);
      },
    }));
  }

  /** The text exposition format (Prometheus 0.0.4). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private stanzaCounter(name: string, help: string, counts: StanzaCounts): void {
    this.registry.registerMetric(new Counter({
      name, help, labelNames: ['kind'], registers: [],
      collect() {
        this.reset();
        for (const kind of KINDS) this.inc({ kind }, counts[kind]);
      },
    }));
  }
}

/** A prom-client metric object for a TimeHistogram (cumulative buckets, sum, count), formatted by the registry. */
function histogram(name: string, help: string, source: TimeHistogram): Metric {
  return {
    name, help, type: 'histogram', aggregator: 'sum',
    get: async () => {
      const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
      let cumulative = 0;
      TIME_BUCKETS.forEach((bound, i) => {
        cumulative += source.counts[i]!;
        values.push({ metricName: `${name}_bucket`, labels: { le: bound }, value: cumulative });
      });
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: source.total });
      values.push({ metricName: `${name}_sum`, labels: {}, value: source.sum });
      values.push({ metricName: `${name}_count`, labels: {}, value: source.total });
      return { name, help, type: 'histogram', values, aggregator: 'sum' };
    },
    reset() {},
  } as unknown as Metric;
}
