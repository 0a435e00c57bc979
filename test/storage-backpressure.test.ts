// When the archive's writes fall behind (limits.storageWaitingWrites wait behind a commit still
// running on the writer thread), a client stream that adds more stops reading until its write is
// committed (storage/group-commit.ts `congested`, stream/c2s-stream.ts): nothing is lost or
// reordered, and each stop is counted in /metrics. Here the bound is 1, so that a client sending in
// bursts meets a running commit again and again.
//
// A WebSocket's reading cannot be paused (uWebSockets.js), so what a held stream receives waits
// parsed; past limits.waitingInputBytes the stream ends with policy-violation. There a lock on the
// archive's database, taken by the test, keeps the writer thread's commit running for as long as the
// test needs. A component (XEP-0114) whose messages add writes meanwhile stops being read the same
// way (stream/input-hold.ts; s2s-backpressure.test.ts has a federated peer).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, xml, type LoggedInClient, type Transport } from './helpers/clients.ts';
import { connectTcp, connectWebSocket, NS, openBoundSession, type TcpPeer, type WebSocketPeer } from './helpers/raw-stream.ts';
import { createUsers, passwordOf } from './helpers/im.ts';
import { queryArchive } from './helpers/mam.ts';
import { sample, scrape } from './helpers/metrics.ts';
import { startServer, type TestServer } from './helpers/server.ts';

const BURSTS = 60;
const PER_BURST = 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('back-pressure from the storage (limits.storageWaitingWrites: 1, the archive on its writer thread)', () => {
  let server: TestServer;
  const clients: LoggedInClient[] = [];

  beforeAll(async () => {
    server = await startServer({ config: { limits: { storageWaitingWrites: 1 }, metrics: { enabled: true }, archive: { writerThread: true } } });
  });
  afterAll(async () => {
    for (const client of clients) await client.stop();
    await server?.stop();
  });

  it.each(['starttls', 'websocket'] as Transport[])('a sender over %s whose stream stops reading: every message arrives once, in order, and is archived', async (transport) => {
    const [aliceJid, bobJid] = await createUsers(server, [`alice-${transport}`, `bob-${transport}`]);
    const alice = await login(server, aliceJid!, passwordOf(aliceJid!), { transport });
    const bob = await login(server, bobJid!, passwordOf(bobJid!));
    clients.push(alice, bob);
    const heldBefore = sample(await scrape(server), 'parley_storage_input_held_total') ?? 0;

    const total = BURSTS * PER_BURST;
    const received: string[] = [];
    const all = new Promise<void>((resolve) => bob.xmpp.on('stanza', (stanza) => {
      if (!stanza.is('message')) return;
      received.push(stanza.getChildText('body') ?? '');
      if (received.length === total) resolve();
    }));
    for (let burst = 0; burst < BURSTS; burst++) {
      for (let i = 0; i < PER_BURST; i++) {
        const n = burst * PER_BURST + i;
        void alice.xmpp.send(xml('message', { to: bobJid, type: 'chat', id: `m${n}` }, xml('body', null, `message ${n}`)));
      }
      await sleep(2); // the next burst comes while the last one's commit may still run
    }
    await all;
    expect(received).toEqual(Array.from({ length: total }, (_, n) => `message ${n}`));

    // an answer to alice comes after every message she sent is committed (group-commit.ts)
    const archived = await queryArchive(alice, { with: bobJid, max: 1 });
    expect(archived.fin.count).toBe(total);
    const held = (sample(await scrape(server), 'parley_storage_input_held_total') ?? 0) - heldBefore;
    expect(held).toBeGreaterThan(0);
  });
});

