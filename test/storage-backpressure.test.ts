// When the archive's writes fall behind (limits.storageWaitingWrites wait behind a commit still
// running on the writer thread), a client stream that adds more stops reading until its write is
// committed (storage/group-commit.ts `congested`, stream/c2s-stream.ts): nothing is lost or
// reordered, and each stop is counted in /metrics. Here the bound is 1, so that a client sending in
// bursts meets a running commit again and again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, xml, type LoggedInClient, type Transport } from './helpers/clients.ts';
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
