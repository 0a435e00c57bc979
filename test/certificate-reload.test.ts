// Certificates, the admin's way: files dropped into the certs folder replace a domain's certificate
// while the server runs. New connections get it — checked by the fingerprint presented over
// STARTTLS (RFC 6120 §5), direct TLS (XEP-0368) and HTTPS by SNI — while streams opened before
// stay up; a bad pair is refused with an error log line and the old certificate stays.
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { login, xml, type LoggedInClient } from './helpers/clients.ts';
import { connectTcp, negotiateStartTls, openFrame } from './helpers/raw-stream.ts';
import { frameMatching, loopbackLookup, webSocketByName } from './helpers/by-name.ts';
import { createTestCa, type TestCa } from './helpers/test-ca.ts';

let server: TestServer;
let ca: TestCa;
let scratch: string;
let certs: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'parley-reload-'));
  ca = await createTestCa(join(scratch, 'ca'));
  server = await startServer({
    domains: ['example.com', 'example.net'],
    users: { 'alice@example.com': 'alice-pw' },
    config: { http: { tlsPort: 0 } },
    captureLogs: true,
  });
  certs = join(server.dataDir, 'certs');
});

afterAll(async () => {
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

type Way = 'starttls' | 'direct TLS' | 'HTTPS';
const WAYS: Way[] = ['starttls', 'direct TLS', 'HTTPS'];

/** The SHA-256 fingerprint of the certificate a new connection is shown for `name`. */
async function presented(way: Way, name: string): Promise<string> {
  if (way === 'starttls') {
    const peer = await connectTcp(server.ports.c2s);
    peer.openStream({ to: name || 'example.com' });
    await peer.receiveHeader();
    await peer.receiveFeatures();
    await negotiateStartTls(peer, name || undefined);
    const fingerprint = (peer.socket as tls.TLSSocket).getPeerX509Certificate()!.fingerprint256;
    peer.destroy();
    return fingerprint;
  }
  if (way === 'direct TLS') {
    const socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: server.ports.c2sTls!, servername: name || undefined, rejectUnauthorized: false, ALPNProtocols: ['xmpp-client'] }, () => resolve(s));
      s.once('error', reject);
    });
    const fingerprint = socket.getPeerX509Certificate()!.fingerprint256;
    socket.destroy();
    return fingerprint;
  }
  return new Promise((resolve, reject) => {
    const request = https.get(`https://${name}:${server.ports.https}/`, { lookup: loopbackLookup, rejectUnauthorized: false, agent: false }, (response) => {
      const fingerprint = (response.socket as tls.TLSSocket).getPeerX509Certificate()!.fingerprint256;
      response.resume();
      response.on('end', () => (response.statusCode === 200 ? resolve(fingerprint) : reject(new Error(`HTTP ${response.statusCode}`))));
    });
    request.on('error', reject);
  });
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!(await check().catch(() => false))) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

/** Write a file the way a careful admin does: into a temp name, then renamed into place. */
function drop(path: string, content: string): void {
  const temp = `${path}.${randomBytes(3).toString('hex')}.tmp`;
  writeFileSync(temp, content);
  renameSync(temp, path);
}

const refusals = () => server.logs.filter((entry) => typeof entry.msg === 'string' && entry.msg.includes('refused'));

