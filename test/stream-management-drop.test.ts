// XEP-0198: the client's connection is killed while messages flow; every message reaches the client
// exactly once — after resumption, and after the resumption time ran out (offline storage).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { createUsers, passwordOf } from './helpers/im.ts';
import { connectTcp, openBoundSession, type TcpPeer } from './helpers/raw-stream.ts';
import { ack, bodies, chatXml, handle, resumeOn, smLogin, type SmClient } from './helpers/sm.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({
    config: {
      c2s: { allowPlaintextOnLoopback: true },
      modules: { 'stream-management': { resumptionTimeoutSeconds: 1, requestAckEvery: 3, requestAckDelayMs: 20 } },
    },
  });
});
afterAll(() => server.stop());

const COUNT = 300;
const local = (jid: string) => jid.split('@')[0]!;

/** Bob sends COUNT numbered messages to Alice's bare JID, a few at a time, while the test goes on. */
async function flow(bobJid: string, to: string): Promise<{ done: Promise<void> }> {
  const { peer } = await openBoundSession(await connectTcp(server.ports.c2s), local(bobJid), passwordOf(bobJid));
  const done = (async () => {
    for (let i = 1; i <= COUNT; i++) {
      peer.send(chatXml(to, String(i), `m${i}`));
      if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    peer.send("<iq type='get' id='end'><ping xmlns='urn:xmpp:ping'/></iq>");
    for (;;) if ((await peer.receive('iq', undefined, 20_000)).attrs.id === 'end') break;
  })();
  return { done };
}

function expectEachOnce(received: string[]): void {
  const expected = Array.from({ length: COUNT }, (_, i) => String(i + 1));
  expect(received.length).toBe(COUNT);
  expect([...received].sort((a, b) => Number(a) - Number(b))).toEqual(expected);
}

async function untilGone(jid: string): Promise<void> {
  while (server.server.sessionTable.get(jid)) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('a connection killed mid-stream (XEP-0198)', () => {
  it('delivers every message exactly once after resumption', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await smLogin(await connectTcp(server.ports.c2s), local(aliceJid!), passwordOf(aliceJid!));
    const { done } = await flow(bobJid!, aliceJid!);
    const before = bodies(await handle(alice, (got) => bodies(got).length >= 60, { timeoutMs: 20_000 }));
    // killed without a closing tag, whatever was in flight either way
    alice.peer.destroy();
    const peer = await connectTcp(server.ports.c2s);
    const resumed = await resumeOn(peer, local(aliceJid!), passwordOf(aliceJid!), alice.enabled!.attrs.id!, alice.handled);
    expect(resumed.name).toBe('resumed');
    const again: SmClient = { ...alice, peer, stanzas: [] };
    await done;
    const after = bodies(await handle(again, (got) => before.length + bodies(got).length >= COUNT, { timeoutMs: 20_000 }));
    expectEachOnce([...before, ...after]);
    peer.destroy();
  });

  it('delivers every message exactly once after the resumption time ran out (offline storage)', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await smLogin(await connectTcp(server.ports.c2s), local(aliceJid!), passwordOf(aliceJid!), { resource: 'phone' });
    const { done } = await flow(bobJid!, aliceJid!);
    const before = bodies(await handle(alice, (got) => bodies(got).length >= 60, { timeoutMs: 20_000 }));
    // the client acknowledges what it handled and its connection goes (no closing tag); the server never hears from it again
    alice.peer.send(ack(alice.handled));
    (alice.peer as TcpPeer).socket.end();
    await done;
    await untilGone(alice.jid);
    const fresh = await smLogin(await connectTcp(server.ports.c2s), local(aliceJid!), passwordOf(aliceJid!), { resource: 'laptop' });
    const after = bodies(await handle(fresh, (got) => before.length + bodies(got).length >= COUNT, { timeoutMs: 20_000 }));
    // and nothing more comes (a ping answered after the last one)
    fresh.peer.send("<iq type='get' id='last'><ping xmlns='urn:xmpp:ping'/></iq>");
    const tail = await handle(fresh, (got) => got.some((stanza) => stanza.attrs.id === 'last'));
    expectEachOnce([...before, ...after, ...bodies(tail)]);
    fresh.peer.destroy();
  });
});
