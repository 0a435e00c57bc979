// Figures that features add to /metrics (s2s links, MUC rooms…) without the registry knowing the
// features: each registers a name, its labels and a function read at scrape time, here. The list is
// made before the features (server.ts) and read by the Prometheus registry (registry.ts) whenever it
// exists — a feature started later still reaches it. Nothing is computed until a scrape asks.

export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

export type MetricReader = () => MetricSample[] | Promise<MetricSample[]>;

export interface FeatureMetric {
  /** 'gauge': a value now; 'counter': a total since the start (only ever grows). */
  readonly type: 'gauge' | 'counter';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly read: MetricReader;
}

/** What a feature is given to register its figures with. */
export interface MetricsRegistration {
  gauge(name: string, help: string, labelNames: readonly string[], read: MetricReader): void;
  counter(name: string, help: string, labelNames: readonly string[], read: MetricReader): void;
}

export class FeatureMetrics implements MetricsRegistration {
  private readonly metrics: FeatureMetric[] = [];
  private readonly listeners: Array<(metric: FeatureMetric) => void> = [];

  gauge(name: string, help: string, labelNames: readonly string[], read: MetricReader): void {
    this.add({ type: 'gauge', name, help, labelNames, read });
  }

  counter(name: string, help: string, labelNames: readonly string[], read: MetricReader): void {
    this.add({ type: 'counter', name, help, labelNames, read });
  }

  /** Every metric registered so far, then each one registered later. */
  each(listener: (metric: FeatureMetric) => void): void {
    for (const metric of this.metrics) listener(metric);
    this.listeners.push(listener);
  }

  private add(metric: FeatureMetric): void {
    if (this.metrics.some((known) => known.name === metric.name)) throw new Error(`metric ${metric.name} is registered twice`);
    this.metrics.push(metric);
    for (const listener of this.listeners) listener(metric);
  }
}

/** Counts by a key of label values, as plain numbers (a counter's state, read at scrape time). */
export class LabelledCounts<L extends string> {
  private readonly counts = new Map<string, { labels: Record<L, string>; value: number }>();

  constructor(private readonly labelNames: readonly L[]) {}

  add(labels: Record<L, string>, by = 1): void {
    const key = this.labelNames.map((name) => labels[name]).join('\u0000');
    const entry = this.counts.get(key);
    if (entry) entry.value += by;
    else this.counts.set(key, { labels: { ...labels }, value: by });
  }

  samples(): MetricSample[] {
    return [...this.counts.values()].map(({ labels, value }) => ({ labels, value }));
  }
}
