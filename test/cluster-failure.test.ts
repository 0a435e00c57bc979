// kill -9 of one node of three under load (issue 15): its sessions leave every node's session table
// within a bounded time, its users' contacts see them go unavailable, no message a node
// acknowledged (XEP-0198 <a h/>) is lost — offline storage takes over what the killed node's
// clients never acknowledged — and the other nodes keep serving. Node 0 runs in this process (its
// session table is read directly); nodes 1 and 2 are `parley start` processes on the same store
// and nats-server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDataStores, testStorageSettings } from './helpers/test-storage.ts';
import { addDomain } from '../server/src/cli/accounts.ts';
import { deriveScramCredential } from '../server/src/sasl/credentials.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { startParley, type ParleyProcess } from './helpers/process.ts';
import { FAST_MEMBERSHIP, clusterConfig, startNatsServer, tablesShow, type NatsServer } from './helpers/cluster.ts';
import { connectTcp } from './helpers/raw-stream.ts';
import type { Element } from 'ltx';
import { NS_SM, ack, handle, smLogin, type SmClient } from './helpers/sm.ts';
import { chat, isMessage, isPresenceFrom, online, passwordOf, received, stopAll } from './helpers/im.ts';

const PAIRS = 3;
const DOMAIN = 'example.com';
const receiverJids = Array.from({ length: PAIRS }, (_, i) => `receiver${i}@${DOMAIN}`);
const senderJids = Array.from({ length: PAIRS }, (_, i) => `sender${i}@${DOMAIN}`);
const WATCHER = `watcher@${DOMAIN}`;

let dataDir: string;
let nats: NatsServer;
let node0: TestServer;
let node1: ParleyProcess;
let node2: ParleyProcess;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'parley-cluster-'));
  // the data folder's SQLite file, or its PostgreSQL database with PARLEY_TEST_STORAGE=postgres (every node shares it)
  const storage = await testStorageSettings(dataDir);
  const data = await openTestDataStores(dataDir);
  await addDomain(data, DOMAIN);
  for (const jid of [...receiverJids, ...senderJids, WATCHER, `other0@${DOMAIN}`, `other1@${DOMAIN}`]) {
    const password = passwordOf(jid);
    await data.storage.accounts.create(jid, await Promise.all([
      deriveScramCredential(password, 'SHA-1', { iterations: 64 }), deriveScramCredential(password, 'SHA-256', { iterations: 64 }),
    ]));
  }
  // the watcher and each receiver are subscribed to each other (RFC 6121 §3)
  for (const receiver of receiverJids) {
    await data.storage.roster.put(WATCHER, { jid: receiver, name: null, subscription: 'both', ask: false, approved: false, groups: [] });
    await data.storage.roster.put(receiver, { jid: WATCHER, name: null, subscription: 'both', ask: false, approved: false, groups: [] });
  }
  await data.close();
  nats = await startNatsServer();
  const processConfig = (index: number) => ({
    ...clusterConfig(nats, index), storage, domains: [DOMAIN], c2s: { allowPlaintextOnLoopback: true }, log: { level: 'info' as const },
  });
  node0 = await startServer({ dataDir, domains: [DOMAIN], config: { ...clusterConfig(nats, 0), c2s: { allowPlaintextOnLoopback: true } } });
  node1 = await startParley(dataDir, processConfig(1));
  node2 = await startParley(dataDir, processConfig(2));
}, 90_000);

