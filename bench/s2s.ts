// The s2s scenario of `npm run bench`: users of one Parley process message users of a second
// Parley process over one s2s link pair (STARTTLS both ways, dialback on self-signed certificates),
// the two processes on their own cores, found through a test DNS server (Debian's unbound). Then
// memory per idle s2s link: many served domains on the first process each open a link to the second.
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { openDataFolder } from '../server/src/data-folder.ts';
import { addDomain, addUser } from '../server/src/cli/accounts.ts';
import { freePortBelowEphemeral } from '../test/helpers/ports.ts';
import { startDns, type TestDns } from '../test/helpers/unbound.ts';
import { BenchClient, type BenchTarget } from './bench-client.ts';
import { BENCH_PASSWORD, startBenchServer, type BenchServer } from './server-process.ts';

const SENDING = 'one.bench';
const RECEIVING = 'two.bench';

export interface S2sBenchOptions {
  pairs: number;
  inFlight: number;
  warmupSeconds: number;
  seconds: number;
  /** Cores for the two servers (null: not pinned). */
  cores: [number, number] | null;
  /** Idle links to measure memory with (domains on the sending side). */
  idleLinks: number;
  /** More server configuration (run.ts: the archive switch, storage.synchronous). */
  serverExtra: Record<string, unknown>;
}

export interface S2sBenchResult {
  messagesPerSecond: number;
  /** Delivered messages per CPU-second of each server (sending, receiving). */
  perCpuSecond: [number, number];
  p50Ms: number;
  p99Ms: number;
  /** Server RSS growth per idle link pair, on the side that opened them and on the side that took them. */
  idleLinkBytes: { opening: number; accepting: number; links: number };
}

interface Side {
  domain: string;
  dataDir: string;
  s2sPort: number;
  server: BenchServer;
}

export async function s2sBench(options: S2sBenchOptions): Promise<S2sBenchResult> {
  const dns = await startDns({});
  const idleDomains = Array.from({ length: options.idleLinks }, (_, i) => `d${i}.${SENDING}`);
  const sides: Side[] = [];
  try {
    const sending = await startSide(dns, SENDING, options.cores?.[0] ?? null, options.pairs, 'sender', idleDomains, options.serverExtra);
    sides.push(sending);
    const receiving = await startSide(dns, RECEIVING, options.cores?.[1] ?? null, options.pairs, 'receiver', [], options.serverExtra);
    sides.push(receiving);
    const measured = await throughputOverS2s(sending, receiving, options);
    const idleLinkBytes = await idleLinks(sending, receiving, idleDomains);
    return { ...measured, idleLinkBytes };
  } finally {
    await Promise.allSettled(sides.map((side) => side.server.stop()));
    for (const side of sides) rmSync(side.dataDir, { recursive: true, force: true });
    await dns.stop();
  }
}

async function startSide(dns: TestDns, domain: string, core: number | null, pairs: number, role: string, extraDomains: string[],
  serverExtra: Record<string, unknown>): Promise<Side> {
  const dataDir = mkdtempSync(join(tmpdir(), `parley-bench-${domain}-`));
  const data = openDataFolder(dataDir);
  await addDomain(data, domain);
  for (const extra of extraDomains) await addDomain(data, extra);
  await Promise.all(Array.from({ length: pairs }, (_, i) => addUser(data, `${role}${i}@${domain}`, BENCH_PASSWORD)));
  await Promise.all(extraDomains.map((extra) => addUser(data, `idle@${extra}`, BENCH_PASSWORD)));
  await data.close();
  const s2sPort = await freePortBelowEphemeral();
  const server = await startBenchServer(dataDir, core, {
    ...serverExtra,
    domains: [domain, ...extraDomains],
    dns: { servers: [dns.server] },
    s2s: { port: s2sPort, tlsPort: -1, maxQueuedStanzas: 1_000_000, idleSeconds: 3600 },
  });
  // SRV records for the domain and its subdomains, the target named by its address (test/helpers/prosody.ts peerZone)
  await dns.setZone(domain, [domain, ...extraDomains].flatMap((name) => [`_xmpp-server._tcp.${name}. 60 IN SRV 0 5 ${s2sPort} 127.0.0.1.`]));
  await dns.setZone('127.0.0.1', ['127.0.0.1. 60 IN A 127.0.0.1']);
  return { domain, dataDir, s2sPort, server };
}

function target(side: Side, domain = side.domain): BenchTarget {
  return { host: '127.0.0.1', c2sPort: side.server.ports.c2s, c2sTlsPort: side.server.ports.c2sTls, httpPort: side.server.ports.http, domain };
}

