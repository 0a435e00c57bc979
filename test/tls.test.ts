// TLS details: STARTTLS (RFC 6120 §5), direct TLS with ALPN (XEP-0368), SNI choosing each domain's
// certificate, and the certificates kept in <dataDir>/certs.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { login } from './helpers/clients.ts';
import { bindRequest, childNames, connectTcp, negotiateStartTls, NS, plainAuth, type TcpPeer } from './helpers/raw-stream.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({
    domains: ['example.com', 'example.net'],
    users: { 'alice@example.com': 'alice-pw', 'nina@example.net': 'nina-pw' },
    config: { http: { tlsPort: 0 } },
  });
});
afterAll(() => server?.stop());

function peerCertificate(socket: tls.TLSSocket): X509Certificate {
  return new X509Certificate(socket.getPeerCertificate().raw);
}

/** Log in with PLAIN and bind on a stream that is already encrypted and whose features were read. */
async function loginPlain(client: TcpPeer, username: string, password: string, domain = 'example.com'): Promise<string> {
  client.send(plainAuth(username, password));
  await client.receive('success', NS.sasl);
  client.openStream({ to: domain });
  await client.receiveHeader();
  await client.receiveFeatures();
  client.send(bindRequest());
  return (await client.receive('iq')).getChild('bind', NS.bind)!.getChildText('jid')!;
}

