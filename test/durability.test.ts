// Nothing a client was answered for is lost when the server dies (storage/group-commit.ts): Alice
// sends 500 messages to Bob, then a ping on the same stream; the real `parley` process is killed
// with SIGKILL the moment the ping result reaches her. Restarted on the same data folder, it has
// every message in Bob's offline queue (or delivered, when he was online) and in BOTH archives.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDataFolder } from '../server/src/data-folder.ts';
import { addDomain } from '../server/src/cli/accounts.ts';
import { deriveScramCredential } from '../server/src/sasl/credentials.ts';
import type { ConfigInput } from '../server/src/config.ts';
import { startParley, type ParleyProcess } from './helpers/process.ts';
import { connectTcp, connectWebSocket, openBoundSession, type RawPeer } from './helpers/raw-stream.ts';
import { BoshSession } from './helpers/bosh.ts';
import { isMessage, online, passwordOf, sync, stopAll, type LoggedInClient } from './helpers/im.ts';
import { archiveConfig, queryArchive, startElasticsearch, stanzaIdOf, type Backend, type ElasticsearchNode } from './helpers/mam.ts';

const COUNT = 500;
const DOMAIN = 'example.com';
const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const bodies = Array.from({ length: COUNT }, (_, i) => `message ${i}`);

const backends: Backend[] = process.env.PARLEY_TEST_BACKENDS
  ? (process.env.PARLEY_TEST_BACKENDS.split(',') as Backend[])
  : ['sqlite', 'elasticsearch'];

/** Alice's 500 chats to Bob's bare JID, then a ping to the server. */
const burst = [
  ...bodies.map((body, i) => `<message to='${BOB}' type='chat' id='m${i}'><body>${body}</body></message>`),
  `<iq type='get' id='durability-ping' to='${DOMAIN}'><ping xmlns='urn:xmpp:ping'/></iq>`,
];

