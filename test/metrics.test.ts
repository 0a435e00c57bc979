// GET /metrics (Prometheus text format) on a server under load: the counters move with the traffic,
// sessions are counted by transport, sign-ins by outcome, and the endpoint is off, token-protected
// or loopback-only as configured.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, xml, type LoggedInClient } from './helpers/clients.ts';
import { createUsers, passwordOf } from './helpers/im.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { sample } from './helpers/metrics.ts';

const TOKEN = 'metrics-token-0123456789abcdef0123456789';

async function scrape(server: TestServer, token: string | null = TOKEN): Promise<{ status: number; text: string; type: string | null }> {
  const response = await fetch(`http://127.0.0.1:${server.ports.http}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, text: await response.text(), type: response.headers.get('content-type') };
}


describe('Prometheus metrics', () => {
  let server: TestServer;
  const clients: LoggedInClient[] = [];

  beforeAll(async () => {
    // the archive's group commits on the main thread: the writer thread's commits are not in the
    // commit-time histogram yet (archive.writerThread, the default)
    server = await startServer({ config: { metrics: { enabled: true, token: TOKEN }, archive: { writerThread: false } } });
  });
  afterAll(async () => {
    for (const client of clients) await client.stop();
    await server?.stop();
  });

  it('needs the token: none or a wrong one is 401', async () => {
    expect((await scrape(server, null)).status).toBe(401);
    expect((await scrape(server, `${TOKEN}x`)).status).toBe(401);
    const answer = await scrape(server);
    expect(answer.status).toBe(200);
    expect(answer.type).toContain('text/plain');
  });

  it('counts stanzas, sessions by transport, sign-ins by outcome, routing and commit times, under load', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const before = (await scrape(server)).text;
    // a wrong password first: a failure with its condition
    await expect(login(server, aliceJid!, 'not the password')).rejects.toThrow();
    const alice = await login(server, aliceJid!, passwordOf(aliceJid!));
    const bob = await login(server, bobJid!, passwordOf(bobJid!), { transport: 'websocket' });
    clients.push(alice, bob);

    const MESSAGES = 500;
    let arrived = 0;
    const all = new Promise<void>((resolve) => bob.xmpp.on('stanza', (stanza) => {
      if (stanza.is('message') && ++arrived === MESSAGES) resolve();
    }));
    for (let i = 0; i < MESSAGES; i++) void alice.xmpp.send(xml('message', { to: bobJid, type: 'chat', id: `m${i}` }, xml('body', null, `load ${i}`)));
    await all;

    const after = (await scrape(server)).text;
    const moved = (name: string, labels: Record<string, string>) => (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(moved('parley_stanzas_received_total', { kind: 'message' })).toBeGreaterThanOrEqual(MESSAGES);
    expect(moved('parley_stanzas_delivered_total', { kind: 'message' })).toBeGreaterThanOrEqual(MESSAGES);
    expect(moved('parley_stanzas_received_total', { kind: 'presence' })).toBeGreaterThanOrEqual(2);
    expect(sample(after, 'parley_sessions', { transport: 'tcp', state: 'active' })).toBe(1);
    expect(sample(after, 'parley_sessions', { transport: 'websocket', state: 'active' })).toBe(1);
    expect(sample(after, 'parley_streams', { transport: 'websocket' })).toBe(1);
    expect(moved('parley_sign_ins_total', { outcome: 'success' })).toBe(2);
    expect(moved('parley_sign_ins_total', { outcome: 'failure', condition: 'not-authorized' })).toBe(1);
    // one in eight routed stanzas is timed; every one of them lands in the +Inf bucket
    const timed = moved('parley_routing_seconds_count', {});
    expect(timed).toBeGreaterThanOrEqual(Math.floor(MESSAGES / 8) - 1);
    expect(sample(after, 'parley_routing_seconds_bucket', { le: '+Inf' })).toBe(sample(after, 'parley_routing_seconds_count', {}));
    expect(sample(after, 'parley_routing_seconds_sum', {})).toBeGreaterThan(0);
    // the archive is on: its entries went through group commits (a group commit can end after the
    // last delivery: on a busy machine the first scrape may come before it)
    await expect.poll(async () => (sample((await scrape(server)).text, 'parley_storage_commit_seconds_count', {}) ?? 0)
      - (sample(before, 'parley_storage_commit_seconds_count', {}) ?? 0)).toBeGreaterThan(0);
    // Node's own: event-loop lag, memory
    expect(sample(after, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(after, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);

    // the sessions leave the gauge when they end
    await bob.stop();
    await expect.poll(async () => sample((await scrape(server)).text, 'parley_sessions', { transport: 'websocket', state: 'active' }) ?? 0).toBe(0);
  }, 60_000);
});

describe('metrics configuration', () => {
  it('off by default: /metrics is 404', async () => {
    const server = await startServer();
    try {
      expect((await scrape(server)).status).toBe(404);
    } finally {
      await server.stop();
    }
  });

  it('enabled without a token: served to loopback clients without one', async () => {
    const server = await startServer({ config: { metrics: { enabled: true } } });
    try {
      const answer = await scrape(server, null);
      expect(answer.status).toBe(200);
      expect(answer.text).toContain('# TYPE parley_stanzas_received_total counter');
      expect(answer.text).toContain('# TYPE parley_routing_seconds histogram');
    } finally {
      await server.stop();
    }
  });
});

describe('the Grafana dashboard (deploy/grafana/parley-dashboard.json)', () => {
  it('asks only for metrics the server exports', async () => {
    const { readFileSync } = await import('node:fs');
    const dashboard = JSON.parse(readFileSync(new URL('../deploy/grafana/parley-dashboard.json', import.meta.url), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const server = await startServer({ config: { metrics: { enabled: true }, archive: { enabled: false } } });
    try {
      const exported = new Set([...(await scrape(server, null)).text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
        type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!]));
      // the Elasticsearch queue gauge exists only with an Elasticsearch archive
      exported.add('parley_archive_queue_entries');
      for (const panel of dashboard.panels) {
        for (const target of panel.targets) {
          for (const [name] of target.expr.matchAll(/\b(parley|nodejs|process)_[a-z0-9_]+/g)) expect(exported, `${panel.title}: ${name}`).toContain(name);
        }
      }
    } finally {
      await server.stop();
    }
  });
});
