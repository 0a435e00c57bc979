// Federation between two Parley servers (RFC 6120 s2s, XEP-0220 dialback on self-signed
// certificates): each on its own loopback address and domain, found through SRV records served by
// a real DNS server (unbound). Federated IM works like local IM: messages to bare and full JIDs,
// presence subscriptions both ways, probes, iq across servers, offline storage and the archive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, xml, type LoggedInClient } from './helpers/clients.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { startDns, type TestDns } from './helpers/unbound.ts';
import { patient, peerZone } from './helpers/federation.ts';
import { converse, queryArchive } from './helpers/mam.ts';
import { createTestCa } from './helpers/test-ca.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Element } from '@xmpp/xml';

const A = { domain: 'a.example', address: '127.0.0.10' };
const B = { domain: 'b.example', address: '127.0.0.11' };
const ADMIN_TOKEN = 'federation-admin-token-0123456789abcdef';

describe('s2s: Parley ⇄ Parley', () => {
  let dns: TestDns;
  let a: TestServer;
  let b: TestServer;
  const clients: LoggedInClient[] = [];

  const parley = async (side: typeof A, users: Record<string, string>) => startServer({
    domains: [side.domain], users,
    config: { bind: side.address, dns: { servers: [dns.server] }, s2s: { port: 0, idleSeconds: 60 }, admin: { token: ADMIN_TOKEN } },
  });
  const user = async (server: TestServer, side: typeof A, jid: string, resource?: string, presence = true) => {
    const client = patient(await login(server, jid, 'pw', { host: side.address, resource, presence, timeoutMs: 15_000 }));
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    dns = await startDns({});
    [a, b] = await Promise.all([
      parley(A, { 'alice@a.example': 'pw', 'anna@a.example': 'pw' }),
      parley(B, { 'bob@b.example': 'pw', 'bea@b.example': 'pw' }),
    ]);
    await dns.setZone(A.domain, peerZone(A.domain, A.address, a.ports.c2s, a.ports.s2s!));
    await dns.setZone(B.domain, peerZone(B.domain, B.address, b.ports.c2s, b.ports.s2s!));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await dns?.stop();
  }, 30_000);

  it('delivers a message to a bare JID on the other server, and the answer to a full JID', async () => {
    const alice = await user(a, A, 'alice@a.example', 'desk');
    const bob = await user(b, B, 'bob@b.example', 'phone');
    const arrived = bob.next((s) => s.is('message') && s.getChildText('body') === 'hello bob');
    await alice.xmpp.send(xml('message', { to: 'bob@b.example', type: 'chat', id: 'm1' }, xml('body', {}, 'hello bob')));
    const message = await arrived;
    expect(message.attrs.from).toBe('alice@a.example/desk');
    const back = alice.next((s) => s.is('message') && s.getChildText('body') === 'hello alice');
    await bob.xmpp.send(xml('message', { to: 'alice@a.example/desk', type: 'chat' }, xml('body', {}, 'hello alice')));
    expect((await back).attrs.from).toBe('bob@b.example/phone');
    expect(a.server.federation!.status.outgoing).toEqual([expect.objectContaining({ local: A.domain, remote: B.domain, ready: true, authenticatedBy: 'dialback' })]);
  }, 30_000);

  it('keeps one link per domain pair, reused by every user', async () => {
    const anna = await user(a, A, 'anna@a.example');
    const bob = await user(b, B, 'bob@b.example', 'tablet');
    for (const body of ['one', 'two', 'three']) {
      const arrived = bob.next((s) => s.getChildText('body') === body);
      await anna.xmpp.send(xml('message', { to: 'bob@b.example/tablet', type: 'chat' }, xml('body', {}, body)));
      await arrived;
    }
    expect(a.server.federation!.status.outgoing.filter((link) => link.remote === B.domain)).toHaveLength(1);
    expect(b.server.federation!.status.incoming.filter((stream) => stream.remote.includes(A.domain))).toHaveLength(1);
  }, 30_000);

  it('subscriptions both ways: roster pushes name the remote contact, rosters reach both, presence and probes flow', async () => {
    const alice = await user(a, A, 'alice@a.example', 'subs');
    const bea = await user(b, B, 'bea@b.example', 'subs');
    // interested resources (RFC 6121 §2.1.6) get roster pushes
    await Promise.all([subscription(alice, 'bea@b.example'), subscription(bea, 'alice@a.example')]);
    const pushed = alice.next((s) => s.is('iq') && s.attrs.type === 'set' && item(s)?.attrs.jid === 'bea@b.example' && item(s)?.attrs.ask === 'subscribe');
    const asked = bea.next((s) => s.is('presence') && s.attrs.type === 'subscribe' && s.attrs.from === 'alice@a.example');
    await alice.xmpp.send(xml('presence', { to: 'bea@b.example', type: 'subscribe' }));
    await step('asked', Promise.all([pushed, asked]), alice);
    const toAlice = alice.next((s) => s.is('iq') && item(s)?.attrs.jid === 'bea@b.example' && item(s)?.attrs.subscription === 'to');
    const beaOnline = alice.next((s) => s.is('presence') && s.attrs.from === 'bea@b.example/subs' && s.attrs.type === undefined);
    await bea.xmpp.send(xml('presence', { to: 'alice@a.example', type: 'subscribed' }));
    await step('approved', Promise.all([toAlice, beaOnline]), alice);
    const askedBack = alice.next((s) => s.is('presence') && s.attrs.type === 'subscribe' && s.attrs.from === 'bea@b.example');
    await bea.xmpp.send(xml('presence', { to: 'alice@a.example', type: 'subscribe' }));
    await step('asked back', askedBack, alice);
    const both = alice.next((s) => s.is('iq') && item(s)?.attrs.jid === 'bea@b.example' && item(s)?.attrs.subscription === 'both');
    const aliceOnline = bea.next((s) => s.is('presence') && s.attrs.from === 'alice@a.example/subs' && s.attrs.type === undefined);
    await alice.xmpp.send(xml('presence', { to: 'bea@b.example', type: 'subscribed' }));
    await step('both', Promise.all([both, aliceOnline]), alice);
    expect(await subscription(bea, 'alice@a.example')).toBe('both');
    // a new session of bea probes alice's server (RFC 6121 §4.3) and gets her presence; going offline reaches her
    const again = await user(b, B, 'bea@b.example', 'second', false);
    const probed = again.next((s) => s.is('presence') && s.attrs.from === 'alice@a.example/subs');
    await again.xmpp.send(xml('presence'));
    await probed;
    const gone = alice.next((s) => s.is('presence') && s.attrs.from === 'bea@b.example/second' && s.attrs.type === 'unavailable');
    await again.stop();
    await gone;
  }, 60_000);

  it('iq across servers: ping to a user and to the server; an error for a missing resource comes back', async () => {
    const alice = await user(a, A, 'alice@a.example', 'iq');
    await user(b, B, 'bob@b.example', 'iq');
    expect((await iq(alice, 'bob@b.example/iq', xml('ping', { xmlns: 'urn:xmpp:ping' }))).attrs.type).toBe('result');
    expect((await iq(alice, 'b.example', xml('ping', { xmlns: 'urn:xmpp:ping' }))).attrs.type).toBe('result');
    await expect(iq(alice, 'bob@b.example/nobody', xml('ping', { xmlns: 'urn:xmpp:ping' }))).rejects.toThrow(/service-unavailable/);
  }, 30_000);

  it('stores a remote sender\'s message offline and delivers it at the next login', async () => {
    const alice = await user(a, A, 'alice@a.example', 'offline');
    await alice.xmpp.send(xml('message', { to: 'bea@b.example', type: 'chat' }, xml('body', {}, 'while you were away')));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await Promise.all(clients.filter((client) => client.jid.startsWith('bea@')).map((client) => client.stop()));
    await alice.xmpp.send(xml('message', { to: 'bea@b.example', type: 'chat' }, xml('body', {}, 'stored for later')));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const bea = await user(b, B, 'bea@b.example', 'back', false);
    const stored = bea.next((s) => s.is('message') && s.getChildText('body') === 'stored for later');
    await bea.xmpp.send(xml('presence'));
    const message = await stored;
    expect(message.attrs.from).toBe('alice@a.example/offline');
    expect(message.getChild('delay', 'urn:xmpp:delay')?.attrs.from).toBe('b.example');
  }, 30_000);

  it('archives a federated conversation on both sides, found by full-text search', async () => {
    const ada = await user(a, A, 'anna@a.example', 'mam');
    const bob = await user(b, B, 'bob@b.example', 'mam');
    await converse(ada, bob, ['federated pineapple', 'second note']);
    const theirs = await queryArchive(bob, { with: 'anna@a.example', fulltext: 'pineapple' });
    expect(theirs.bodies).toEqual(['federated pineapple']);
    const ours = await queryArchive(ada, { with: 'bob@b.example', fulltext: 'pineapple' });
    expect(ours.bodies).toEqual(['federated pineapple']);
    expect(ours.results[0]!.message.attrs.to).toBe('bob@b.example');
  }, 30_000);

  it('bounces to a domain without DNS records (remote-server-not-found) and to one whose DNS never answers (remote-server-timeout), within 30 s', async () => {
    await dns.setZone('nowhere.example', 'nxdomain');
    await dns.setZone('silent.example', 'deny');
    const alice = await user(a, A, 'alice@a.example', 'bounce');
    const notFound = alice.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.from === 'x@nowhere.example', 30_000);
    const timedOut = alice.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.from === 'x@silent.example', 30_000);
    const started = Date.now();
    await alice.xmpp.send(xml('message', { to: 'x@nowhere.example', id: 'n1' }, xml('body', {}, 'original one')));
    await alice.xmpp.send(xml('message', { to: 'x@silent.example', id: 't1' }, xml('body', {}, 'original two')));
    const [missing, slow] = await Promise.all([notFound, timedOut]);
    expect(errorCondition(missing)).toBe('remote-server-not-found');
    expect(missing.getChildText('body')).toBe('original one');
    expect(errorCondition(slow)).toBe('remote-server-timeout');
    expect(slow.getChildText('body')).toBe('original two');
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 40_000);

  it('follows the domain\'s federation settings live: deny list, allow list, off, on again', async () => {
    const alice = await user(a, A, 'alice@a.example', 'policy');
    const bob = await user(b, B, 'bob@b.example', 'policy');
    const delivered = async (from: LoggedInClient, to: LoggedInClient, body: string) => {
      const arrived = to.next((s) => s.getChildText('body') === body, 15_000);
      await from.xmpp.send(xml('message', { to: to.jid, type: 'chat' }, xml('body', {}, body)));
      await arrived;
    };
    const refused = async (from: LoggedInClient, to: string, body: string) => {
      const bounce = from.next((s) => s.is('message') && s.attrs.type === 'error' && s.getChildText('body') === body, 15_000);
      await from.xmpp.send(xml('message', { to, type: 'chat' }, xml('body', {}, body)));
      return errorCondition(await bounce);
    };
    await delivered(alice, bob, 'before any policy');
    expect(await setFederation(a, A.domain, { deny: ['b.example'] })).toMatchObject({ enabled: true, deny: ['b.example'], allow: [] });
    // the open links with b.example closed; a new one is refused both ways
    await eventually(() => expect(a.server.federation!.status.outgoing.filter((link) => link.remote === B.domain)).toEqual([]));
    expect(await refused(alice, bob.jid, 'denied out')).toBe('remote-server-not-found');
    expect(await refused(bob, alice.jid, 'denied in')).toBe('remote-server-not-found');
    expect(bob.received.some((s) => s.getChildText('body') === 'denied out')).toBe(false);
    await setFederation(a, A.domain, { deny: [], allow: ['c.example'] });
    expect(await refused(alice, bob.jid, 'not on the allow list')).toBe('remote-server-not-found');
    await setFederation(a, A.domain, { allow: ['example'] }); // b.example is a subdomain of example
    await delivered(alice, bob, 'allowed by parent');
    await setFederation(a, A.domain, { enabled: false, allow: [] });
    expect(await refused(alice, bob.jid, 'federation off')).toBe('remote-server-not-found');
    await setFederation(a, A.domain, { enabled: true });
    await delivered(alice, bob, 'on again');
    await delivered(bob, alice, 'and back');
  }, 90_000);
});