function isPingResult(text: string): boolean {
  return /<iq(?=[^>]*\btype=["']result["'])(?=[^>]*\bid=["']durability-ping["'])/.test(text);
}

const dataDirs: string[] = [];
const processes: ParleyProcess[] = [];
const clients: LoggedInClient[] = [];
const peers: RawPeer[] = [];

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.destroy();
  await stopAll(...clients.splice(0));
  for (const running of processes.splice(0)) await running.kill();
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A data folder with the domain, Alice and Bob (passwordOf(), few SCRAM iterations: fast logins). */
async function prepareData(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-durability-'));
  dataDirs.push(dir);
  const data = openDataFolder(dir);
  await addDomain(data, DOMAIN);
  for (const jid of [ALICE, BOB]) {
    await data.storage.accounts.create(jid, await Promise.all([
      deriveScramCredential(passwordOf(jid), 'SHA-1', { iterations: 64 }), deriveScramCredential(passwordOf(jid), 'SHA-256', { iterations: 64 }),
    ]));
  }
  await data.close();
  return dir;
}

async function start(dataDir: string, config: Partial<ConfigInput>): Promise<ParleyProcess> {
  const running = await startParley(dataDir, config);
  processes.push(running);
  return running;
}

type Transport = 'tcp' | 'websocket' | 'bosh';

/** Alice logs in over `transport`, sends the burst, and the server is killed when the ping result arrives. */
async function burstThenKill(server: ParleyProcess, transport: Transport): Promise<void> {
  if (transport === 'bosh') {
    const session = await BoshSession.open(server, { wait: 10 });
    await session.login(ALICE, passwordOf(ALICE));
    let reply = await session.send(burst.join(''));
    while (!isPingResult(reply.text)) reply = await session.send();
    await server.kill();
    return;
  }
  const peer = transport === 'tcp' ? await connectTcp(server.ports.c2s) : await connectWebSocket(server.ports.http);
  peers.push(peer);
  await openBoundSession(peer, 'alice', passwordOf(ALICE));
  let seen = '';
  const killed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ping result; received: ${peer.received.slice(-2000)}`)), 30_000);
    const watch = (data: unknown) => {
      seen += String(data);
      if (isPingResult(seen)) void server.kill().then(resolve).finally(() => clearTimeout(timer));
    };
    if (transport === 'tcp') (peer as Awaited<ReturnType<typeof connectTcp>>).socket.on('data', watch);
    else (peer as Awaited<ReturnType<typeof connectWebSocket>>).socket.on('message', watch);
  });
  // one write on TCP; one element per frame on WebSocket (RFC 7395 §3.3.3)
  if (transport === 'tcp') peer.send(burst.join(''));
  else for (const element of burst) peer.send(element);
  await killed;
}

/** Every message, in order, in Alice's archive (sent) and in Bob's (received); returns Bob's archive ids. */
async function expectBothArchives(server: ParleyProcess): Promise<Set<string>> {
  const alice = await online(server, ALICE, { presence: false });
  clients.push(alice);
  const sent = await queryArchive(alice, { with: BOB, max: 1000 });
  expect(sent.bodies).toEqual(bodies);
  expect(sent.fin.complete).toBe(true);
  const bob = await online(server, BOB, { presence: false });
  clients.push(bob);
  const receivedArchive = await queryArchive(bob, { with: ALICE, max: 1000 });
  expect(receivedArchive.bodies).toEqual(bodies);
  return new Set(receivedArchive.results.map((result) => result.id));
}

describe.each(backends)('kill -9 with the %s archive', (backend) => {
  let es: ElasticsearchNode | undefined;
  beforeAll(async () => {
    if (backend === 'elasticsearch') es = await startElasticsearch();
  }, 240_000);
  afterAll(() => es?.dispose(), 60_000);

  const config = (): Partial<ConfigInput> => ({
    domains: [DOMAIN],
    c2s: { allowPlaintextOnLoopback: true },
    // Elasticsearch: a query waits until the queue kept across the crash is indexed
    archive: archiveConfig(backend, es, { maxPageSize: 1000, elasticsearch: { queryWaitMs: 60_000 } as never }),
  });

  it.each<Transport>(['tcp', 'websocket', 'bosh'])('offline recipient over %s: Bob gets all 500 after the restart, both archives hold them', async (transport) => {
    const dataDir = await prepareData();
    await burstThenKill(await start(dataDir, config()), transport);

    const restarted = await start(dataDir, config());
    const bob = await online(restarted, BOB);
    clients.push(bob);
    const offline = await offlineMessages(bob);
    expect(offline.map((message) => message.getChildText('body'))).toEqual(bodies);
    expect(offline.every((message) => message.getChild('delay', 'urn:xmpp:delay') !== undefined)).toBe(true);
    await expectBothArchives(restarted);
  }, 120_000);

  it('online recipient over tcp: what Bob received is in his archive under its stanza-id, and nothing is queued twice', async () => {
    const dataDir = await prepareData();
    const first = await start(dataDir, config());
    const bobPeer = await connectTcp(first.ports.c2s);
    peers.push(bobPeer);
    await openBoundSession(bobPeer, 'bob', passwordOf(BOB));
    bobPeer.send('<presence/>');
    await bobPeer.receive('presence');
    await burstThenKill(first, 'tcp');
    const delivered = [...bobPeer.received.matchAll(/<stanza-id\b[^>]*>/g)].map((tag) => parseStanzaId(tag[0]));

    const restarted = await start(dataDir, config());
    const archiveIds = await expectBothArchives(restarted);
    for (const id of delivered) expect(archiveIds.has(id)).toBe(true);
    // the messages were delivered online: none waits in the offline queue
    const bob = await online(restarted, BOB, { resource: 'again' });
    clients.push(bob);
    await sync(bob);
    expect(bob.received.filter(isMessage()).map((message) => stanzaIdOf(message, BOB))).toEqual([]);
  }, 120_000);
});

describe('kill -9 with the archive off', () => {
  it('offline recipient over tcp: the offline queue alone holds the 500 messages', async () => {
    const dataDir = await prepareData();
    const config: Partial<ConfigInput> = { domains: [DOMAIN], c2s: { allowPlaintextOnLoopback: true }, archive: { enabled: false } };
    await burstThenKill(await start(dataDir, config), 'tcp');

    const restarted = await start(dataDir, config);
    const bob = await online(restarted, BOB);
    clients.push(bob);
    expect((await offlineMessages(bob)).map((message) => message.getChildText('body'))).toEqual(bodies);
  }, 120_000);
});

/** The offline messages delivered after initial presence (all COUNT of them, or what came within 10 s). */
async function offlineMessages(client: LoggedInClient): Promise<LoggedInClient['received']> {
  const deadline = Date.now() + 10_000;
  while (client.received.filter(isMessage()).length < COUNT && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return client.received.filter(isMessage());
}

function parseStanzaId(tag: string): string {
  const id = /\bid=["']([^"']+)["']/.exec(tag)?.[1];
  if (!id || !new RegExp(`\\bby=["']${BOB}["']`).test(tag)) throw new Error(`not a stanza-id of Bob's archive: ${tag}`);
  return id;
}
