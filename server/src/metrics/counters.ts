// What the hot path counts: plain numbers that the stream, the router and the sessions add to, read
// by the Prometheus registry only when /metrics is scraped (registry.ts). No label lookup, no
// allocation per stanza: a counter is a field.
import { performance } from 'node:perf_hooks';

export type StanzaKind = 'message' | 'presence' | 'iq';

export class StanzaCounts {
  message = 0;
  presence = 0;
  iq = 0;

  add(kind: string): void {
    if (kind === 'message') this.message++;
    else if (kind === 'presence') this.presence++;
    else if (kind === 'iq') this.iq++;
  }

  /** The kind of a serialized stanza by its first tag (`<message …`, `<presence …`, `<iq …`). */
  addSerialized(xml: string): void {
    const c = xml.charCodeAt(1);
    if (c === 109 /* m */) this.message++;
    else if (c === 112 /* p */) this.presence++;
    else if (c === 105 /* i */) this.iq++;
  }
}

/** Upper bounds (seconds): loopback delivery is sub-millisecond, a commit to disk milliseconds to tens of them. */
export const TIME_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;

/**
 * A histogram of durations in plain arrays (counts per bucket, their sum), read at scrape time.
 * `sampleEvery` > 1 times only one event in that many: the distribution stays true at a fraction of
 * the clock reads (the stanza path).
 */
export class TimeHistogram {
  readonly counts = new Array<number>(TIME_BUCKETS.length + 1).fill(0);
  sum = 0;
  total = 0;
  private tick = 0;

  constructor(private readonly sampleEvery = 1) {}

  /** The start time of a sampled event, or -1 when this one is not sampled. */
  start(): number {
    return ++this.tick % this.sampleEvery === 0 ? performance.now() : -1;
  }

  /** `started` from start(): records the time since (nothing for an unsampled event). */
  end(started: number): void {
    if (started >= 0) this.observe((performance.now() - started) / 1000);
  }

  observe(seconds: number): void {
    let bucket = 0;
    while (bucket < TIME_BUCKETS.length && seconds > TIME_BUCKETS[bucket]!) bucket++;
    this.counts[bucket]!++;
    this.sum += seconds;
    this.total++;
  }
}

export type SignInOutcome = 'success' | 'failure' | 'throttled';

/** Sign-in outcomes by SASL mechanism (a failure's condition too: not-authorized, aborted…). */
export class SignInCounts {
  readonly byKey = new Map<string, { mechanism: string; outcome: SignInOutcome; condition: string; count: number }>();

  add(mechanism: string, outcome: SignInOutcome, condition = ''): void {
    const key = `${mechanism} ${outcome} ${condition}`;
    const entry = this.byKey.get(key);
    if (entry) entry.count++;
    else this.byKey.set(key, { mechanism, outcome, condition, count: 1 });
  }
}

/** Everything the hot path counts, made once by server.ts and handed to the parts that count. */
export class ServerCounters {
  /** Stanzas from clients (and later servers and components), by kind. */
  readonly received = new StanzaCounts();
  /** Stanzas written to this node's client sessions, by kind. */
  readonly delivered = new StanzaCounts();
  /** From a client stanza's arrival at the router to its delivery or storage (one in eight timed). */
  readonly routing = new TimeHistogram(8);
  /** How long each group commit (archive and offline writes, storage/group-commit.ts) takes. */
  readonly commits = new TimeHistogram();
  readonly signIns = new SignInCounts();
  /** Times a client stream stopped reading because the storage's writes were behind (storage/group-commit.ts). */
  inputsHeld = 0;
}