describe('input read while a WebSocket stream is held (limits.waitingInputBytes: 65536)', () => {
  let server: TestServer;
  const clients: LoggedInClient[] = [];
  const peers: WebSocketPeer[] = [];

  beforeAll(async () => {
    server = await startServer({
      config: {
        c2s: { allowPlaintextOnLoopback: true }, metrics: { enabled: true }, archive: { writerThread: true },
        limits: { storageWaitingWrites: 1, waitingInputBytes: 65_536 },
      },
    });
  });
  afterAll(async () => {
    for (const peer of peers) peer.destroy();
    for (const client of clients) await client.stop();
    await server?.stop();
  });

  /** Alice on a raw WebSocket, Bob online to receive; the archive's writer is stuck behind a lock the test holds. */
  async function heldSender(name: string) {
    const [aliceJid, bobJid] = await createUsers(server, [`alice-${name}`, `bob-${name}`]);
    const bob = await login(server, bobJid!, passwordOf(bobJid!));
    clients.push(bob);
    const received: string[] = [];
    bob.xmpp.on('stanza', (stanza) => {
      if (stanza.is('message')) received.push(stanza.getChildText('body') ?? '');
    });
    const peer = await connectWebSocket(server.ports.http);
    peers.push(peer);
    await openBoundSession(peer, aliceJid!.split('@')[0]!, passwordOf(aliceJid!));
    const message = (id: string, body: string) =>
      `<message xmlns='jabber:client' to='${bobJid}' type='chat' id='${id}'><body>${body}</body></message>`;

    // the writer thread's commit waits for this lock (busy_timeout: 5 s) and stays running
    const lock = new Database(join(server.dataDir, 'parley.db'));
    lock.exec('BEGIN IMMEDIATE');
    const release = () => {
      if (lock.inTransaction) lock.exec('ROLLBACK');
      lock.close();
    };
    try {
      const heldBefore = sample(await scrape(server), 'parley_storage_input_held_total') ?? 0;
      peer.send(message('first', 'first'));
      await sleep(200); // its commit is running
      peer.send(message('second', 'second')); // waits behind it
      // one write waits (the archiver marks a stanza's write just before it adds it): this stream stops reading
      peer.send(message('third', 'third'));
      await sleep(100);
      expect((sample(await scrape(server), 'parley_storage_input_held_total') ?? 0) - heldBefore).toBe(1);
      expect(received).toEqual(['first', 'second', 'third']);
    } catch (error) {
      release();
      throw error;
    }
    return { peer, received, message, release };
  }

  it('keeps what a held stream reads below the bound, in order, and goes on when the commit is done', async () => {
    const { peer, received, message, release } = await heldSender('below');
    try {
      for (let i = 0; i < 3; i++) peer.send(message(`big${i}`, `${i}:${'x'.repeat(15_000)}`));
      await sleep(200);
      expect(received).toEqual(['first', 'second', 'third']);
    } finally {
      release();
    }
    await until(() => received.length === 6);
    expect(received.map((body) => body.slice(0, 6))).toEqual(['first', 'second', 'third', `0:${'x'.repeat(4)}`, `1:${'x'.repeat(4)}`, `2:${'x'.repeat(4)}`]);
    expect(peer.received).not.toContain('policy-violation');
  });

  it('ends the stream with policy-violation once more than the bound waits, and keeps what it took before', async () => {
    const { peer, received, message, release } = await heldSender('past');
    try {
      for (let i = 0; i < 6; i++) peer.send(message(`big${i}`, `${i}:${'x'.repeat(15_000)}`));
      // the session ends at once, what waited with it; the stream error follows the output held for the commit
      await until(() => ![...server.server.sessions.all()].some((session) => session.jid.local === 'alice-past'));
      expect(received).toEqual(['first', 'second', 'third']);
    } finally {
      release();
    }
    await peer.waitFor(/<policy-violation xmlns=['"]urn:ietf:params:xml:ns:xmpp-streams['"]\/>/);
    await peer.closed;
    await sleep(300);
    expect(received).toEqual(['first', 'second', 'third']);
  });
});

describe('a component whose messages add writes while the storage is behind (stream/input-hold.ts)', () => {
  const COMPONENT = 'raw.example.com';
  const SECRET = 'a component secret of some length';
  let server: TestServer;
  let bob: LoggedInClient | undefined;
  let component: TcpPeer | undefined;

  beforeAll(async () => {
    server = await startServer({
      config: {
        metrics: { enabled: true }, archive: { writerThread: true }, limits: { storageWaitingWrites: 1 },
        components: { port: 0, services: { [COMPONENT]: { secret: SECRET } } },
      },
    });
  });
  afterAll(async () => {
    component?.destroy();
    await bob?.stop();
    await server?.stop();
  });

  it('stops reading the component until the commit is done; every message arrives once, in order', async () => {
    const [bobJid] = await createUsers(server, ['bob-component']);
    bob = await login(server, bobJid!, passwordOf(bobJid!));
    const received: string[] = [];
    bob.xmpp.on('stanza', (stanza) => {
      if (stanza.is('message')) received.push(stanza.getChildText('body') ?? '');
    });
    const peer = component = await connectTcp(server.ports.component!);
    peer.send(`<stream:stream xmlns='${NS.component}' xmlns:stream='${NS.stream}' to='${COMPONENT}'>`);
    const header = await peer.next();
    if (header.kind !== 'header') throw new Error(`expected the stream header, got ${header.kind}`);
    peer.send(`<handshake>${createHash('sha1').update(header.attrs.id! + SECRET).digest('hex')}</handshake>`);
    await peer.receive('handshake');
    const send = async (body: string) => {
      peer.send(`<message from='bot@${COMPONENT}' to='${bobJid}' type='chat' id='${body}'><body>${body}</body></message>`);
      await sleep(body === 'first' ? 300 : 150);
    };

    const heldBefore = sample(await scrape(server), 'parley_storage_input_held_total') ?? 0;
    const lock = new Database(join(server.dataDir, 'parley.db'));
    lock.exec('BEGIN IMMEDIATE');
    try {
      await send('first'); // its commit is running, stuck behind the lock
      await send('second'); // waits behind it
      await send('third'); // one write waits: the stream stops reading after this one
      await send('fourth'); // not read while held
      expect((sample(await scrape(server), 'parley_storage_input_held_total') ?? 0) - heldBefore).toBe(1);
      expect(received).toEqual(['first', 'second', 'third']);
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
    }
    await until(() => received.length === 4);
    expect(received).toEqual(['first', 'second', 'third', 'fourth']);
  });
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}
