// What an admin sees of federation (issue 17) and piggybacking (XEP-0220 §2.4), between two Parley
// servers on their own loopback addresses, found through a real DNS server (unbound):
//   - every link up, down or failed is a log record with its direction, domains, address,
//     authentication method, TLS and reason; /metrics counts links by direction and state, domain
//     pairs, stanzas waiting, links established by method and failures by reason;
//   - A serves two domains: the second one's stanzas to b.example ride the stream a.example opened
//     (one more <db:result/>), and B takes both pairs on that one incoming stream;
//   - with certificates of a test CA, a stanza for another domain of the peer that its certificate
//     covers (chat.e.example, *.e.example) rides the stream to e.example, and the answers come back
//     on it (XEP-0288).
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, xml, type LoggedInClient } from './helpers/clients.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { startDns, type TestDns } from './helpers/unbound.ts';
import { patient, peerZone } from './helpers/federation.ts';
import { sample, scrape } from './helpers/metrics.ts';
import { createTestCa } from './helpers/test-ca.ts';

const A = { domain: 'a.example', second: 'a2.example', address: '127.0.0.10' };
const B = { domain: 'b.example', address: '127.0.0.11' };
const ADMIN_TOKEN = 'link-admin-token-0123456789abcdef0123';
const WARN = 40;
const INFO = 30;

