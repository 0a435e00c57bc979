// The benchmark scenarios: message throughput between pairs, and memory per idle connection.
import { BenchClient, type BenchTarget, type BenchTransport } from './bench-client.ts';
import { BoshBenchClient } from './bosh-client.ts';
import { BENCH_DOMAIN, BENCH_PASSWORD, type BenchServer } from './server-process.ts';

/** The stream transports of bench-client.ts, and BOSH long-polling (bosh-client.ts). */
export type LoadTransport = BenchTransport | 'bosh';

/** What the scenarios need from a load client, whatever its transport. */
interface LoadClient {
  onData: (text: string) => void;
  login(username: string, password: string, resource: string): Promise<unknown>;
  /** XEP-0198 (not over BOSH). */
  enableStreamManagement?(resume: boolean): Promise<void>;
  send(data: string): void;
  close(): void;
}

function loadClient(target: BenchTarget, transport: LoadTransport): LoadClient {
  return transport === 'bosh' ? new BoshBenchClient(target) : new BenchClient(target, transport);
}

export interface ThroughputResult {
  transport: LoadTransport;
  /** Logins (SASL SCRAM-SHA-256, bind) completed per second while the pairs log in, 50 at a time. */
  loginsPerSecond: number;
  messagesPerSecond: number;
  /**
   * Delivered messages per second of server CPU time: what the server costs per message, which a
   * busy (shared) machine changes much less than messagesPerSecond.
   */
  messagesPerCpuSecond: number;
  /** The same per CPU-second of the server's main thread alone (equal to the above but for other threads' work). */
  messagesPerMainThreadCpuSecond: number;
  p50Ms: number;
  p99Ms: number;
  delivered: number;
}

export interface ThroughputOptions {
  pairs: number;
  inFlight: number;
  warmupSeconds: number;
  seconds: number;
  /** Every client enables XEP-0198 with resumption after binding and answers the server's <r/>. */
  streamManagement?: boolean;
  /** The first pair's number (several load processes share the accounts: bench/cluster.ts). */
  firstPair?: number;
  /** The receivers log in to this server (another node of a cluster); the senders to `server`. */
  receiverServer?: Pick<BenchServer, 'ports'>;
  /** Told when the measured seconds start (after the warm-up). */
  onMeasuring?: () => void;
  /**
   * Offered load in messages per second, spread over the pairs, instead of `inFlight` messages
   * kept on the way: below saturation the server's CPU per message is its cost, free of how the
   * load generator and the server share the machine (bench --rate).
   */
  rate?: number;
  /**
   * Every this many seconds of the measured time, `onSample` gets that window's figures (the soak:
   * bench/soak.ts). The window's latencies are then dropped, so p50Ms/p99Ms of the result cover the last window.
   */
  sampleSeconds?: number;
  onSample?: (sample: ThroughputSample) => void;
}

/** One window of a sampled run (ThroughputOptions.sampleSeconds). */
export interface ThroughputSample {
  /** Seconds since the measurement started, at the window's end. */
  atSeconds: number;
  messagesPerSecond: number;
  messagesPerCpuSecond: number;
  p99Ms: number;
  serverRssBytes: number;
}

function target(server: Pick<BenchServer, 'ports'>): BenchTarget {
  return { host: '127.0.0.1', c2sPort: server.ports.c2s, c2sTlsPort: server.ports.c2sTls, httpPort: server.ports.http, domain: BENCH_DOMAIN };
}

/** Log in many clients, a few at a time. */
async function loginAll<Client>(count: number, make: (i: number) => Promise<Client>, concurrency = 50): Promise<Client[]> {
  const clients: Client[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const i = next++;
      clients[i] = await make(i);
    }
  }));
  return clients;
}

/**
 * N sender→receiver pairs, each keeping `inFlight` messages on the way: a delivered message
 * makes its sender send the next one. Messages go to the receiver's bare JID (RFC 6121 §8.5.2).
 */