describe('s2s: link lifecycle', () => {
  let dns: TestDns;
  let b: TestServer;
  let c: TestServer;
  const C = { domain: 'c.example', address: '127.0.0.12' };
  const clients: LoggedInClient[] = [];

  beforeAll(async () => {
    dns = await startDns({ 'silent.example': 'deny' });
    [b, c] = await Promise.all([
      startServer({ domains: [B.domain], users: { 'bob@b.example': 'pw' }, config: { bind: B.address, dns: { servers: [dns.server] }, s2s: { port: 0 } } }),
      startServer({
        domains: [C.domain], users: { 'cleo@c.example': 'pw' },
        config: { bind: C.address, dns: { servers: [dns.server] }, s2s: { port: 0, idleSeconds: 1, maxQueuedStanzas: 10 } },
      }),
    ]);
    await dns.setZone(B.domain, peerZone(B.domain, B.address, b.ports.c2s, b.ports.s2s!));
    await dns.setZone(C.domain, peerZone(C.domain, C.address, c.ports.c2s, c.ports.s2s!));
    clients.push(patient(await login(b, 'bob@b.example', 'pw', { host: B.address, resource: 'r', timeoutMs: 15_000 })), patient(await login(c, 'cleo@c.example', 'pw', { host: C.address, resource: 'r', timeoutMs: 15_000 })));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await Promise.allSettled([b?.stop(), c?.stop()]);
    await dns?.stop();
  }, 30_000);

  it('closes an idle link (s2s.idleSeconds) and opens a new one when needed', async () => {
    const [bob, cleo] = clients as [LoggedInClient, LoggedInClient];
    const first = bob.next((s) => s.getChildText('body') === 'first');
    await cleo.xmpp.send(xml('message', { to: 'bob@b.example/r', type: 'chat' }, xml('body', {}, 'first')));
    await first;
    expect(c.server.federation!.status.outgoing).toHaveLength(1);
    await eventually(() => expect(c.server.federation!.status.outgoing).toEqual([]), 10_000);
    // the peer saw the stream end too
    await eventually(() => expect(b.server.federation!.status.incoming.filter((stream) => stream.remote.includes(C.domain))).toEqual([]), 10_000);
    const second = bob.next((s) => s.getChildText('body') === 'second');
    await cleo.xmpp.send(xml('message', { to: 'bob@b.example/r', type: 'chat' }, xml('body', {}, 'second')));
    await second;
  }, 30_000);

  it('queues at most s2s.maxQueuedStanzas while a link is set up; the rest bounce at once with resource-constraint', async () => {
    const cleo = clients[1]!;
    const errors: Element[] = [];
    cleo.xmpp.on('stanza', (stanza: Element) => {
      if (stanza.is('message') && stanza.attrs.type === 'error' && stanza.attrs.from === 'x@silent.example') errors.push(stanza);
    });
    for (let i = 0; i < 15; i++) await cleo.xmpp.send(xml('message', { to: 'x@silent.example', id: `q${i}` }, xml('body', {}, `queued ${i}`)));
    await eventually(() => expect(errors.length).toBe(5), 5000);
    expect(errors.map(errorCondition)).toEqual(Array(5).fill('resource-constraint'));
    expect(errors.map((stanza) => stanza.attrs.id)).toEqual(['q10', 'q11', 'q12', 'q13', 'q14']);
    // the ten queued ones bounce when the peer cannot be reached (the DNS never answers)
    await eventually(() => expect(errors.length).toBe(15), 25_000);
    expect(errors.slice(5).map(errorCondition)).toEqual(Array(10).fill('remote-server-timeout'));
  }, 40_000);
});