describe('s2s links in the logs and /metrics; piggybacked domain pairs', () => {
  let dns: TestDns;
  let a: TestServer;
  let b: TestServer;
  const clients: LoggedInClient[] = [];

  const user = async (server: TestServer, host: string, jid: string, resource: string) => {
    const client = patient(await login(server, jid, 'pw', { host, resource, timeoutMs: 15_000 }));
    clients.push(client);
    return client;
  };
  const records = (server: TestServer, event: string) => server.logs.filter((record) => record.event === event);

  beforeAll(async () => {
    dns = await startDns({ 'silent.example': 'deny', 'nowhere.example': 'nxdomain' });
    const config = (address: string) => ({
      bind: address, dns: { servers: [dns.server] }, s2s: { port: 0, idleSeconds: 120, connectTimeoutSeconds: 4 },
      metrics: { enabled: true }, admin: { token: ADMIN_TOKEN },
    });
    [a, b] = await Promise.all([
      startServer({ domains: [A.domain, A.second], users: { 'alice@a.example': 'pw', 'anne@a2.example': 'pw' }, captureLogs: true, config: config(A.address) }),
      startServer({ domains: [B.domain], users: { 'bob@b.example': 'pw' }, captureLogs: true, config: config(B.address) }),
    ]);
    for (const domain of [A.domain, A.second]) await dns.setZone(domain, peerZone(domain, A.address, a.ports.c2s, a.ports.s2s!));
    await dns.setZone(B.domain, peerZone(B.domain, B.address, b.ports.c2s, b.ports.s2s!));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await dns?.stop();
  }, 30_000);

  it('logs the link going up on both sides (direction, domains, address, method, TLS) and counts it', async () => {
    const alice = await user(a, A.address, 'alice@a.example', 'desk');
    const bob = await user(b, B.address, 'bob@b.example', 'desk');
    const arrived = bob.next((s) => s.getChildText('body') === 'hello over s2s');
    await alice.xmpp.send(xml('message', { to: 'bob@b.example/desk', type: 'chat' }, xml('body', {}, 'hello over s2s')));
    await arrived;

    // (B's own link back to A, for its dialback question, is up too: only A's outgoing one here)
    expect(records(a, 's2s-link-up').filter((record) => record.direction === 'outgoing')).toEqual([expect.objectContaining({
      level: INFO, direction: 'outgoing', local: A.domain, remote: B.domain, address: `${B.address}:${b.ports.s2s}`, method: 'dialback', tls: true, directTls: false,
    })]);
    await eventually(() => expect(records(b, 's2s-link-up')).toContainEqual(expect.objectContaining({
      level: INFO, direction: 'incoming', local: B.domain, remote: A.domain, address: A.address, method: 'dialback', tls: true,
    })));
    const ours = await scrape(a);
    expect(sample(ours, 'parley_s2s_links', { direction: 'outgoing', state: 'ready' })).toBe(1);
    expect(sample(ours, 'parley_s2s_links_established_total', { direction: 'outgoing', method: 'dialback' })).toBe(1);
    const theirs = await scrape(b);
    expect(sample(theirs, 'parley_s2s_links', { direction: 'incoming', state: 'ready' })).toBe(1);
    expect(sample(theirs, 'parley_s2s_domain_pairs', { direction: 'incoming' })).toBe(1);
    expect(sample(theirs, 'parley_s2s_links_established_total', { direction: 'incoming', method: 'dialback' })).toBe(1);
    // the admin console's live figures read the same gauges
    const figures = async (server: TestServer, address: string) => {
      const response = await fetch(`http://${address}:${server.ports.http}/admin/api/figures`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return ((await response.json()) as { s2s: { ready: { outgoing: number; incoming: number }; domainPairs: number } }).s2s;
    };
    expect((await figures(a, A.address)).ready.outgoing).toBe(1);
    // (B's pairs: A's on the incoming stream, and its own to A on the link its dialback question opened)
    expect(await figures(b, B.address)).toMatchObject({ ready: { incoming: 1 }, domainPairs: 2 });
  }, 30_000);

  it('puts a second served domain on the same stream (XEP-0220 §2.4): one more <db:result/>, no new connection', async () => {
    const anne = await user(a, A.address, 'anne@a2.example', 'desk');
    const bob = clients.find((client) => client.jid.startsWith('bob@'))!;
    const arrived = bob.next((s) => s.getChildText('body') === 'from the second domain');
    await anne.xmpp.send(xml('message', { to: 'bob@b.example/desk', type: 'chat' }, xml('body', {}, 'from the second domain')));
    expect((await arrived).attrs.from).toBe('anne@a2.example/desk');

    const outgoing = a.server.federation!.status.outgoing.filter((link) => link.remote === B.domain);
    expect(outgoing).toEqual(expect.arrayContaining([
      expect.objectContaining({ local: A.domain, ready: true, piggybacked: false }),
      expect.objectContaining({ local: A.second, ready: true, piggybacked: true, authenticatedBy: 'dialback' }),
    ]));
    expect(outgoing).toHaveLength(2);
    // B: both pairs proven on the one stream A opened
    const fromA = b.server.federation!.status.incoming.filter((stream) => stream.remote.includes(A.domain));
    expect(fromA).toEqual([expect.objectContaining({ remote: [A.domain, A.second] })]);
    const ours = await scrape(a);
    expect(sample(ours, 'parley_s2s_links', { direction: 'outgoing', state: 'ready' })).toBe(1);
    expect(sample(ours, 'parley_s2s_domain_pairs', { direction: 'outgoing' })).toBe(2);
    expect(records(a, 's2s-link-up')).toContainEqual(expect.objectContaining({ direction: 'outgoing', local: A.second, remote: B.domain, method: 'dialback' }));
    // and the answer comes back to the second domain
    const back = anne.next((s) => s.getChildText('body') === 'hello second domain');
    await bob.xmpp.send(xml('message', { to: 'anne@a2.example/desk', type: 'chat' }, xml('body', {}, 'hello second domain')));
    expect((await back).attrs.from).toBe('bob@b.example/desk');
  }, 30_000);

  it('counts stanzas waiting for a link, and logs and counts each failure by reason', async () => {
    const alice = clients.find((client) => client.jid.startsWith('alice@'))!;
    const before = await scrape(a);
    const failures = (text: string, reason: string) => sample(text, 'parley_s2s_link_failures_total', { direction: 'outgoing', reason }) ?? 0;
    // a domain whose DNS never answers: the stanza waits (connecting), then the link fails
    const timedOut = alice.next((s) => s.attrs.type === 'error' && s.attrs.from === 'x@silent.example', 20_000);
    await alice.xmpp.send(xml('message', { to: 'x@silent.example', type: 'chat' }, xml('body', {}, 'waiting')));
    await eventually(async () => {
      const text = await scrape(a);
      expect(sample(text, 'parley_s2s_queued_stanzas')).toBe(1);
      expect(sample(text, 'parley_s2s_links', { direction: 'outgoing', state: 'connecting' })).toBe(1);
    });
    await timedOut;
    // a domain without records fails at once
    const notFound = alice.next((s) => s.attrs.type === 'error' && s.attrs.from === 'x@nowhere.example');
    await alice.xmpp.send(xml('message', { to: 'x@nowhere.example', type: 'chat' }, xml('body', {}, 'nobody')));
    await notFound;

    const after = await scrape(a);
    expect(sample(after, 'parley_s2s_queued_stanzas')).toBe(0);
    expect(failures(after, 'timeout') + failures(after, 'dns') - failures(before, 'timeout') - failures(before, 'dns')).toBe(2);
    const failed = records(a, 's2s-link-failed');
    expect(failed).toContainEqual(expect.objectContaining({ level: WARN, direction: 'outgoing', local: A.domain, remote: 'nowhere.example', reason: 'dns' }));
    expect(failed).toContainEqual(expect.objectContaining({ level: WARN, direction: 'outgoing', remote: 'silent.example', text: expect.any(String) }));
  }, 40_000);

  it('logs and counts an incoming stream that ends before it proves anything (here: no STARTTLS first)', async () => {
    const before = sample(await scrape(b), 'parley_s2s_link_failures_total', { direction: 'incoming', reason: 'policy-violation' }) ?? 0;
    const socket = net.connect({ host: B.address, port: b.ports.s2s! });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' to='${B.domain}' from='rogue.example' version='1.0'>`);
    socket.write(`<message from='x@rogue.example' to='bob@b.example'><body>let me in</body></message>`);
    // read what it answers (a socket that is not read never sees the end)
    let answer = '';
    socket.setEncoding('utf8').on('data', (text: string) => { answer += text; });
    await new Promise((resolve) => socket.once('close', resolve));
    expect(answer).toContain('<policy-violation');
    await eventually(async () => expect(sample(await scrape(b), 'parley_s2s_link_failures_total', { direction: 'incoming', reason: 'policy-violation' })).toBe(before + 1));
    expect(records(b, 's2s-link-failed')).toContainEqual(expect.objectContaining({
      level: WARN, direction: 'incoming', remote: 'rogue.example', local: B.domain, reason: 'policy-violation', tls: false, method: null,
    }));
  }, 20_000);

  it('logs the links going down, with the reason, when the policy turns federation with the peer off', async () => {
    await setFederation(a, A.domain, { deny: [B.domain] });
    await eventually(() => expect(a.server.federation!.status.outgoing.filter((link) => link.local === A.domain && link.remote === B.domain)).toEqual([]));
    expect(records(a, 's2s-link-down')).toContainEqual(expect.objectContaining({
      direction: 'outgoing', local: A.domain, remote: B.domain, reason: 'federation with this domain was turned off',
    }));
    // the pair riding that stream went down with it
    expect(records(a, 's2s-link-down')).toContainEqual(expect.objectContaining({ direction: 'outgoing', local: A.second, remote: B.domain }));
    // the peer read our stream error: its incoming pairs went down, logged as a warning with the condition
    await eventually(() => expect(records(b, 's2s-link-down')).toContainEqual(expect.objectContaining({
      level: WARN, direction: 'incoming', remote: A.domain, reason: expect.stringContaining('policy-violation'),
    })));
    await eventually(async () => expect(sample(await scrape(a), 'parley_s2s_links', { direction: 'outgoing', state: 'ready' })).toBe(0));
    await setFederation(a, A.domain, { deny: [] });
  }, 30_000);
});

describe('piggybacking towards another domain of the peer that its certificate covers', () => {
  let dns: TestDns;
  let dir: string;
  let d: TestServer;
  let e: TestServer;
  const D = { domain: 'd.example', address: '127.0.0.15' };
  const E = { domain: 'e.example', second: 'chat.e.example', address: '127.0.0.16' };
  const clients: LoggedInClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-piggyback-'));
    const ca = await createTestCa(join(dir, 'ca'));
    dns = await startDns({});
    const start = (domains: string[], address: string, users: Record<string, string>) => startServer({
      domains, users, captureLogs: true,
      // the CA's certificate for the first domain (names it and *.<it>), as an admin would drop it
      prepare: async (dataDir) => void (await ca.issue(domains[0]!, join(dataDir, 'certs'))),
      config: { bind: address, dns: { servers: [dns.server] }, s2s: { port: 0, trustedCaFile: ca.certFile } },
    });
    [d, e] = await Promise.all([
      start([D.domain], D.address, { 'dora@d.example': 'pw' }),
      start([E.domain, E.second], E.address, { 'eve@e.example': 'pw', 'carl@chat.e.example': 'pw' }),
    ]);
    await dns.setZone(D.domain, peerZone(D.domain, D.address, d.ports.c2s, d.ports.s2s!));
    for (const domain of [E.domain, E.second]) await dns.setZone(domain, peerZone(domain, E.address, e.ports.c2s, e.ports.s2s!));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await Promise.allSettled([d?.stop(), e?.stop()]);
    await dns?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('reaches chat.e.example on the stream to e.example (one <db:result/>, proven by the certificate), and hears back on it', async () => {
    const login_ = async (server: TestServer, host: string, jid: string) => {
      const client = patient(await login(server, jid, 'pw', { host, resource: 'r', timeoutMs: 15_000 }));
      clients.push(client);
      return client;
    };
    const [dora, eve, carl] = await Promise.all([
      login_(d, D.address, 'dora@d.example'), login_(e, E.address, 'eve@e.example'), login_(e, E.address, 'carl@chat.e.example'),
    ]);
    const first = eve.next((s) => s.getChildText('body') === 'to the first domain');
    await dora.xmpp.send(xml('message', { to: 'eve@e.example/r', type: 'chat' }, xml('body', {}, 'to the first domain')));
    await first;
    const second = carl.next((s) => s.getChildText('body') === 'to the second domain');
    await dora.xmpp.send(xml('message', { to: 'carl@chat.e.example/r', type: 'chat' }, xml('body', {}, 'to the second domain')));
    expect((await second).attrs.from).toBe('dora@d.example/r');
    expect(d.server.federation!.status.outgoing).toEqual(expect.arrayContaining([
      expect.objectContaining({ remote: E.domain, authenticatedBy: 'sasl-external', piggybacked: false }),
      expect.objectContaining({ remote: E.second, ready: true, piggybacked: true }),
    ]));
    expect(d.server.federation!.status.outgoing).toHaveLength(2);
    expect(e.server.federation!.status.incoming).toEqual([expect.objectContaining({ remote: [D.domain] })]);
    // carl answers: E takes our stream for it (XEP-0288), so no link from E at all
    const back = dora.next((s) => s.getChildText('body') === 'from the second domain');
    await carl.xmpp.send(xml('message', { to: 'dora@d.example/r', type: 'chat' }, xml('body', {}, 'from the second domain')));
    expect((await back).attrs.from).toBe('carl@chat.e.example/r');
    expect(e.server.federation!.status.outgoing).toEqual([]);
    expect(e.logs).toContainEqual(expect.objectContaining({ event: 's2s-link-up', direction: 'incoming', local: E.second, remote: D.domain }));
  }, 30_000);
});

/** The admin API's federation settings of a domain (PATCH /admin/api/domains/:domain/federation). */
async function setFederation(server: TestServer, domain: string, settings: Record<string, unknown>): Promise<void> {
  const response = await fetch(`http://${server.server.config.bind}:${server.ports.http}/admin/api/domains/${domain}/federation`, {
    method: 'PATCH', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(settings),
  });
  expect(response.status).toBe(200);
}

async function eventually(check: () => void | Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
