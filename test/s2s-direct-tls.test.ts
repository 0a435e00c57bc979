// XEP-0368 for s2s: `_xmpps-server._tcp` targets come first and are reached with TLS at once (ALPN
// xmpp-server); Parley's own direct TLS listener (s2s.tlsPort) takes a peer that connects that way.
// The peer is Prosody 0.12 with its direct TLS ports on, found through the test DNS server.
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, xml, type LoggedInClient, type ServerPorts } from './helpers/clients.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { startDns, type TestDns } from './helpers/unbound.ts';
import { startProsody, type XmppPeer } from './helpers/prosody.ts';
import { PARLEY_ADDRESS, PEERS, peerZone } from './helpers/federation.ts';
import { selfSignedCertificate } from './helpers/test-ca.ts';

const DOMAIN = 'parley.example';
const PROSODY = PEERS.prosody;

describe('s2s direct TLS (XEP-0368) with Prosody', () => {
  let dns: TestDns;
  let prosody: XmppPeer;
  let parley: TestServer;
  let dir: string;
  const clients: LoggedInClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-direct-tls-'));
    dns = await startDns({});
    prosody = await startProsody({
      domain: PROSODY.domain, address: PROSODY.address, dns, directTls: true,
      certificate: await selfSignedCertificate(PROSODY.domain, join(dir, 'prosody')),
    });
    // the direct TLS record first (priority 0), STARTTLS as the fallback (priority 10)
    const directFirst = (domain: string, address: string, tlsPort: number, zone: string[]) => [
      ...zone.map((line) => line.replace(/(_xmpp-server\._tcp\.\S+ 60 IN SRV) 0 /, '$1 10 ')),
      `_xmpps-server._tcp.${domain}. 60 IN SRV 0 5 ${tlsPort} ${address}.`,
    ];
    await dns.setZone(PROSODY.domain, directFirst(PROSODY.domain, PROSODY.address, prosody.s2sTlsPort!, prosody.zone()));
    parley = await startServer({
      domains: [DOMAIN], users: { 'alice@parley.example': 'pw' },
      config: { bind: PARLEY_ADDRESS, dns: { servers: [dns.server] }, s2s: { port: 0, tlsPort: 0 } },
    });
    await dns.setZone(DOMAIN, directFirst(DOMAIN, PARLEY_ADDRESS, parley.ports.s2sTls!, peerZone(DOMAIN, PARLEY_ADDRESS, parley.ports.c2s, parley.ports.s2s!)));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await parley?.stop();
    await prosody?.stop();
    await dns?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('reaches Prosody on its _xmpps-server target and is reached on ours; messages go both ways', async () => {
    await prosody.register('carol', 'peer-pw');
    const alice = await login(parley, 'alice@parley.example', 'pw', { host: PARLEY_ADDRESS, resource: 'here', timeoutMs: 15_000 });
    const carol = await login({ ports: { c2s: prosody.c2sPort } } as unknown as ServerPorts, 'carol@prosody.example', 'peer-pw', { host: PROSODY.address, resource: 'there', timeoutMs: 15_000 });
    clients.push(alice, carol);
    const there = carol.next((s) => s.getChildText('body') === 'over direct tls', 30_000);
    await alice.xmpp.send(xml('message', { to: 'carol@prosody.example', type: 'chat' }, xml('body', {}, 'over direct tls')));
    expect((await there).attrs.from).toBe('alice@parley.example/here');
    const back = alice.next((s) => s.getChildText('body') === 'and back', 30_000);
    await carol.xmpp.send(xml('message', { to: 'alice@parley.example/here', type: 'chat' }, xml('body', {}, 'and back')));
    await back;
    expect(parley.server.federation!.status.outgoing).toContainEqual(expect.objectContaining({ remote: PROSODY.domain, ready: true, directTls: true }));
    // Prosody found our _xmpps-server record too
    expect(parley.server.federation!.status.incoming).toContainEqual(expect.objectContaining({ remote: [PROSODY.domain], directTls: true }));
  }, 60_000);

  it('listens for direct TLS with ALPN xmpp-server', async () => {
    const socket = tls.connect({ host: PARLEY_ADDRESS, port: parley.ports.s2sTls!, servername: DOMAIN, rejectUnauthorized: false, ALPNProtocols: ['xmpp-server'] });
    await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    expect(socket.alpnProtocol).toBe('xmpp-server');
    let text = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; });
    socket.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' to='${DOMAIN}' from='${PROSODY.domain}' version='1.0'>`);
    await expect.poll(() => text, { timeout: 5000 }).toContain('</stream:features>');
    // already encrypted: no STARTTLS, dialback offered at once
    expect(text).not.toContain('starttls');
    expect(text).toContain('urn:xmpp:features:dialback');
    socket.destroy();
  });
});