describe('s2s: bidirectional streams (XEP-0288) between servers with valid certificates', () => {
  let dns: TestDns;
  let dir: string;
  let d: TestServer;
  let e: TestServer;
  const D = { domain: 'd.example', address: '127.0.0.13' };
  const E = { domain: 'e.example', address: '127.0.0.14' };
  const clients: LoggedInClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-bidi-'));
    const ca = await createTestCa(join(dir, 'ca'));
    dns = await startDns({});
    const start = (side: typeof D, user: string) => startServer({
      domains: [side.domain], users: { [`${user}@${side.domain}`]: 'pw' },
      prepare: async (dataDir) => void (await ca.issue(side.domain, join(dataDir, 'certs'))),
      config: { bind: side.address, dns: { servers: [dns.server] }, s2s: { port: 0, trustedCaFile: ca.certFile } },
    });
    [d, e] = await Promise.all([start(D, 'dora'), start(E, 'eve')]);
    await dns.setZone(D.domain, peerZone(D.domain, D.address, d.ports.c2s, d.ports.s2s!));
    await dns.setZone(E.domain, peerZone(E.domain, E.address, e.ports.c2s, e.ports.s2s!));
    clients.push(patient(await login(d, 'dora@d.example', 'pw', { host: D.address, resource: 'r', timeoutMs: 15_000 })), patient(await login(e, 'eve@e.example', 'pw', { host: E.address, resource: 'r', timeoutMs: 15_000 })));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await Promise.allSettled([d?.stop(), e?.stop()]);
    await dns?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('answers over the stream the peer opened: one TCP connection carries both directions', async () => {
    const [dora, eve] = clients as [LoggedInClient, LoggedInClient];
    const there = eve.next((s) => s.getChildText('body') === 'one stream');
    await dora.xmpp.send(xml('message', { to: 'eve@e.example/r', type: 'chat' }, xml('body', {}, 'one stream')));
    await there;
    const back = dora.next((s) => s.getChildText('body') === 'both ways');
    await eve.xmpp.send(xml('message', { to: 'dora@d.example/r', type: 'chat' }, xml('body', {}, 'both ways')));
    expect((await back).attrs.from).toBe('eve@e.example/r');
    expect(d.server.federation!.status.outgoing).toEqual([expect.objectContaining({ remote: E.domain, authenticatedBy: 'sasl-external', bidirectional: true })]);
    expect(e.server.federation!.status.outgoing).toEqual([]);
    expect(e.server.federation!.status.incoming).toEqual([expect.objectContaining({ remote: [D.domain], bidirectional: true })]);
    expect(d.server.federation!.status.incoming).toEqual([]);
  }, 30_000);
});