afterAll(async () => {
  await node2?.kill();
  await node1?.stop();
  await node0?.stop();
  await nats?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A sender that sends numbered messages and asks for an ack after each burst (XEP-0198 §4). */
class Sender {
  sent = 0;
  acknowledged = 0;
  private running = true;
  private done: Promise<void> | null = null;

  constructor(readonly client: SmClient, readonly to: string, readonly name: string) {}

  start(): void {
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      for (let i = 0; i < 10; i++) {
        this.client.peer.send(`<message type='chat' to='${this.to}' id='${this.name}-${this.sent}'><body>${this.name}-${this.sent}</body></message>`);
        this.sent++;
      }
      this.client.peer.send(`<r xmlns='${NS_SM}'/>`);
      this.acknowledged = Number((await this.nextAck()).attrs.h);
    }
  }

  /** The server's <a/>; its own <r/> answered, stanzas counted (none are expected). */
  private async nextAck(): Promise<Element> {
    for (;;) {
      const item = await this.client.peer.next(15_000);
      if (item.kind !== 'element') throw new Error(`${this.name}: unexpected ${item.kind}`);
      const element = item.element;
      if (element.attrs.xmlns !== NS_SM) this.client.handled++;
      else if (element.name === 'a') return element;
      else if (element.name === 'r') this.client.peer.send(ack(this.client.handled));
    }
  }
}

describe('kill -9 of one node of three', () => {
  it('loses no acknowledged message, and its sessions leave the table within the heartbeat bound', async () => {
    const watcher = await online(node0, WATCHER);
    const receivers: SmClient[] = [];
    for (const jid of receiverJids) receivers.push(await smLogin(await connectTcp(node2.ports.c2s), jid.split('@')[0]!, passwordOf(jid), { resource: 'phone' }));
    for (const jid of receiverJids) await received(watcher, isPresenceFrom(`${jid}/phone`), 10_000);
    await tablesShow([node0], receiverJids[0]!, 1, { available: true });

    const senders: Sender[] = [];
    for (const [i, jid] of senderJids.entries()) {
      const client = await smLogin(await connectTcp(node0.ports.c2s), jid.split('@')[0]!, passwordOf(jid), { presence: false });
      senders.push(new Sender(client, receiverJids[i]!, `s${i}`));
    }
    // the receivers read (and acknowledge) what arrives until the kill
    const got = receivers.map(() => new Set<string>());
    const reading = receivers.map((receiver, i) => handle(receiver, (stanzas) => {
      for (const stanza of stanzas.splice(0)) if (stanza.name === 'message') got[i]!.add(stanza.getChildText('body') ?? '');
      return false;
    }, { timeoutMs: 60_000 }).catch(() => {}));
    for (const sender of senders) sender.start();
    // under load: every receiver has had messages
    await until(() => got.every((bodies) => bodies.size >= 30), 30_000, 'messages before the kill');

    const killedAt = Date.now();
    await node2.kill();
    // the lost sessions leave the table of node 0 (and node 1: its own test below) within the bound
    for (const jid of receiverJids) await tablesShow([node0], jid, 0, { timeoutMs: 10_000 });
    const left = Date.now() - killedAt;
    // their contact sees each go unavailable
    for (const jid of receiverJids) await received(watcher, isPresenceFrom(`${jid}/phone`, 'unavailable'), 10_000);
    const unavailableAfter = Date.now() - killedAt;
    console.log(`cluster kill -9: sessions left node 0's table after ${left} ms, unavailable seen after ${unavailableAfter} ms (deadAfterMs ${FAST_MEMBERSHIP.deadAfterMs})`);
    expect(left).toBeLessThan(FAST_MEMBERSHIP.deadAfterMs + FAST_MEMBERSHIP.heartbeatMs * 2 + 3000);

    // the senders go on a little while their contacts are offline, then stop with a last ack
    const sentBefore = senders.map((sender) => sender.sent);
    await until(() => senders.every((sender, i) => sender.acknowledged > sentBefore[i]! + 20), 20_000, 'acks after the kill');
    for (const sender of senders) await sender.stop();
    await Promise.all(reading);

    // the receivers sign in on node 1: offline storage has what they had not acknowledged
    for (const [i, jid] of receiverJids.entries()) {
      const again = await online({ ports: node1.ports }, jid, { resource: 'laptop' });
      const expected = senders[i]!.acknowledged;
      const missing = () => {
        const have = new Set([...got[i]!, ...again.received.filter(isMessage()).map((m) => m.getChildText('body') ?? '')]);
        const lost: string[] = [];
        for (let n = 0; n < expected; n++) if (!have.has(`s${i}-${n}`)) lost.push(`s${i}-${n}`);
        return lost;
      };
      await until(() => missing().length === 0, 15_000, `${jid}: acknowledged messages ${missing().slice(0, 5).join(', ')}… of ${expected}`).catch(() => {});
      expect(missing(), `${jid}: acknowledged by node 0 (h=${expected}) and never delivered`).toEqual([]);
      await again.stop();
    }
    for (const sender of senders) sender.client.peer.destroy();
    await watcher.stop();
  }, 120_000);

  it('keeps serving on the nodes that are left: users on node 0 and node 1 chat', async () => {
    const a = await online(node0, `other0@${DOMAIN}`);
    const b = await online({ ports: node1.ports }, `other1@${DOMAIN}`);
    await tablesShow([node0], `other1@${DOMAIN}`, 1, { available: true });
    const arrived = received(b, isMessage('still here'));
    await a.xmpp.send(chat(`other1@${DOMAIN}`, 'still here'));
    await arrived;
    await stopAll(a, b);
  });
});

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
