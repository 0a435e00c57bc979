// Back-pressure from the storage on a server-to-server stream (stream/input-hold.ts): when a
// federated peer's messages add archive writes while the commits are congested
// (limits.storageWaitingWrites), its incoming stream stops reading until the write is committed, so
// a peer that floods local users goes at the storage's pace. Two Parley servers found through a
// real DNS server (unbound); on b.example the bound is 1, and a lock on its database, taken by the
// test, keeps the archive writer's commit running for as long as the test needs.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, xml, type LoggedInClient } from './helpers/clients.ts';
import { patient, peerZone } from './helpers/federation.ts';
import { sample, scrape } from './helpers/metrics.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { startDns, type TestDns } from './helpers/unbound.ts';

const A = { domain: 'a.example', address: '127.0.0.10' };
const B = { domain: 'b.example', address: '127.0.0.11' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('s2s: a peer whose messages add writes while the storage is behind stops being read', () => {
  let dns: TestDns;
  let a: TestServer;
  let b: TestServer;
  const clients: LoggedInClient[] = [];

  beforeAll(async () => {
    dns = await startDns({});
    [a, b] = await Promise.all([
      startServer({ domains: [A.domain], users: { 'alice@a.example': 'pw' },
        config: { bind: A.address, dns: { servers: [dns.server] }, s2s: { port: 0 } } }),
      startServer({ domains: [B.domain], users: { 'bob@b.example': 'pw' },
        config: { bind: B.address, dns: { servers: [dns.server] }, s2s: { port: 0 }, metrics: { enabled: true },
          archive: { writerThread: true }, limits: { storageWaitingWrites: 1 } } }),
    ]);
    await dns.setZone(A.domain, peerZone(A.domain, A.address, a.ports.c2s, a.ports.s2s!));
    await dns.setZone(B.domain, peerZone(B.domain, B.address, b.ports.c2s, b.ports.s2s!));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await dns?.stop();
  }, 30_000);

  it('holds the incoming stream until the commit is done; every message arrives once, in order', async () => {
    const alice = patient(await login(a, 'alice@a.example', 'pw', { host: A.address, timeoutMs: 15_000 }));
    const bob = patient(await login(b, 'bob@b.example', 'pw', { host: B.address, timeoutMs: 15_000 }));
    clients.push(alice, bob);
    const received: string[] = [];
    bob.xmpp.on('stanza', (stanza) => {
      if (stanza.is('message') && stanza.attrs.from?.startsWith('alice@a.example')) received.push(stanza.getChildText('body') ?? '');
    });
    const send = (body: string) => alice.xmpp.send(xml('message', { to: 'bob@b.example', type: 'chat', id: body }, xml('body', {}, body)));
    const waitFor = async (count: number) => {
      const deadline = Date.now() + 15_000;
      while (received.length < count && Date.now() < deadline) await sleep(20);
    };
    const commits = async () => sample(await scrape(b), 'parley_storage_commit_seconds_count') ?? 0;
    // the link is up, and hello's archive entry committed, before the storage is stopped: a lock
    // taken while hello's commit (WRITE_DELAY_MS after it) is still to run would hold that commit,
    // and 'first' would be the write that waits
    const commitsBefore = await commits();
    await send('hello');
    await waitFor(1);
    expect(received).toEqual(['hello']);
    await expect.poll(commits, { timeout: 10_000 }).toBeGreaterThan(commitsBefore);

    const heldBefore = sample(await scrape(b), 'parley_storage_input_held_total') ?? 0;
    const lock = new Database(join(b.dataDir, 'parley.db'));
    lock.exec('BEGIN IMMEDIATE');
    try {
      await send('first');
      await waitFor(2);
      await sleep(300); // b's commit of it starts WRITE_DELAY_MS later and stays running, stuck behind the lock
      await send('second'); // waits behind it
      await waitFor(3);
      await send('third'); // one write waits: the stream stops reading after this one
      await waitFor(4);
      await send('fourth'); // not read while held
      await sleep(500);
      expect((sample(await scrape(b), 'parley_storage_input_held_total') ?? 0) - heldBefore).toBe(1);
      expect(received).toEqual(['hello', 'first', 'second', 'third']);
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
    }
    await waitFor(5);
    expect(received).toEqual(['hello', 'first', 'second', 'third', 'fourth']);
  }, 60_000);
});
