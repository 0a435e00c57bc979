// Federation between two Parley servers (RFC 6120 s2s, XEP-0220 dialback on self-signed
// certificates): each on its own loopback address and domain, found through SRV records served by
// a real DNS server (unbound). Federated IM works like local IM: messages to bare and full JIDs,
// presence subscriptions both ways, probes, iq across servers, offline storage and the archive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, xml, type LoggedInClient } from './helpers/clients.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { startDns, type TestDns } from './helpers/unbound.ts';
import { peerZone } from './helpers/federation.ts';

const A = { domain: 'a.example', address: '127.0.0.10' };
const B = { domain: 'b.example', address: '127.0.0.11' };

describe('s2s: Parley ⇄ Parley', () => {
  let dns: TestDns;
  let a: TestServer;
  let b: TestServer;
  const clients: LoggedInClient[] = [];

  const parley = async (side: typeof A, users: Record<string, string>) => startServer({
    domains: [side.domain], users, config: { bind: side.address, dns: { servers: [dns.server] }, s2s: { port: 0, idleSeconds: 60 } },
  });
  const user = async (server: TestServer, side: typeof A, jid: string, resource?: string, presence = true) => {
    const client = await login(server, jid, 'pw', { host: side.address, resource, presence });
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
});
