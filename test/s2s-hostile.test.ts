// A hostile server on raw sockets against Parley's s2s port: each misstep gets the standard answer
// (RFC 6120 §4.9.3, XEP-0220 §2.4, XEP-0178) and no stanza it could not prove is delivered.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NS, connectTcp, type TcpPeer } from './helpers/raw-stream.ts';
import { login, type LoggedInClient } from './helpers/clients.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { createTestCa, selfSignedCertificate, type CertificateFiles } from './helpers/test-ca.ts';
import { patient } from './helpers/federation.ts';
import { DialbackKeys } from '../server/src/s2s/dialback-key.ts';

const DOMAIN = 'example.com';
const PEER = 'peer.example';
const DB = 'jabber:server:dialback';

describe('s2s: a hostile peer', () => {
  let server: TestServer;
  let dir: string;
  let trusted: CertificateFiles;
  let selfSigned: CertificateFiles;
  let bob: LoggedInClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-hostile-'));
    const ca = await createTestCa(join(dir, 'ca'));
    trusted = await ca.issue(PEER, join(dir, 'trusted'));
    selfSigned = await selfSignedCertificate(PEER, join(dir, 'self'));
    server = await startServer({
      users: { 'bob@example.com': 'pw' },
      config: { s2s: { port: 0, trustedCaFile: ca.certFile, maxStanzaSize: 20_000 }, limits: { authTimeoutSeconds: 5 } },
    });
    bob = patient(await login(server, 'bob@example.com', 'pw', { timeoutMs: 15_000 }));
  }, 60_000);

  afterAll(async () => {
    await bob?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Open a stream to the s2s port, as `from`, and read the header and features. */
  async function open(options: { from?: string; to?: string; xmlns?: string } = {}): Promise<{ peer: TcpPeer; id: string; features: ReturnType<TcpPeer['receiveFeatures']> extends Promise<infer F> ? F : never }> {
    const peer = await connectTcp(server.ports.s2s!);
    peer.send(header(options));
    const item = await peer.next();
    if (item.kind !== 'header') throw new Error(`expected a stream header: ${peer.received}`);
    expect(item.attrs).toMatchObject({ xmlns: NS.server, 'xmlns:db': DB, from: options.to ?? DOMAIN, version: '1.0' });
    return { peer, id: item.attrs.id!, features: await peer.receiveFeatures() };
  }

  /** STARTTLS (with a client certificate, if given) and the restarted stream's features. */
  async function secure(peer: TcpPeer, identity?: CertificateFiles, from = PEER) {
    peer.send(`<starttls xmlns='${NS.tls}'/>`);
    await peer.receive('proceed', NS.tls);
    await peer.startTls(DOMAIN, identity && { key: identity.keyPem, cert: identity.certPem });
    peer.send(header({ from }));
    const item = await peer.next();
    if (item.kind !== 'header') throw new Error(`expected a stream header: ${peer.received}`);
    return { id: item.attrs.id!, features: await peer.receiveFeatures() };
  }

  /** A peer authenticated as peer.example with SASL EXTERNAL (a certificate from the trusted CA). */
  async function authenticated(): Promise<TcpPeer> {
    const { peer } = await open({ from: PEER });
    const { features } = await secure(peer, trusted);
    expect(features.getChild('mechanisms', NS.sasl)?.getChildText('mechanism')).toBe('EXTERNAL');
    peer.send(`<auth xmlns='${NS.sasl}' mechanism='EXTERNAL'>${Buffer.from(PEER).toString('base64')}</auth>`);
    await peer.receive('success', NS.sasl);
    peer.send(header({ from: PEER }));
    await peer.next();
    await peer.receiveFeatures();
    return peer;
  }

  const message = (from: string, to: string, body: string) => `<message from='${from}' to='${to}' type='chat'><body>${body}</body></message>`;

  it('requires STARTTLS first: features offer only <starttls><required/>, anything else is a policy violation', async () => {
    const { peer, features } = await open({ from: PEER });
    expect(features.getChildElements().map((child) => child.name)).toEqual(['starttls']);
    expect(features.getChild('starttls', NS.tls)?.getChild('required')).toBeTruthy();
    peer.send(message(`mallory@${PEER}`, 'bob@example.com', 'before tls'));
    await peer.receiveStreamError('policy-violation');
  });

  it('refuses a stream to a domain not served here (host-unknown) and a client stream (invalid-namespace)', async () => {
    const stranger = await connectTcp(server.ports.s2s!);
    stranger.send(header({ to: 'elsewhere.example' }));
    await stranger.next();
    await stranger.receiveStreamError('host-unknown');
    const client = await connectTcp(server.ports.s2s!);
    client.send(header({ xmlns: NS.client }));
    await client.next();
    await client.receiveStreamError('invalid-namespace');
  });

  it('answers a stanza before authentication with not-authorized, and delivers nothing', async () => {
    const { peer } = await open({ from: PEER });
    const { features } = await secure(peer, selfSigned);
    // a self-signed certificate proves nothing: no EXTERNAL, dialback only
    expect(features.getChild('mechanisms', NS.sasl)).toBeUndefined();
    expect(features.getChild('dialback', 'urn:xmpp:features:dialback')).toBeTruthy();
    peer.send(message(`mallory@${PEER}`, 'bob@example.com', 'unauthenticated'));
    await peer.receiveStreamError('not-authorized');
    await expectNothingFor(bob, 'unauthenticated');
  });

  it('refuses SASL EXTERNAL for a certificate that does not prove the domain, and an authzid of another domain', async () => {
    const { peer } = await open({ from: PEER });
    await secure(peer, selfSigned);
    peer.send(`<auth xmlns='${NS.sasl}' mechanism='EXTERNAL'>=</auth>`);
    expect((await peer.receive('failure', NS.sasl)).getChildElements()[0]?.name).toBe('not-authorized');
    const other = (await open({ from: PEER })).peer;
    await secure(other, trusted);
    other.send(`<auth xmlns='${NS.sasl}' mechanism='EXTERNAL'>${Buffer.from('bank.example').toString('base64')}</auth>`);
    expect((await other.receive('failure', NS.sasl)).getChildElements()[0]?.name).toBe('invalid-authzid');
    other.send(message(`mallory@${PEER}`, 'bob@example.com', 'after failed sasl'));
    await other.receiveStreamError('not-authorized');
    await expectNothingFor(bob, 'after failed sasl');
  });

  it('answers a dialback key it cannot prove with type=invalid; stanzas after it are refused', async () => {
    // peer.example has no DNS records here: its authoritative server cannot confirm the key
    const { peer } = await open({ from: PEER });
    await secure(peer, selfSigned);
    peer.send(`<db:result xmlns:db='${DB}' from='${PEER}' to='${DOMAIN}'>${'ab'.repeat(32)}</db:result>`);
    const answer = await peer.receive('db:result', undefined, 15_000);
    expect(answer.attrs).toMatchObject({ from: DOMAIN, to: PEER, type: 'invalid' });
    peer.send(message(`mallory@${PEER}`, 'bob@example.com', 'forged key'));
    await peer.receiveStreamError('not-authorized');
    await expectNothingFor(bob, 'forged key');
  });

  it('answers <db:verify/> as the authoritative server: valid for its own key, invalid for another', async () => {
    const keys = new DialbackKeys((await server.server.storage.keyValue.open<string>('s2s').get('server', 'dialback-secret'))!);
    const { peer } = await open({ from: PEER });
    await secure(peer, selfSigned);
    peer.send(`<db:verify xmlns:db='${DB}' from='${PEER}' to='${DOMAIN}' id='stream-1'>${keys.generate(PEER, DOMAIN, 'stream-1')}</db:verify>`);
    expect((await peer.receive('db:verify')).attrs).toMatchObject({ from: DOMAIN, to: PEER, id: 'stream-1', type: 'valid' });
    peer.send(`<db:verify xmlns:db='${DB}' from='${PEER}' to='${DOMAIN}' id='stream-2'>${keys.generate(PEER, DOMAIN, 'stream-1')}</db:verify>`);
    expect((await peer.receive('db:verify')).attrs).toMatchObject({ id: 'stream-2', type: 'invalid' });
  });

  it('delivers what a proven peer sends, and ends its stream for a from of another domain (invalid-from)', async () => {
    const peer = await authenticated();
    const arrived = bob.next((s) => s.is('message') && s.getChildText('body') === 'proven');
    peer.send(message(`mallory@${PEER}/x`, 'bob@example.com', 'proven'));
    expect((await arrived).attrs.from).toBe(`mallory@${PEER}/x`);
    peer.send(message('ceo@bank.example', 'bob@example.com', 'spoofed'));
    await peer.receiveStreamError('invalid-from');
    await expectNothingFor(bob, 'spoofed');
  });

  it('ends the stream for a stanza to a domain not served here (host-unknown) and one without from (improper-addressing)', async () => {
    const peer = await authenticated();
    peer.send(message(`mallory@${PEER}`, 'someone@elsewhere.example', 'relay me'));
    await peer.receiveStreamError('host-unknown');
    const again = await authenticated();
    again.send(`<message to='bob@example.com'><body>anonymous</body></message>`);
    await again.receiveStreamError('improper-addressing');
    await expectNothingFor(bob, 'anonymous');
  });

  it('ends the stream on bad XML (not-well-formed) and on an oversize stanza (policy-violation)', async () => {
    const peer = await authenticated();
    peer.send(`<message from='mallory@${PEER}' to='bob@example.com'><body>broken</bodx></message>`);
    await peer.receiveStreamError('not-well-formed');
    const big = await authenticated();
    big.send(message(`mallory@${PEER}`, 'bob@example.com', 'x'.repeat(25_000)));
    await big.receiveStreamError('policy-violation');
    await expectNothingFor(bob, 'broken');
  });

  it('drops a peer that proves nothing in time (connection-timeout)', async () => {
    const { peer } = await open({ from: PEER });
    await secure(peer, selfSigned);
    await peer.receiveStreamError('connection-timeout', 10_000);
  }, 15_000);
});

function header({ from, to = DOMAIN, xmlns = NS.server }: { from?: string; to?: string; xmlns?: string }): string {
  return `<?xml version='1.0'?><stream:stream xmlns='${xmlns}' xmlns:stream='${NS.stream}' xmlns:db='${DB}' to='${to}'${from ? ` from='${from}'` : ''} version='1.0'>`;
}

/** The message never reached the user. */
async function expectNothingFor(client: LoggedInClient, body: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(client.received.some((stanza) => stanza.getChildText('body') === body)).toBe(false);
}