export async function throughput(server: BenchServer, transport: LoadTransport, options: ThroughputOptions): Promise<ThroughputResult> {
  const t = target(server);
  const first = options.firstPair ?? 0;
  const receiverTarget = options.receiverServer ? target(options.receiverServer) : t;
  const loginStart = performance.now();
  const receivers = await loginAll(options.pairs, async (i) => {
    const client = loadClient(receiverTarget, transport);
    await client.login(`receiver${first + i}`, BENCH_PASSWORD, 'bench');
    if (options.streamManagement) await client.enableStreamManagement?.(true);
    client.send('<presence/>');
    return client;
  });
  const senders = await loginAll(options.pairs, async (i) => {
    const client = loadClient(t, transport);
    await client.login(`sender${first + i}`, BENCH_PASSWORD, 'bench');
    if (options.streamManagement) await client.enableStreamManagement?.(true);
    return client;
  });
  const loginsPerSecond = Math.round((2 * options.pairs) / ((performance.now() - loginStart) / 1000));
  await new Promise((resolve) => setTimeout(resolve, 200)); // presence settles

  let measuring = false;
  let stopped = false;
  let delivered = 0;
  const latencies = new Float64Array(4_000_000);
  let latencyCount = 0;
  const started = process.hrtime.bigint();
  const nowMicros = () => Number((process.hrtime.bigint() - started) / 1000n);

  const sendOne = (i: number) => {
    if (stopped) return;
    senders[i]!.send(`<message to='receiver${first + i}@${BENCH_DOMAIN}' type='chat' id='${nowMicros()}'><body>Hello, this is message from the benchmark.</body></message>`);
  };
  const idPattern = /<message [^>]*?id="(\d+)"/g;
  receivers.forEach((receiver, i) => {
    let rest = '';
    receiver.onData = (text) => {
      let data = rest + text;
      const end = data.lastIndexOf('</message>');
      if (end === -1) {
        rest = data;
        return;
      }
      rest = data.slice(end + 10);
      data = data.slice(0, end + 10);
      idPattern.lastIndex = 0;
      let match: RegExpExecArray | null;
      const now = nowMicros();
      while ((match = idPattern.exec(data)) !== null) {
        if (measuring) {
          delivered++;
          if (latencyCount < latencies.length) latencies[latencyCount++] = (now - Number(match[1])) / 1000;
        }
        if (options.rate === undefined) sendOne(i);
      }
    };
  });
  let ticker: NodeJS.Timeout | null = null;
  if (options.rate === undefined) {
    for (let i = 0; i < options.pairs; i++) for (let k = 0; k < options.inFlight; k++) sendOne(i);
  } else {
    // open loop: every 10 ms, what the rate owes since the start, round-robin over the pairs
    const rate = options.rate;
    const openedAt = performance.now();
    let sent = 0;
    let next = 0;
    ticker = setInterval(() => {
      const owed = Math.floor(((performance.now() - openedAt) / 1000) * rate) - sent;
      for (let k = 0; k < owed; k++) {
        sendOne(next);
        next = (next + 1) % options.pairs;
      }
      sent += Math.max(owed, 0);
    }, 10);
  }
  await new Promise((resolve) => setTimeout(resolve, options.warmupSeconds * 1000));
  measuring = true;
  options.onMeasuring?.();
  const measureStart = performance.now();
  const cpuStart = server.cpuSeconds();
  const mainCpuStart = server.mainThreadCpuSeconds();
  let sampler: NodeJS.Timeout | null = null;
  if (options.sampleSeconds !== undefined && options.onSample) {
    const onSample = options.onSample;
    let window = { at: measureStart, delivered: 0, cpu: cpuStart };
    sampler = setInterval(() => {
      const at = performance.now();
      const cpu = server.cpuSeconds();
      const sorted = latencies.subarray(0, latencyCount).sort();
      onSample({
        atSeconds: Math.round((at - measureStart) / 1000),
        messagesPerSecond: Math.round((delivered - window.delivered) / ((at - window.at) / 1000)),
        messagesPerCpuSecond: Math.round((delivered - window.delivered) / (cpu - window.cpu)),
        p99Ms: sorted[Math.floor(latencyCount * 0.99)] ?? Number.NaN,
        serverRssBytes: server.rssBytes(),
      });
      window = { at, delivered, cpu };
      latencyCount = 0;
    }, options.sampleSeconds * 1000);
  }
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  measuring = false;
  if (sampler !== null) clearInterval(sampler);
  const elapsed = (performance.now() - measureStart) / 1000;
  const cpu = server.cpuSeconds() - cpuStart;
  const mainCpu = server.mainThreadCpuSeconds() - mainCpuStart;
  stopped = true;
  if (ticker !== null) clearInterval(ticker);
  for (const client of [...senders, ...receivers]) client.close();
  const sorted = latencies.subarray(0, latencyCount).sort();
  return {
    transport,
    loginsPerSecond,
    messagesPerSecond: Math.round(delivered / elapsed),
    messagesPerCpuSecond: Math.round(delivered / cpu),
    messagesPerMainThreadCpuSecond: Math.round(delivered / mainCpu),
    p50Ms: sorted[Math.floor(latencyCount * 0.5)] ?? Number.NaN,
    p99Ms: sorted[Math.floor(latencyCount * 0.99)] ?? Number.NaN,
    delivered,
  };
}