describe('certificates dropped into the certs folder', () => {
  let before: LoggedInClient;
  let wss: Awaited<ReturnType<typeof webSocketByName>>;
  let oldFingerprint: string;

  it('replace the self-signed certificate for new connections, old ones stay up', async () => {
    oldFingerprint = await presented('starttls', 'example.com');
    for (const way of WAYS) expect(await presented(way, 'example.com'), way).toBe(oldFingerprint);
    // streams opened before the change
    before = await login(server, 'alice@example.com', 'alice-pw', { transport: 'starttls' });
    wss = await webSocketByName(`wss://example.com:${server.ports.https}/xmpp-websocket`);

    const issued = await ca.issue('example.com', join(scratch, 'issued'));
    // key first, then the certificate: until both match, the pair is refused, never served
    drop(join(certs, 'example.com.key'), issued.keyPem);
    drop(join(certs, 'example.com.crt'), issued.certPem);
    const next = fingerprintOf(issued.certPem);
    for (const way of WAYS) await eventually(async () => (await presented(way, 'example.com')) === next, `${way} to present the new certificate`);
    // clients without SNI get the first domain's certificate over TCP, the new one too
    expect(await presented('starttls', '')).toBe(next);
    expect(await presented('direct TLS', '')).toBe(next);

    // the old streams still work, on their old TLS sessions
    const pong = before.next((stanza) => stanza.is('iq') && stanza.attrs.id === 'still-up');
    await before.xmpp.send(xml('iq', { type: 'get', id: 'still-up', to: 'example.com' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect((await pong).attrs.type).toBe('result');
    wss.socket.send(openFrame({ to: 'example.com' }));
    expect(await frameMatching(wss.frames, /<stream:features/)).toContain('PLAIN');
    // the other domain is untouched
    expect(await presented('HTTPS', 'example.net')).not.toBe(next);
  });

  it("take certbot's layout: <domain>/fullchain.pem + privkey.pem", async () => {
    const issued = await ca.issue('example.net', join(scratch, 'certbot'));
    mkdirSync(join(scratch, 'example.net'));
    writeFileSync(join(scratch, 'example.net', 'privkey.pem'), issued.keyPem);
    writeFileSync(join(scratch, 'example.net', 'fullchain.pem'), `${issued.certPem}${await readCa()}`);
    // the folder moved in whole, as certbot's deploy hooks often do
    renameSync(join(scratch, 'example.net'), join(certs, 'example.net'));
    const next = fingerprintOf(issued.certPem);
    for (const way of WAYS) await eventually(async () => (await presented(way, 'example.net')) === next, `${way} to present the certbot certificate`);
  });

  describe('a bad file is refused with a clear log line, and the old certificate stays', () => {
    const cases: Array<[string, () => Promise<{ key: string; cert: string }>, RegExp]> = [
      ['a key that does not match the certificate', async () => {
        const [one, two] = [await ca.issue('example.com', join(scratch, 'one')), await ca.issue('example.com', join(scratch, 'two'))];
        return { key: one.keyPem, cert: two.certPem };
      }, /key does not match the certificate/],
      ['names that do not cover the domain', async () => {
        const other = await ca.issue('other.org', join(scratch, 'other'));
        return { key: other.keyPem, cert: other.certPem };
      }, /names \(other\.org, \*\.other\.org\) do not cover example\.com/],
      ['an expired certificate', async () => {
        const pems = await generate([{ name: 'commonName', value: 'example.com' }], {
          keyType: 'ec', algorithm: 'sha256', notBeforeDate: new Date('2020-01-01'), notAfterDate: new Date('2021-01-01'),
          extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'example.com' }] }],
        });
        return { key: pems.private, cert: pems.cert };
      }, /expired on 2021-01-01/],
      ['a file that is not a certificate', async () => {
        const fine = await ca.issue('example.com', join(scratch, 'fine'));
        return { key: fine.keyPem, cert: '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n' };
      }, /certificate cannot be read/],
    ];

    for (const [what, make, reason] of cases) {
      it(what, async () => {
        const serving = await presented('starttls', 'example.com');
        const seen = refusals().length;
        const pair = await make();
        drop(join(certs, 'example.com.key'), pair.key);
        drop(join(certs, 'example.com.crt'), pair.cert);
        await eventually(async () => refusals().slice(seen).some((entry) => reason.test(String(entry.msg))), `the refusal log line matching ${reason}`);
        const line = refusals().slice(seen).find((entry) => reason.test(String(entry.msg)))!;
        expect(line.level).toBe(50); // pino's error
        expect(line.msg).toMatch(/^TLS certificate for example\.com refused: .*; the certificate in use stays$/);
        for (const way of WAYS) expect(await presented(way, 'example.com'), way).toBe(serving);
      });
    }
  });

  afterAll(async () => {
    await before?.stop();
    wss?.socket.close();
  });
});

async function readCa(): Promise<string> {
  return readFileSync(ca.certFile, 'utf8');
}