/** The admin API's federation settings of a domain (PATCH /admin/api/domains/:domain/federation). */
async function setFederation(server: TestServer, domain: string, settings: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await fetch(`http://${server.server.config.bind}:${server.ports.http}/admin/api/domains/${domain}/federation`, {
    method: 'PATCH', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(settings),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { federation: Record<string, unknown> }).federation;
}

function item(stanza: Element): Element | undefined {
  return stanza.getChild('query', 'jabber:iq:roster')?.getChild('item');
}

function errorCondition(stanza: Element): string | undefined {
  return stanza.getChild('error')?.getChildElements().find((child) => child.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas')?.name;
}

function iq(client: LoggedInClient, to: string | undefined, payload: Element, type: 'get' | 'set' = 'get'): Promise<Element> {
  return client.xmpp.iqCaller.request(xml('iq', { type, to }, payload), 20_000);
}

async function subscription(client: LoggedInClient, contact: string): Promise<string | undefined> {
  const roster = await iq(client, undefined, xml('query', { xmlns: 'jabber:iq:roster' }));
  return roster.getChild('query')?.getChildren('item').find((entry) => entry.attrs.jid === contact)?.attrs.subscription;
}

async function step<T>(label: string, promise: Promise<T>, client: LoggedInClient): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw new Error(`${label}: ${error}\n${client.received.map((s) => s.toString()).join('\n')}`);
  }
}

async function eventually(check: () => void, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