async function loginAll(count: number, make: (i: number) => Promise<BenchClient>, concurrency = 50): Promise<BenchClient[]> {
  const clients: BenchClient[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const i = next++;
      clients[i] = await make(i);
    }
  }));
  return clients;
}

/** As scenarios.ts throughput(): each delivered message makes its sender send the next one. */
async function throughputOverS2s(sending: Side, receiving: Side, options: S2sBenchOptions) {
  const receivers = await loginAll(options.pairs, async (i) => {
    const client = new BenchClient(target(receiving), 'tcp');
    await client.login(`receiver${i}`, BENCH_PASSWORD, 'bench');
    client.send('<presence/>');
    return client;
  });
  const senders = await loginAll(options.pairs, async (i) => {
    const client = new BenchClient(target(sending), 'tcp');
    await client.login(`sender${i}`, BENCH_PASSWORD, 'bench');
    return client;
  });
  let measuring = false;
  let stopped = false;
  let delivered = 0;
  const latencies = new Float64Array(4_000_000);
  let latencyCount = 0;
  const started = process.hrtime.bigint();
  const nowMicros = () => Number((process.hrtime.bigint() - started) / 1000n);
  const sendOne = (i: number) => {
    if (stopped) return;
    senders[i]!.send(`<message to='receiver${i}@${RECEIVING}' type='chat' id='${nowMicros()}'><body>Hello, this is message from the benchmark.</body></message>`);
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
        sendOne(i);
      }
    };
  });
  for (let i = 0; i < options.pairs; i++) for (let k = 0; k < options.inFlight; k++) sendOne(i);
  // the first messages wait for the link (DNS, TLS, dialback both ways): part of the warm-up
  await new Promise((resolve) => setTimeout(resolve, options.warmupSeconds * 1000));
  measuring = true;
  const measureStart = performance.now();
  const cpuStart = [sending.server.cpuSeconds(), receiving.server.cpuSeconds()];
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - measureStart) / 1000;
  const cpu = [sending.server.cpuSeconds() - cpuStart[0]!, receiving.server.cpuSeconds() - cpuStart[1]!];
  stopped = true;
  for (const client of [...senders, ...receivers]) client.close();
  const sorted = latencies.subarray(0, latencyCount).sort();
  return {
    messagesPerSecond: Math.round(delivered / elapsed),
    perCpuSecond: [Math.round(delivered / cpu[0]!), Math.round(delivered / cpu[1]!)] as [number, number],
    p50Ms: sorted[Math.floor(latencyCount * 0.5)] ?? Number.NaN,
    p99Ms: sorted[Math.floor(latencyCount * 0.99)] ?? Number.NaN,
  };
}

/**
 * One user on each extra domain sends one message to a receiver: every domain pair gets its link
 * (and, for dialback, the receiving side's link back to verify the key). Then the users leave and
 * the links stay idle; RSS growth on each side divided by the links.
 */
async function idleLinks(sending: Side, receiving: Side, domains: string[]): Promise<S2sBenchResult['idleLinkBytes']> {
  if (domains.length === 0) return { opening: 0, accepting: 0, links: 0 };
  await settle();
  const before = [sending.server.rssBytes(), receiving.server.rssBytes()];
  const receiver = new BenchClient(target(receiving), 'tcp');
  await receiver.login('receiver0', BENCH_PASSWORD, 'idle-links');
  receiver.send('<presence/>');
  let arrived = 0;
  const waiting: Array<() => void> = [];
  receiver.onData = (text) => {
    const count = text.split('</message>').length - 1;
    arrived += count;
    for (let k = 0; k < count; k++) waiting.shift()?.();
  };
  // a few links at a time, each waited for (a loaded machine must not time out 100 handshakes at once)
  const clients = await loginAll(domains.length, async (i) => {
    const client = new BenchClient(target(sending, domains[i]!), 'tcp');
    await client.login('idle', BENCH_PASSWORD, 'link');
    const delivered = new Promise<void>((resolve) => {
      waiting.push(resolve);
      setTimeout(resolve, 30_000);
    });
    client.send(`<message to='receiver0@${RECEIVING}' type='chat'><body>link ${i}</body></message>`);
    await delivered;
    return client;
  }, 5);
  for (const client of clients) client.close();
  receiver.close();
  await settle();
  const after = [sending.server.rssBytes(), receiving.server.rssBytes()];
  return {
    opening: Math.round((after[0]! - before[0]!) / domains.length),
    accepting: Math.round((after[1]! - before[1]!) / domains.length),
    links: arrived,
  };
}

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 2000));
}
