// Where the archive keeps its data: with the Elasticsearch backend, preferences and the queue in
// front of the cluster live in the state storage and the archive opens no SQLite connection of its
// own (the cluster need not even be reachable); the embedded backend opens one for its batched writes
// (beside the state storage's own, unless the state is on PostgreSQL).
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { freePortBelowEphemeral } from './helpers/ports.ts';
import { chat, createUsers, iq, isMessage, online, stopAll } from './helpers/im.ts';
import { mamPreferences } from '../shared/src/mam.ts';
import { DB_FILENAME } from '../server/src/storage/sqlite/database.ts';

/** Open file descriptors of this process on the data folder's database file (one per SQLite connection). */
function connectionsTo(dataDir: string): number {
  const file = join(dataDir, DB_FILENAME);
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === file) count++;
    } catch {
      // closed meanwhile
    }
  }
  return count;
}

/** The state storage's own connection to the file: none when the state is on PostgreSQL (PARLEY_TEST_STORAGE=postgres). */
function stateConnections(server: TestServer): number {
  return server.storage.backend === 'sqlite' ? 1 : 0;
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('archive storage', () => {
  it.runIf(process.platform === 'linux')('Elasticsearch: no SQLite connection of its own; entries and preferences go to the state storage', async () => {
    const unreachable = `http://127.0.0.1:${await freePortBelowEphemeral()}`;
    server = await startServer({
      config: { archive: { backend: 'elasticsearch', elasticsearch: { nodes: [unreachable], requestTimeoutMs: 500, maxRetryDelayMs: 200 } } },
    });
    expect(connectionsTo(server.dataDir)).toBe(stateConnections(server));

    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const [alice, bob] = await Promise.all([online(server, aliceJid!), online(server, bobJid!)]);
    const arrived = bob.next(isMessage('kept for the cluster'));
    await alice.xmpp.send(chat(bobJid!, 'kept for the cluster'));
    await arrived;
    const queue = server.server.storage.archiveIndexQueue;
    // one document for the message, holding both archives' entries (queued as its bulk lines: action, document)
    await expect.poll(() => queue.size(), { timeout: 5000 }).toBe(1);
    expect((await queue.peek(10, 1_000_000)).map((queued) => (JSON.parse(queued.document.split('\n')[1]!) as { archives: string[] }).archives))
      .toEqual([[aliceJid, bobJid]]);
    await iq(alice, 'set', mamPreferences({ default: 'roster', always: [bobJid!], never: [] }));
    expect(await server.server.storage.archivePreferences.get(aliceJid!)).toEqual({ default: 'roster', always: [bobJid], never: [] });
    expect(connectionsTo(server.dataDir)).toBe(stateConnections(server));
    await stopAll(alice, bob);
  });

  it.runIf(process.platform === 'linux')('SQLite: one connection for the state, one for the archive', async () => {
    server = await startServer();
    expect(connectionsTo(server.dataDir)).toBe(stateConnections(server) + 1);
  });
});
