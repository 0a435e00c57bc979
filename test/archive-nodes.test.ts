// Two Parley nodes archiving into one archive (here: two servers on one data folder, node.index 0
// and 1) never make the same archive seq or id, however busy both are at the same moment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { chat, createUsers, isMessage, online, stopAll, type LoggedInClient } from './helpers/im.ts';

let first: TestServer;
let second: TestServer;

beforeAll(async () => {
  first = await startServer({ config: { node: { index: 0 } } });
  second = await startServer({ dataDir: first.dataDir, config: { node: { index: 1 } } });
});
afterAll(async () => {
  await second?.stop();
  await first?.stop();
});

const MESSAGES = 300;

async function flood(from: LoggedInClient, to: LoggedInClient, toJid: string): Promise<void> {
  const last = to.next(isMessage(`message ${MESSAGES - 1}`), 15_000);
  for (let i = 0; i < MESSAGES; i++) void from.xmpp.send(chat(toJid, `message ${i}`));
  await last;
}

describe('archive ids on two nodes', () => {
  it('stay unique when both nodes archive at the same time', async () => {
    const [aliceJid, bobJid] = await createUsers(first, ['alice', 'bob']);
    const [carolJid, daveJid] = await createUsers(second, ['carol', 'dave']);
    const [alice, bob] = await Promise.all([online(first, aliceJid!), online(first, bobJid!)]);
    const [carol, dave] = await Promise.all([online(second, carolJid!), online(second, daveJid!)]);

    await Promise.all([flood(alice, bob, bobJid!), flood(carol, dave, daveJid!)]);

    const stores = [first.server.archive!.store, second.server.archive!.store];
    await Promise.all(stores.map((store) => store.flush()));
    const seqs = new Set<number>();
    const ids = new Set<string>();
    for (const owner of [aliceJid!, bobJid!, carolJid!, daveJid!]) {
      const page = await stores[0]!.page({ owner }, { direction: 'forward', limit: 10 * MESSAGES });
      // every entry of both nodes is there: none was lost to a seq another node had taken
      expect(page.total).toBe(MESSAGES);
      for (const entry of page.entries) {
        seqs.add(entry.seq);
        ids.add(entry.id);
      }
    }
    expect(seqs.size).toBe(4 * MESSAGES);
    expect(ids.size).toBe(4 * MESSAGES);
    await stopAll(alice, bob, carol, dave);
  });
});