describe('direct TLS (XEP-0368)', () => {
  it("negotiates ALPN 'xmpp-client', then the stream offers PLAIN and no STARTTLS", async () => {
    const client = await connectTcp(server.ports.c2sTls!, { tls: true, servername: 'example.com' });
    expect((client.socket as tls.TLSSocket).alpnProtocol).toBe('xmpp-client');
    client.openStream();
    await client.receiveHeader();
    const features = await client.receiveFeatures();
    expect(childNames(features)).toEqual(['mechanisms', 'authentication', 'sasl-channel-binding']);
    expect(await loginPlain(client, 'alice', 'alice-pw')).toMatch(/^alice@example\.com\//);
    client.destroy();
  });

  it('a client that sends no ALPN is served too', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: server.ports.c2sTls!, servername: 'example.com', rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    expect(socket.alpnProtocol).toBe(false);
    socket.destroy();
  });

  it('<starttls/> on an already encrypted stream: <failure/>, then the stream and the connection close (RFC 6120 §5.4.2.2)', async () => {
    const client = await connectTcp(server.ports.c2sTls!, { tls: true });
    client.openStream();
    await client.receiveHeader();
    await client.receiveFeatures();
    client.send(`<starttls xmlns='${NS.tls}'/>`);
    await client.receive('failure', NS.tls);
    await client.receiveEnd();
  });

  it('@xmpp/client logs in over direct TLS to the second domain', async () => {
    const nina = await login(server, 'nina@example.net', 'nina-pw', { transport: 'tls' });
    expect(nina.jid).toMatch(/^nina@example\.net\//);
    await nina.stop();
  });
});

describe('STARTTLS (RFC 6120 §5.4)', () => {
  it('<starttls/> is answered with <proceed/>; after the handshake the restarted stream offers PLAIN', async () => {
    const client = await connectTcp(server.ports.c2s);
    client.openStream();
    await client.receiveHeader();
    expect(childNames(await client.receiveFeatures())).toEqual(['starttls']);
    const features = await negotiateStartTls(client);
    expect(childNames(features)).toEqual(['mechanisms', 'authentication', 'sasl-channel-binding']);
    expect(await loginPlain(client, 'alice', 'alice-pw')).toMatch(/^alice@example\.com\//);
    client.destroy();
  });

  it('a second <starttls/> after TLS: <failure/>, then the stream and the connection close', async () => {
    const client = await connectTcp(server.ports.c2s);
    client.openStream();
    await client.receiveHeader();
    await client.receiveFeatures();
    await negotiateStartTls(client);
    client.send(`<starttls xmlns='${NS.tls}'/>`);
    await client.receive('failure', NS.tls);
    await client.receiveEnd();
  });

  it('plaintext sent right behind <starttls/> is discarded, not processed after the handshake', async () => {
    const client = await connectTcp(server.ports.c2s);
    client.openStream();
    await client.receiveHeader();
    await client.receiveFeatures();
    client.send(`<starttls xmlns='${NS.tls}'/><iq type='get' id='injected'><ping xmlns='${NS.ping}'/></iq>`);
    await client.receive('proceed', NS.tls);
    await client.startTls();
    client.openStream();
    await client.receiveHeader();
    expect(childNames(await client.receiveFeatures())).toEqual(['mechanisms', 'authentication', 'sasl-channel-binding']);
    expect(await loginPlain(client, 'alice', 'alice-pw')).toMatch(/^alice@example\.com\//);
    expect(client.received).not.toContain('injected');
    client.destroy();
  });

  it('garbage instead of a TLS handshake after <proceed/> closes that connection, and the server keeps serving', async () => {
    const client = await connectTcp(server.ports.c2s);
    client.openStream();
    await client.receiveHeader();
    await client.receiveFeatures();
    client.send(`<starttls xmlns='${NS.tls}'/>`);
    await client.receive('proceed', NS.tls);
    client.send('this is not a TLS ClientHello\r\n\r\n');
    await client.expectClosed();
    const alice = await login(server, 'alice@example.com', 'alice-pw');
    await alice.stop();
  });
});

describe('SNI: each domain gets its own certificate', () => {
  it.each([
    ['example.com', 'example.com'],
    ['example.net', 'example.net'],
    ['conference.example.net', 'example.net'], // covered by *.example.net
  ])('direct TLS with server name %s gets the certificate of %s', async (servername, domain) => {
    const client = await connectTcp(server.ports.c2sTls!, { tls: true, servername });
    const certificate = peerCertificate(client.socket as tls.TLSSocket);
    expect(certificate.subject).toBe(`CN=${domain}`);
    expect(certificate.checkHost(servername)).toBeDefined(); // the name the certificate covers it with
    client.destroy();
  });

  it.each(['example.com', 'example.net'])('STARTTLS with server name %s gets that certificate', async (domain) => {
    const client = await connectTcp(server.ports.c2s);
    client.openStream({ to: domain });
    expect((await client.receiveHeader()).from).toBe(domain);
    await client.receiveFeatures();
    client.send(`<starttls xmlns='${NS.tls}'/>`);
    await client.receive('proceed', NS.tls);
    const secure = await client.startTls(domain);
    expect(peerCertificate(secure).subject).toBe(`CN=${domain}`);
    client.openStream({ to: domain });
    await client.receiveHeader();
    await client.receiveFeatures();
    if (domain === 'example.net') expect(await loginPlain(client, 'nina', 'nina-pw', domain)).toMatch(/^nina@example\.net\//);
    client.destroy();
  });

  it.each(['example.com', 'example.net'])('HTTPS (WebSocket) with server name %s gets that certificate', async (domain) => {
    const socket = tls.connect({ host: '127.0.0.1', port: server.ports.https!, servername: domain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    expect(peerCertificate(socket).subject).toBe(`CN=${domain}`);
    socket.destroy();
  });
});

describe('certificates on disk', () => {
  it('each domain has a key and certificate under <dataDir>/certs, and that is what the server presents', async () => {
    for (const domain of ['example.com', 'example.net']) {
      const keyPath = join(server.dataDir, 'certs', `${domain}.key`);
      const certPath = join(server.dataDir, 'certs', `${domain}.crt`);
      expect(existsSync(keyPath)).toBe(true);
      expect(statSync(keyPath).mode & 0o077).toBe(0); // the private key is readable by the owner only
      const onDisk = new X509Certificate(readFileSync(certPath));
      const client = await connectTcp(server.ports.c2sTls!, { tls: true, servername: domain });
      expect(peerCertificate(client.socket as tls.TLSSocket).fingerprint256).toBe(onDisk.fingerprint256);
      client.destroy();
    }
  });
});