export interface IdleResult {
  transport: BenchTransport;
  connections: number;
  bytesPerConnection: number;
}

/** Server RSS per authenticated, bound, idle connection, measured at each step of `steps`. */
export async function idleMemory(server: BenchServer, transport: BenchTransport, steps: number[]): Promise<IdleResult[]> {
  const t = target(server);
  await settle();
  const baseline = server.rssBytes();
  const results: IdleResult[] = [];
  const clients: BenchClient[] = [];
  for (const step of steps) {
    const more = await loginAll(step - clients.length, async (i) => {
      const client = new BenchClient(t, transport);
      await client.login('idle', BENCH_PASSWORD, `r${clients.length + i}`);
      return client;
    });
    clients.push(...more);
    await settle();
    results.push({ transport, connections: step, bytesPerConnection: Math.round((server.rssBytes() - baseline) / step) });
  }
  for (const client of clients) client.close();
  return results;
}

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1500));
}

export interface HibernatedResult {
  transport: BenchTransport;
  sessions: number;
  /** Server RSS per connected, bound, idle session with XEP-0198 resumption enabled. */
  bytesPerConnectedSession: number;
  /** Server RSS per session waiting for resumption after its connection dropped (nothing queued). */
  bytesPerHibernatedSession: number;
}

/**
 * XEP-0198: `count` sessions enable resumption, then their connections drop; the server keeps each
 * one waiting. Measured: RSS per session while connected and while waiting.
 */
export async function hibernatedMemory(server: BenchServer, transport: BenchTransport, count: number): Promise<HibernatedResult> {
  const t = target(server);
  await settle();
  const baseline = server.rssBytes();
  const clients = await loginAll(count, async (i) => {
    const client = new BenchClient(t, transport);
    await client.login('idle', BENCH_PASSWORD, `h${i}`);
    await client.enableStreamManagement(true);
    return client;
  });
  await settle();
  const connected = server.rssBytes();
  for (const client of clients) client.close();
  await settle();
  await settle();
  const hibernated = server.rssBytes();
  return {
    transport, sessions: count,
    bytesPerConnectedSession: Math.round((connected - baseline) / count),
    bytesPerHibernatedSession: Math.round((hibernated - baseline) / count),
  };
}

export interface ResumptionResult {
  transport: BenchTransport;
  resumptions: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * XEP-0198 §5: `count` sessions with resumption lose their connections; each is resumed on a new
 * one (`concurrency` at a time: one, as after a network blip). Measured from <resume/> to <resumed/>, after authentication.
 */
export async function resumption(server: BenchServer, transport: BenchTransport, count: number, concurrency = 1): Promise<ResumptionResult> {
  const t = target(server);
  const clients = await loginAll(count, async (i) => {
    const client = new BenchClient(t, transport);
    await client.login('idle', BENCH_PASSWORD, `resume${i}`);
    await client.enableStreamManagement(true);
    return client;
  });
  for (const client of clients) client.close();
  await settle(); // the server notices the drops
  const times: number[] = [];
  await loginAll(count, async (i) => {
    const client = new BenchClient(t, transport);
    times.push(await client.login('idle', BENCH_PASSWORD, '', { previd: clients[i]!.resumptionId, h: clients[i]!.handled }));
    client.close();
    return client;
  }, concurrency);
  times.sort((a, b) => a - b);
  return {
    transport, resumptions: count,
    p50Ms: times[Math.floor(count * 0.5)]!, p99Ms: times[Math.floor(count * 0.99)]!, maxMs: times[count - 1]!,
  };
}
