// Piggybacking (XEP-0220 §2.4) against a real peer, Debian's Prosody 0.12 (dialback, self-signed
// certificates): Parley serves two domains, and the second one's stanzas to prosody.example ride the
// stream the first one opened (one more <db:result/> on it, which Prosody accepts), both ways with
// the answers; the link states are in Parley's log with the piggybacked pair.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, xml, type LoggedInClient, type ServerPorts } from './helpers/clients.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { PARLEY_ADDRESS, PEERS, patient, peerZone, startFederation, type Federation } from './helpers/federation.ts';

const FIRST = 'parley.example';
const SECOND = 'second.example';
const PROSODY = PEERS.prosody.domain;

describe('piggybacking with Prosody', () => {
  let net: Federation;
  let parley: TestServer;
  const clients: LoggedInClient[] = [];

  beforeAll(async () => {
    net = await startFederation({ peers: ['prosody'], auth: 'dialback' });
    parley = await startServer({
      domains: [FIRST, SECOND], users: { [`alice@${FIRST}`]: 'pw', [`amy@${SECOND}`]: 'pw' }, captureLogs: true,
      config: { bind: PARLEY_ADDRESS, dns: { servers: [net.dns.server] }, s2s: { port: 0 } },
    });
    for (const domain of [FIRST, SECOND]) await net.publish(domain, peerZone(domain, PARLEY_ADDRESS, parley.ports.c2s, parley.ports.s2s!));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await parley?.stop();
    await net?.stop();
  }, 60_000);

  const remember = (client: LoggedInClient) => {
    clients.push(client);
    return client;
  };
  const parleyUser = async (jid: string) => remember(patient(await login(parley, jid, 'pw', { host: PARLEY_ADDRESS, resource: 'parley', timeoutMs: 15_000 })));
  const prosodyUser = async (name: string) => {
    const account = await net.account('prosody', name, 'peer-pw');
    const ports = { ports: { c2s: account.port } } as unknown as ServerPorts;
    return remember(patient(await login(ports, account.jid, 'peer-pw', { host: account.host, resource: 'prosody', timeoutMs: 15_000 })));
  };
  const logs = () => net.peer('prosody').log().slice(-4000);

  it('sends the second domain\'s messages on the first domain\'s stream, and gets the answers', async () => {
    const [alice, amy, carol] = await Promise.all([parleyUser(`alice@${FIRST}`), parleyUser(`amy@${SECOND}`), prosodyUser('carol')]);
    const first = carol.next((s) => s.is('message') && s.getChildText('body') === 'from the first domain', 30_000);
    await alice.xmpp.send(xml('message', { to: `carol@${PROSODY}`, type: 'chat' }, xml('body', {}, 'from the first domain')));
    await first.catch((error) => { throw new Error(`${error}\n${logs()}`); });

    const second = carol.next((s) => s.is('message') && s.getChildText('body') === 'from the second domain', 30_000);
    await amy.xmpp.send(xml('message', { to: `carol@${PROSODY}`, type: 'chat' }, xml('body', {}, 'from the second domain')));
    expect((await second.catch((error) => { throw new Error(`${error}\n${logs()}`); })).attrs.from).toBe(`amy@${SECOND}/parley`);

    const outgoing = parley.server.federation!.status.outgoing.filter((link) => link.remote === PROSODY);
    expect(outgoing).toHaveLength(2);
    expect(outgoing).toEqual(expect.arrayContaining([
      expect.objectContaining({ local: FIRST, ready: true, piggybacked: false, authenticatedBy: 'dialback' }),
      expect.objectContaining({ local: SECOND, ready: true, piggybacked: true, authenticatedBy: 'dialback' }),
    ]));
    const up = parley.logs.filter((record) => record.event === 's2s-link-up' && record.direction === 'outgoing' && record.remote === PROSODY);
    expect(up.map((record) => record.local).sort()).toEqual([FIRST, SECOND]);
    // both the same connection: the same peer address and port
    expect(new Set(up.map((record) => record.address)).size).toBe(1);

    // answers from Prosody to both domains (Prosody opens its own streams to each: it verifies on them)
    const backToAmy = amy.next((s) => s.is('message') && s.getChildText('body') === 'hi amy', 30_000);
    const backToAlice = alice.next((s) => s.is('message') && s.getChildText('body') === 'hi alice', 30_000);
    await carol.xmpp.send(xml('message', { to: `amy@${SECOND}/parley`, type: 'chat' }, xml('body', {}, 'hi amy')));
    await carol.xmpp.send(xml('message', { to: `alice@${FIRST}/parley`, type: 'chat' }, xml('body', {}, 'hi alice')));
    expect((await backToAmy).attrs.from).toBe(`carol@${PROSODY}/prosody`);
    expect((await backToAlice).attrs.from).toBe(`carol@${PROSODY}/prosody`);
    // more stanzas of the second domain keep riding the stream
    const third = carol.next((s) => s.is('message') && s.getChildText('body') === 'still riding', 30_000);
    await amy.xmpp.send(xml('message', { to: `carol@${PROSODY}`, type: 'chat' }, xml('body', {}, 'still riding')));
    await third;
    expect(parley.server.federation!.status.outgoing.filter((link) => link.remote === PROSODY)).toHaveLength(2);
  }, 90_000);
});
